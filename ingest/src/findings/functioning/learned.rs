//! The trained reader of functioning, for wording the rules do not know: two small heads over
//! a sentence's e5 embedding say which domain the sentence speaks of (or none) and at what
//! level. Its findings are marked [`GradedBy::Model`]: estimates for the expert to check.
//!
//! The heads learn from the historical archive without hand labels. Doctors often label a
//! statement with its domain ("Pašaprūpe: …"); the words after such a label, with the level the
//! signed decision gave that domain, teach what unlabelled sentences mean. Sentences of sections
//! that never describe functioning (complaints, history, diagnoses, treatment) teach "none".
//!
//! Beside the heads, the reader holds the archive's questionnaire model (see
//! [`super::questionnaire_model`]), which reads a self-assessment form's answers per domain.

use std::path::Path;
use std::sync::Arc;

use atzinums_inference::InferenceError;
use atzinums_inference::device::DeviceChoice;
use atzinums_inference::embed::{CachedEmbedder, EmbedKind, Embedder, EmbedderSpec, load_embedder};
use atzinums_inference::heads::{LinearHead, TrainOptions};
use atzinums_models::Domain;

use super::questionnaire_model::{QUESTIONNAIRE_MODEL, QuestionnaireModel};

pub const DOMAIN_HEAD: &str = "functioning-domain";
pub const LEVEL_HEAD: &str = "functioning-level";
const NO_DOMAIN: &str = "none";
const LEVELS: [&str; 5] = ["0", "1", "2", "3", "4"];
/// Sentences whose embeddings the reader remembers (per generation, ~1.6 KB each): documents
/// repeat their phrasings from case to case. `ATZINUMS_READER_MEMORY` sets another number (0:
/// remember nothing, to trade speed for memory or to measure the difference).
const REMEMBERED_SENTENCES: usize = 20_000;

fn remembered_sentences() -> usize {
    std::env::var("ATZINUMS_READER_MEMORY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(REMEMBERED_SENTENCES)
}

/// What the model reads in one sentence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    /// The domain it speaks of, when the model is sure enough that it speaks of one.
    pub domain: Option<Domain>,
    pub domain_probability: f32,
    pub level: u8,
    pub level_probability: f32,
}

/// One training sentence: its words, the domain it speaks of (`None`: none) and, when known,
/// the level.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    pub text: String,
    pub domain: Option<Domain>,
    pub level: Option<u8>,
}

pub struct FunctioningReader {
    embedder: Arc<CachedEmbedder>,
    domain: LinearHead,
    level: LinearHead,
    questionnaire: QuestionnaireModel,
    /// Below this the sentence is taken to say nothing of functioning.
    min_domain_probability: f32,
}

impl FunctioningReader {
    /// Checks that the heads are the ones this reader expects and were trained on this
    /// embedder's vectors (a head is meaningless on another model's).
    pub fn new(
        embedder: Arc<dyn Embedder>,
        domain: LinearHead,
        level: LinearHead,
        questionnaire: QuestionnaireModel,
    ) -> Result<Self, InferenceError> {
        let wrong = |reason: String| InferenceError::Training(reason);
        for (head, task, labels) in [
            (&domain, DOMAIN_HEAD, domain_labels()),
            (&level, LEVEL_HEAD, LEVELS.to_vec()),
        ] {
            let card = head.card();
            if card.task != task || card.labels != labels {
                return Err(wrong(format!(
                    "head for {:?} with labels {:?} given where {task} was expected",
                    card.task, card.labels
                )));
            }
            if card.embedder != embedder.model_id() || card.input_dim != embedder.dim() {
                return Err(wrong(format!(
                    "{task} was trained on {} vectors, not {}; retrain it with \
                     `atzinums dataset train-functioning`",
                    card.embedder,
                    embedder.model_id()
                )));
            }
        }
        Ok(Self {
            embedder: Arc::new(CachedEmbedder::new(embedder, remembered_sentences())),
            domain,
            level,
            questionnaire,
            min_domain_probability: 0.5,
        })
    }

    /// The heads kept with the code (`ingest/heads/`, trained by `atzinums dataset
    /// train-functioning` on the synthetic archive; their cards say on what).
    pub fn builtin(embedder: Arc<dyn Embedder>) -> Result<Self, InferenceError> {
        let head = |card: &[u8], weights: &[u8], name: &str| {
            LinearHead::from_bytes(card, weights, &Path::new("ingest/heads").join(name))
        };
        let domain = head(
            include_bytes!("../../../heads/functioning-domain.json"),
            include_bytes!("../../../heads/functioning-domain.safetensors"),
            DOMAIN_HEAD,
        )?;
        let level = head(
            include_bytes!("../../../heads/functioning-level.json"),
            include_bytes!("../../../heads/functioning-level.safetensors"),
            LEVEL_HEAD,
        )?;
        let questionnaire = questionnaire_from(
            include_bytes!("../../../heads/functioning-questionnaire.json"),
            Path::new("ingest/heads"),
        )?;
        Self::new(embedder, domain, level, questionnaire)
    }

