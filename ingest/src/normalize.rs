//! Text normalisation that remembers where every character came from.
//!
//! Extracted text is made comparable and searchable: Unicode NFC (PDF text layers often carry
//! "a" + combining macron), ligatures expanded, soft hyphens dropped, words hyphenated across a
//! line break rejoined, whitespace tidied. Each output char keeps the char offset it came from in
//! the raw text, so a finding quoted from normalised text points back at the original.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::canonical_combining_class;

/// Normalised text and, per char, its offset (in chars) in the raw text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalized {
    pub text: String,
    pub offsets: Vec<u32>,
}

type Tagged = Vec<(char, u32)>;

pub fn normalize(raw: &str) -> Normalized {
    let tagged: Tagged = raw.chars().zip(0u32..).collect();
    let tagged = compose(tagged);
    let tagged = expand_ligatures(tagged);
    let tagged = rejoin_hyphenated(tagged);
    let tagged = tidy_whitespace(tagged);
    Normalized {
        text: tagged.iter().map(|(c, _)| c).collect(),
        offsets: tagged.iter().map(|(_, o)| *o).collect(),
    }
}

/// NFC per cluster (a base char and the combining marks after it).
fn compose(input: Tagged) -> Tagged {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let start = i;
        i += 1;
        while i < input.len() && canonical_combining_class(input[i].0) != 0 {
            i += 1;
        }
        let origin = input[start].1;
        if i - start == 1 && input[start].0.is_ascii() {
            out.push(input[start]);
        } else {
            let cluster: String = input[start..i].iter().map(|(c, _)| c).collect();
            out.extend(cluster.nfc().map(|c| (c, origin)));
        }
    }
    out
}

fn expand_ligatures(input: Tagged) -> Tagged {
    let mut out = Vec::with_capacity(input.len());
    for (c, o) in input {
        let expanded = match c {
            'ﬀ' => "ff",
            'ﬁ' => "fi",
            'ﬂ' => "fl",
            'ﬃ' => "ffi",
            'ﬄ' => "ffl",
            'ﬅ' | 'ﬆ' => "st",
            '\u{AD}' => "", // soft hyphen: only a hint where a word may break
            _ => {
                out.push((c, o));
                continue;
            }
        };
        out.extend(expanded.chars().map(|e| (e, o)));
    }
    out
}

fn is_line_break(c: char) -> bool {
    c == '\n' || c == '\r'
}

fn is_space(c: char) -> bool {
    c.is_whitespace() && !is_line_break(c)
}

/// "slimī-\nbas" → "slimības": a hyphen at a line end between a letter and a lowercase letter.
fn rejoin_hyphenated(input: Tagged) -> Tagged {
    let mut out: Tagged = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let (c, o) = input[i];
        if matches!(c, '-' | '\u{2010}') && out.last().is_some_and(|(p, _)| p.is_alphabetic()) {
            let mut j = i + 1;
            while j < input.len() && is_space(input[j].0) {
                j += 1;
            }
            let mut saw_break = false;
            while j < input.len() && (is_line_break(input[j].0) || is_space(input[j].0)) {
                saw_break |= is_line_break(input[j].0);
                j += 1;
            }
            if saw_break && j < input.len() && input[j].0.is_lowercase() {
                i = j;
                continue;
            }
        }
        out.push((c, o));
        i += 1;
    }
    out
}

/// Spaces of every kind become one space; lines lose trailing spaces; CRLF becomes LF; at most
/// one blank line in a row; no leading or trailing blank lines.
fn tidy_whitespace(input: Tagged) -> Tagged {
    let mut out: Tagged = Vec::with_capacity(input.len());
    let mut pending_space: Option<u32> = None;
    let mut newlines = 0;
    let mut i = 0;
    while i < input.len() {
        let (c, o) = input[i];
        i += 1;
        // CRLF: the LF that follows stands for both. (A lone CR is a line break too.)
        if c == '\r' && input.get(i).is_some_and(|(n, _)| *n == '\n') {
            continue;
        }
        if is_line_break(c) {
            pending_space = None;
            if !out.is_empty() && newlines < 2 {
                out.push(('\n', o));
            }
            newlines += 1;
        } else if is_space(c) || c.is_control() {
            if !out.is_empty() && newlines == 0 && pending_space.is_none() {
                pending_space = Some(o);
            }
        } else {
            if let Some(so) = pending_space.take() {
                out.push((' ', so));
            }
            newlines = 0;
            out.push((c, o));
        }
    }
    while out.last().is_some_and(|(c, _)| *c == '\n') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn composes_decomposed_latvian_letters() {
        let n = normalize("sli\u{6d}i\u{304}bas ve\u{304}sture");
        assert_eq!(n.text, "slimības vēsture");
        // "ī" came from the 'i' at raw offset 4 (its macron at 5 folds into it).
        assert_eq!(n.offsets[4], 4);
        assert_eq!(n.offsets[6], 7);
    }

    #[test]
    fn rejoins_words_broken_across_lines_but_not_compounds() {
        assert_eq!(
            normalize("hroniska slimī-\nbas gaita").text,
            "hroniska slimības gaita"
        );
        assert_eq!(normalize("slimī- \r\n  bas").text, "slimības");
        assert_eq!(normalize("Rīga-\nJūrmala").text, "Rīga-\nJūrmala");
        assert_eq!(
            normalize("EDSS 6,0 -\n stabils").text,
            "EDSS 6,0 -\nstabils"
        );
    }

    #[test]
    fn ligatures_soft_hyphens_and_whitespace() {
        let n = normalize("  ﬁzioterapija\u{AD}s  kurss\t\u{a0}ok  \r\n\r\n\r\n\r\nbeigas \n\n");
        assert_eq!(n.text, "fizioterapijas kurss ok\n\nbeigas");
        assert_eq!(n.text.chars().count(), n.offsets.len());
        // Both letters of the ligature point at it.
        assert_eq!(&n.offsets[0..2], &[2, 2]);
    }

    #[test]
    fn offsets_are_monotonic_and_in_range() {
        let raw = "A\u{308}bc  -\nde ﬁ\r\nx";
        let n = normalize(raw);
        assert!(n.offsets.windows(2).all(|w| w[0] <= w[1]));
        assert!(
            n.offsets
                .iter()
                .all(|&o| (o as usize) < raw.chars().count())
        );
    }
}
