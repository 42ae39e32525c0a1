//! The quality team's de-identified export: decisions signed in a window, as a dataset in the
//! project's format (`atzinums-dataset/1`, `deidentified: true`) in one ZIP, so other teams and
//! tools can evaluate on real outcomes without the people. Cases are numbered afresh (`X-…`),
//! people and experts appear as keyed pseudonyms, birth dates as years, representatives not at
//! all; documents are the text intake read, with identifying parts removed
//! ([`atzinums_ingest::redact`]). Pattern-based removal cannot find every name in prose: the
//! export is pseudonymised, not anonymous, and is handled as personal data.

use std::io::{Cursor, Write};

use atzinums_ingest::redact::redact;
use atzinums_models::Role;
use atzinums_models::dataset::{CaseJson, DATASET_FORMAT, DecisionJson};
use atzinums_store::Session;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use zip::write::{SimpleFileOptions, ZipWriter};

use crate::AppState;
use crate::auth::Person;
use crate::error::{ApiError, ApiResult};
use crate::routes::quality::Window;
use crate::routes::review::stored_case_file;

/// Most cases one export holds.
const MOST_EXPORTED: i64 = 5_000;

fn zip_error(e: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "export archive");
    ApiError::new(
        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        "the export could not be written; try again later",
    )
}

/// The signed cases of the last `weeks` weeks as a de-identified dataset ZIP. Cases whose
/// person lacks sex, region or birth year (the format requires them) are left out and counted
/// in the manifest.
pub async fn export(state: &AppState, session: &Session, weeks: Option<u32>) -> ApiResult<Vec<u8>> {
    let weeks = weeks.unwrap_or(26);
    if !(1..=104).contains(&weeks) {
        return Err(ApiError::bad_input("weeks", "must be 1 to 104"));
    }
    let actor = session.actor();
    let since = chrono::Utc::now() - chrono::Duration::weeks(i64::from(weeks));
    let rows = state
        .store
        .export_rows(since.timestamp_millis(), MOST_EXPORTED, &actor)
        .await?;
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default();
    let add = |zip: &mut ZipWriter<Cursor<Vec<u8>>>, name: &str, bytes: &[u8]| {
        zip.start_file(name, options).map_err(zip_error)?;
        zip.write_all(bytes).map_err(zip_error)
    };
    let (mut cases, mut skipped) = (0usize, 0usize);
    for row in rows {
        let (Some(birth_year), Some(sex), Some(region)) = (row.birth_year, row.sex, row.region)
        else {
            skipped += 1;
            continue;
        };
        // Each case is read through the audited case read: the person's "my data" shows it.
        let record = state.store.read_case(&row.case_id, &actor).await?;
        let pages = stored_case_file(state, &row.case_id)
            .await?
            .map(|f| f.assembled.pages)
            .unwrap_or_default();
        cases += 1;
        let case_id = format!("X-{cases:06}");
        let dir = format!("cases/{case_id}");
        let mut documents = Vec::new();
        // The conclusion cites the case and its documents by their ids in this system: they
        // leave as the export's own names.
        let mut renamed = vec![(row.case_id.clone(), case_id.clone())];
        for d in &record.documents {
            let file = format!("{:02}-{}.txt", d.position + 1, d.kind.as_str());
            renamed.push((d.id.clone(), file.clone()));
            // Only what intake read leaves, as redacted text; never the original bytes.
            let Some(text) = pages.get(&d.id) else {
                continue;
            };
            let text: Vec<String> = text.iter().map(|(_, page)| redact(page).0).collect();
            add(
                &mut zip,
                &format!("{dir}/documents/{file}"),
                text.join("\n\u{c}\n").as_bytes(),
            )?;
            documents.push(json!({
                "file": file, "kind": d.kind.as_str(), "issued_at": d.issued_at,
                "media_type": "text/plain",
            }));
        }
        let submitted = crate::routes::eservice::filed_on(&record);
        let case = json!({
            "case_id": case_id,
            "kind": record.kind.as_str(),
            "submitted_at": submitted,
            "channel": record.channel.as_str(),
            "person": {
                "person_code": row.person_pseudonym,
                "birth_year": birth_year,
                "sex": sex,
                "region": region,
            },
            "representative": null,
            "previous_decision": null,
            "requested_opinions": record.requested_opinions.iter().map(|o| o.as_str()).collect::<Vec<_>>(),
            "documents": documents,
        });
        let mut decision = row.decision;
        decision.expert = row.expert_pseudonym;
        decision.opinion_text = renamed
            .iter()
            .fold(redact(&decision.opinion_text).0, |text, (id, name)| {
                text.replace(id.as_str(), name)
            });
        // What leaves must read back in the format: checked before it is written.
        let checked = |v: &Value, what: &str| -> ApiResult<Vec<u8>> {
            serde_json::to_vec_pretty(v).map_err(|e| zip_error(format!("{what}: {e}")))
        };
        serde_json::from_value::<CaseJson>(case.clone())
            .map_err(|e| zip_error(format!("case.json of {case_id}: {e}")))?;
        add(
            &mut zip,
            &format!("{dir}/case.json"),
            &checked(&case, "case")?,
        )?;
        let decision: Value =
            serde_json::to_value::<&DecisionJson>(&decision).map_err(zip_error)?;
        add(
            &mut zip,
            &format!("{dir}/decision.json"),
            &checked(&decision, "decision")?,
        )?;
    }
    let manifest = json!({
        "format": DATASET_FORMAT,
        "name": format!("VDEĀVK signed decisions, last {weeks} weeks, de-identified"),
        "created": chrono::Utc::now(),
        "cases": cases,
        "deidentified": true,
        "skipped_without_sex_region_or_birth_year": skipped,
    });
    add(
        &mut zip,
        "manifest.json",
        &serde_json::to_vec_pretty(&manifest).map_err(zip_error)?,
    )?;
    Ok(zip.finish().map_err(zip_error)?.into_inner())
}

#[utoipa::path(get, path = "/api/v1/quality/export", tag = "quality", params(Window),
    responses((status = 200, content_type = "application/zip", description = "decisions signed in the window as a de-identified dataset (atzinums-dataset/1): pseudonyms, birth years, redacted document text"),
        (status = 401, body = crate::Problem), (status = 403, body = crate::Problem), (status = 422, body = crate::Problem)))]
pub async fn get_export(
    State(state): State<AppState>,
    person: Person,
    Query(window): Query<Window>,
) -> ApiResult<Response> {
    person.require(&[Role::Quality], "export signed decisions")?;
    let zip = export(&state, &person.0, window.weeks).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"atzinums-deidentified.zip\"",
            ),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        zip,
    )
        .into_response())
}