    /// The built-in heads on the default embedder placed by `atzinums setup` in `data_dir`.
    pub fn default_in(data_dir: &Path) -> Result<Self, InferenceError> {
        let spec = EmbedderSpec::default_e5(data_dir);
        Self::builtin(Arc::new(load_embedder(&spec, DeviceChoice::Cpu, 1)?))
    }

    /// Loads `functioning-domain`, `functioning-level` and `functioning-questionnaire` from `dir`.
    pub fn load(embedder: Arc<dyn Embedder>, dir: &Path) -> Result<Self, InferenceError> {
        let domain = LinearHead::load(dir, DOMAIN_HEAD)?;
        let level = LinearHead::load(dir, LEVEL_HEAD)?;
        let path = dir.join(format!("{QUESTIONNAIRE_MODEL}.json"));
        let bytes = std::fs::read(&path).map_err(|e| {
            InferenceError::Training(format!(
                "{}: {e}; train it with `atzinums dataset train-functioning`",
                path.display()
            ))
        })?;
        Self::new(embedder, domain, level, questionnaire_from(&bytes, dir)?)
    }

    pub fn heads(&self) -> [&LinearHead; 2] {
        [&self.domain, &self.level]
    }

    pub fn questionnaire(&self) -> &QuestionnaireModel {
        &self.questionnaire
    }

    /// Sentences answered from memory and sentences embedded, since loading.
    pub fn sentences_remembered(&self) -> (u64, u64) {
        self.embedder.hits_and_misses()
    }

    /// Reads each sentence (its words without any label).
    pub fn read(&self, sentences: &[&str]) -> Result<Vec<Reading>, InferenceError> {
        if sentences.is_empty() {
            return Ok(Vec::new());
        }
        let vectors = self.embedder.embed(sentences, EmbedKind::Query)?;
        let domains = self.domain.predict(&vectors)?;
        let levels = self.level.predict(&vectors)?;
        Ok(domains
            .into_iter()
            .zip(levels)
            .map(|(d, l)| Reading {
                domain: (d.class > 0 && d.probability >= self.min_domain_probability)
                    .then(|| Domain::ALL[d.class - 1]),
                domain_probability: d.probability,
                level: l.class as u8,
                level_probability: l.probability,
            })
            .collect())
    }
}

/// Trains both heads on `examples`; `source` says where they came from (kept in the cards).
pub fn train(
    embedder: &dyn Embedder,
    examples: &[Example],
    source: &str,
) -> Result<(LinearHead, LinearHead), InferenceError> {
    // Archive sentences repeat (boilerplate, common phrasings): embed each text once.
    let mut unique: Vec<&str> = examples.iter().map(|e| e.text.as_str()).collect();
    unique.sort_unstable();
    unique.dedup();
    let mut embedded = std::collections::HashMap::with_capacity(unique.len());
    for batch in unique.chunks(64) {
        embedded.extend(
            batch
                .iter()
                .copied()
                .zip(embedder.embed(batch, EmbedKind::Query)?),
        );
    }
    let vectors: Vec<Vec<f32>> = examples
        .iter()
        .map(|e| embedded[e.text.as_str()].clone())
        .collect();
    let domain_targets: Vec<usize> = examples
        .iter()
        .map(|e| e.domain.map_or(0, |d| domain_index(d) + 1))
        .collect();
    // Measured on held-out synthetic cases: longer training without decay or class balancing
    // gave the level head 0.76 exact against 0.66 with the defaults.
    let level_options = TrainOptions {
        epochs: 1000,
        learning_rate: 0.1,
        weight_decay: 0.0,
        balance_classes: false,
    };
    let domain = LinearHead::train(
        DOMAIN_HEAD,
        embedder.model_id(),
        &domain_labels(),
        &vectors,
        &domain_targets,
        source,
        &TrainOptions::default(),
    )?;
    let (level_vectors, level_targets): (Vec<Vec<f32>>, Vec<usize>) = examples
        .iter()
        .zip(vectors)
        .filter_map(|(e, v)| Some((v, usize::from(e.level?))))
        .unzip();
    let level = LinearHead::train(
        LEVEL_HEAD,
        embedder.model_id(),
        &LEVELS,
        &level_vectors,
        &level_targets,
        source,
        &level_options,
    )?;
    Ok((domain, level))
}

