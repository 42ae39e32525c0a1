//! The XLM-R SentencePiece unigram tokenizer of multilingual-e5, rebuilt with the `tokenizers`
//! crate from the pieces and scores stored in the model file.
//!
//! SentencePiece normalises with a per-character map before segmenting; `tokenizers` has no such
//! normaliser, so the map (and the collapse of repeated spaces) is applied here first. The
//! metaspace step and the Viterbi segmentation are `tokenizers`' own. `tokenizers` fuses runs of
//! unknown characters into one `<unk>`; SentencePiece emits one per character, so fused ones are
//! split again to keep the token count (and so mean pooling) identical.

use std::collections::HashMap;

use tokenizers::Tokenizer;
use tokenizers::models::unigram::Unigram;
use tokenizers::pre_tokenizers::metaspace::{Metaspace, PrependScheme};

use crate::error::InferenceError;

pub struct E5Tokenizer {
    tokenizer: Tokenizer,
    char_map: HashMap<char, String>,
    unk: u32,
}

impl E5Tokenizer {
    pub fn new(
        pieces: Vec<(String, f32)>,
        unk: u32,
        char_map: HashMap<char, String>,
    ) -> Result<E5Tokenizer, InferenceError> {
        let vocab = pieces.into_iter().map(|(p, s)| (p, s as f64)).collect();
        let model = Unigram::from(vocab, Some(unk as usize), false)
            .map_err(|e| InferenceError::Tokenizer(e.to_string()))?;
        let mut tokenizer = Tokenizer::new(model);
        // One segmentation over the whole text (no split at spaces), like SentencePiece.
        tokenizer.with_pre_tokenizer(Some(Metaspace::new('▁', PrependScheme::Always, false)));
        Ok(E5Tokenizer {
            tokenizer,
            char_map,
            unk,
        })
    }

    /// The character map, then runs of spaces collapsed to one.
    pub fn normalise(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        for ch in text.chars() {
            match self.char_map.get(&ch) {
                Some(rep) => {
                    for r in rep.chars() {
                        push_collapsing(&mut out, r);
                    }
                }
                None => push_collapsing(&mut out, ch),
            }
        }
        out
    }

    /// Content token ids (no `<s>`/`</s>`), for a text that already carries its prefix.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>, InferenceError> {
        let mut normalised = self.normalise(text);
        if normalised.is_empty() {
            // SentencePiece still emits the lone word-start marker for an empty text.
            normalised.push(' ');
        }
        let enc = self
            .tokenizer
            .encode(normalised.as_str(), false)
            .map_err(|e| InferenceError::Tokenizer(e.to_string()))?;
        let mut ids = Vec::with_capacity(enc.get_ids().len());
        for (&id, tok) in enc.get_ids().iter().zip(enc.get_tokens()) {
            if id == self.unk {
                ids.extend(std::iter::repeat_n(self.unk, tok.chars().count().max(1)));
            } else {
                ids.push(id);
            }
        }
        Ok(ids)
    }
}

fn push_collapsing(out: &mut String, ch: char) {
    if ch == ' ' && out.ends_with(' ') {
        return;
    }
    out.push(ch);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> E5Tokenizer {
        let pieces = ["<s>", "<pad>", "</s>", "<unk>", "▁", "▁a", "b", "▁ab", "c"]
            .iter()
            .enumerate()
            .map(|(i, p)| (p.to_string(), if i < 4 { 0.0 } else { -(i as f32) }))
            .collect();
        let map = HashMap::from([('Å', "A".to_string()), ('\u{1}', String::new())]);
        E5Tokenizer::new(pieces, 3, map).unwrap()
    }

    #[test]
    fn map_and_space_collapse_apply_before_segmentation() {
        let t = toy();
        assert_eq!(t.normalise("a\u{1}  b"), "a b");
        assert_eq!(t.encode("ab").unwrap(), vec![7]);
        assert_eq!(t.encode("ab  c").unwrap(), vec![7, 4, 8]);
    }

    #[test]
    fn unknown_characters_are_one_token_each() {
        let t = toy();
        // "▁a" then two unknown characters, as SentencePiece would emit them.
        assert_eq!(t.encode("axy").unwrap(), vec![5, 3, 3]);
        assert_eq!(t.encode("").unwrap(), vec![4]);
    }
}
