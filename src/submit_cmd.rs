//! `atzinums submit CASE_DIR…`: submits dataset case folders as applications, the way a clerk's
//! assisted intake would (for imports, demos and tests). The store's submission is atomic and
//! idempotent: a folder submitted twice is one application.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use atzinums_models::PersonRef;
use atzinums_store::{Actor, NewApplication, NewDocument, NewPerson, Store};
use bytes::Bytes;
use clap::Args;

use crate::case_folder;

#[derive(Args)]
pub struct SubmitArgs {
    /// Case folders of the dataset format (case.json + documents/).
    #[arg(required = true)]
    case_dirs: Vec<PathBuf>,
}

pub async fn run(args: SubmitArgs, store: &Store) -> anyhow::Result<()> {
    let clerk = Actor::system("import");
    for dir in &args.case_dirs {
        let application = read_application(dir, &clerk)?;
        let submitted = store
            .submit(&application)
            .await
            .with_context(|| format!("{}: the submission was refused", dir.display()))?;
        println!(
            "{} → {}{}",
            dir.display(),
            submitted.case_id,
            if submitted.replayed {
                " (submitted before)"
            } else {
                ""
            }
        );
    }
    Ok(())
}

fn read_application(dir: &Path, clerk: &Actor) -> anyhow::Result<NewApplication> {
    let case = case_folder::read_case_json(dir)?;
    let person = &case.person;
    let PersonRef::Code(person_code) = &person.person_code else {
        bail!(
            "{}: the person is named by a pseudonym; an application needs a personal code \
             (synthetic data with codes: `atzinums synth --identified`)",
            dir.display()
        );
    };
    let mut documents = Vec::with_capacity(case.documents.len());
    for entry in &case.documents {
        let path = dir.join("documents").join(entry.file.as_str());
        let bytes =
            std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        documents.push(NewDocument {
            file_name: entry.file.as_str().to_string(),
            kind: entry.kind,
            media_type: entry.media_type,
            issued_at: entry.issued_at,
            bytes: Bytes::from(bytes),
        });
    }
    Ok(NewApplication {
        kind: case.kind,
        channel: case.channel,
        person: NewPerson {
            person_code: person_code.clone(),
            birth_date: person.birth_date,
            sex: Some(person.sex),
            region: Some(person.region.clone()),
        },
        representative: case.representative.clone(),
        requested_opinions: case.requested_opinions.clone(),
        previous_case_id: None,
        documents,
        submitted_by: clerk.clone(),
        idempotency_key: Some(format!("import:{}", case.case_id.as_str())),
    })
}
