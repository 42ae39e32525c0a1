//! Training sentences for the learned functioning reader, from a decided archive: each case's
//! documents are extracted and cut into statements, which take their labels from the signed
//! decision (see `atzinums_ingest::findings::functioning::learned`). No generator truth is read.

use std::collections::BTreeMap;
use std::path::Path;

use atzinums_ingest::findings::functioning::questionnaire_model::TrainingForm;
use atzinums_ingest::findings::functioning::{
    answered_questions, learned::Example, training_examples,
};
use atzinums_ingest::findings::sections;
use atzinums_ingest::{ExtractOptions, extract_in_process};
use atzinums_models::Domain;

use crate::dataset::{DatasetError, read_dataset};

/// The examples of an archive and where they came from.
#[derive(Debug, Clone)]
pub struct TrainingSet {
    pub examples: Vec<Example>,
    /// Each document's questionnaire answers (documents with any), with the decided levels.
    pub forms: Vec<TrainingForm>,
    pub cases: usize,
    pub documents: usize,
    /// For the heads' cards: the archive's name and size.
    pub source: String,
}

/// Collects examples from the first `limit` decided cases of the dataset at `dir`.
pub fn collect(dir: &Path, limit: usize) -> Result<TrainingSet, DatasetError> {
    let dataset = read_dataset(dir)?;
    let options = ExtractOptions {
        ocr: false,
        ..ExtractOptions::default()
    };
    let (mut examples, mut forms, mut cases, mut documents) = (Vec::new(), Vec::new(), 0, 0);
    for case in dataset
        .cases
        .iter()
        .filter(|c| c.decision.is_some())
        .take(limit)
    {
        let Some(decision) = &case.decision else {
            continue;
        };
        let decided: BTreeMap<Domain, u8> = decision
            .functioning
            .iter()
            .map(|(d, q)| (d, q.value()))
            .collect();
        cases += 1;
        for doc in &case.case.documents {
            let path = case.dir.join("documents").join(doc.file.as_str());
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            let Ok(extracted) = extract_in_process(&bytes, &options) else {
                continue;
            };
            documents += 1;
            let mut answers = Vec::new();
            for page in &extracted.pages {
                let sections = sections::find(&page.text);
                examples.extend(training_examples(&page.text, &sections, &decided));
                answers.extend(answered_questions(&page.text));
            }
            if !answers.is_empty() {
                forms.push(TrainingForm {
                    answers,
                    decided: decided.clone(),
                });
            }
        }
    }
    let source = format!(
        "dataset {:?}: {cases} decided cases, {documents} documents",
        dataset.manifest.name
    );
    Ok(TrainingSet {
        examples,
        forms,
        cases,
        documents,
        source,
    })
}