fn questionnaire_from(bytes: &[u8], dir: &Path) -> Result<QuestionnaireModel, InferenceError> {
    QuestionnaireModel::from_json(bytes).map_err(|e| {
        InferenceError::Training(format!("{QUESTIONNAIRE_MODEL} in {}: {e}", dir.display()))
    })
}

fn domain_labels() -> Vec<&'static str> {
    std::iter::once(NO_DOMAIN)
        .chain(Domain::ALL.iter().map(|d| d.as_str()))
        .collect()
}

fn domain_index(domain: Domain) -> usize {
    Domain::ALL
        .iter()
        .position(|d| *d == domain)
        .expect("every domain is in ALL")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stand-in embedder: one dimension per known word, so heads can be trained in a blink.
    struct Words(&'static [&'static str]);

    impl Embedder for Words {
        fn dim(&self) -> usize {
            self.0.len()
        }
        fn embed(&self, texts: &[&str], _: EmbedKind) -> Result<Vec<Vec<f32>>, InferenceError> {
            Ok(texts
                .iter()
                .map(|t| {
                    let lower = t.to_lowercase();
                    self.0
                        .iter()
                        .map(|w| f32::from(u8::from(lower.contains(w))))
                        .collect()
                })
                .collect())
        }
        fn model_id(&self) -> &str {
            "words"
        }
        fn model_sha256(&self) -> &str {
            "-"
        }
    }

    const WORDS: &[&str] = &[
        "staigā",
        "ģērbjas",
        "sāpes",
        "patstāvīgi",
        "palīdzību",
        "ratiņ",
    ];

    fn example(text: &str, domain: Option<Domain>, level: Option<u8>) -> Example {
        Example {
            text: text.into(),
            domain,
            level,
        }
    }

    fn no_questionnaires() -> QuestionnaireModel {
        QuestionnaireModel::fit(&[], "test")
    }

    fn trained() -> (LinearHead, LinearHead) {
        let examples = [
            example("Staigā patstāvīgi.", Some(Domain::Mobility), Some(0)),
            example("Pārvietojas ratiņkrēslā.", Some(Domain::Mobility), Some(4)),
            example("Ģērbjas patstāvīgi.", Some(Domain::SelfCare), Some(0)),
            example("Ģērbjas ar palīdzību.", Some(Domain::SelfCare), Some(3)),
            example("Staigā ar palīdzību.", Some(Domain::Mobility), Some(3)),
            example("Sāpes mugurā.", None, None),
        ];
        train(&Words(WORDS), &examples, "test").unwrap()
    }

    #[test]
    fn reads_domain_and_level_and_says_none_for_other_sentences() {
        let (domain, level) = trained();
        assert_eq!(domain.card().examples, 6);
        assert_eq!(
            level.card().examples,
            5,
            "only examples with a level teach levels"
        );
        let reader =
            FunctioningReader::new(Arc::new(Words(WORDS)), domain, level, no_questionnaires())
                .unwrap();
        let got = reader
            .read(&[
                "Ģērbjas tikai ar palīdzību.",
                "Sāpes kājās.",
                "Staigā patstāvīgi.",
            ])
            .unwrap();
        assert_eq!(got[0].domain, Some(Domain::SelfCare));
        assert_eq!(got[0].level, 3);
        assert_eq!(got[1].domain, None);
        assert_eq!((got[2].domain, got[2].level), (Some(Domain::Mobility), 0));
        assert!(reader.read(&[]).unwrap().is_empty());
    }

    #[test]
    fn heads_of_another_embedder_or_task_are_refused() {
        let (domain, level) = trained();
        struct Other;
        impl Embedder for Other {
            fn dim(&self) -> usize {
                WORDS.len()
            }
            fn embed(&self, _: &[&str], _: EmbedKind) -> Result<Vec<Vec<f32>>, InferenceError> {
                unreachable!()
            }
            fn model_id(&self) -> &str {
                "other"
            }
            fn model_sha256(&self) -> &str {
                "-"
            }
        }
        let err = FunctioningReader::new(
            Arc::new(Other),
            domain.clone(),
            level.clone(),
            no_questionnaires(),
        )
        .err()
        .expect("another embedder's heads are refused")
        .to_string();
        assert!(err.contains("trained on words vectors"), "{err}");
        let err =
            FunctioningReader::new(Arc::new(Words(WORDS)), level, domain, no_questionnaires())
                .err()
                .expect("swapped heads are refused")
                .to_string();
        assert!(err.contains("was expected"), "{err}");
    }
}
