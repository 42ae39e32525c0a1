//! Helpers for tests and benchmarks of this and other crates: an isolated PostgreSQL schema per
//! run, valid synthetic personal codes, sample applications and the steps to a signature.

use atzinums_models::{
    ApplicationKind, CaseEvent, Channel, DocumentKind, MediaType, PersonCode, Role,
};
use bytes::Bytes;
use sqlx::Connection;
use sqlx::postgres::PgConnection;

use crate::error::StoreError;
use crate::{Actor, NewApplication, NewDocument, NewPerson, Store};

/// A fresh schema in a PostgreSQL database, so concurrent test runs never see each other's rows.
pub struct IsolatedPostgres {
    base_url: String,
    schema: String,
    url: String,
}

impl IsolatedPostgres {
    pub async fn create(base_url: &str) -> Result<Self, StoreError> {
        let schema = format!("atz_{}", uuid::Uuid::new_v4().simple());
        let mut conn = PgConnection::connect(base_url).await?;
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&mut conn)
            .await?;
        conn.close().await?;
        let sep = if base_url.contains('?') { '&' } else { '?' };
        let url = format!("{base_url}{sep}options[search_path]={schema}");
        Ok(IsolatedPostgres {
            base_url: base_url.to_string(),
            schema,
            url,
        })
    }

    /// A URL whose connections use only this schema.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub async fn drop_schema(&self) -> Result<(), StoreError> {
        let mut conn = PgConnection::connect(&self.base_url).await?;
        sqlx::query(&format!("DROP SCHEMA {} CASCADE", self.schema))
            .execute(&mut conn)
            .await?;
        conn.close().await?;
        Ok(())
    }
}

/// A valid old-format personal code derived from `n`; distinct for `n` below 20 million.
pub fn sample_person_code(n: u64) -> PersonCode {
    let serial = n % 1000;
    let day = 1 + (n / 1000) % 28;
    let month = 1 + (n / 28_000) % 12;
    let year = 20 + (n / 336_000) % 60;
    // Century digit 1 (1900s); try check digits until one validates.
    (0..10)
        .find_map(|check| {
            format!("{day:02}{month:02}{year:02}-1{serial:03}{check}")
                .parse()
                .ok()
        })
        .expect("one of ten check digits is valid")
}

/// A first-time e-service application of the person `sample_person_code(n)` (Rīga), submitted
/// by a clerk, with these documents.
pub fn application(
    n: u64,
    documents: Vec<(&str, DocumentKind, MediaType, Bytes)>,
) -> NewApplication {
    NewApplication {
        kind: ApplicationKind::DisabilityFirst,
        channel: Channel::Eservice,
        person: NewPerson {
            person_code: sample_person_code(n),
            birth_date: None,
            sex: None,
            region: Some("Rīga".into()),
        },
        representative: None,
        requested_opinions: vec![],
        previous_case_id: None,
        documents: documents
            .into_iter()
            .map(|(name, kind, media_type, bytes)| NewDocument {
                file_name: name.to_string(),
                kind,
                media_type,
                issued_at: None,
                bytes,
            })
            .collect(),
        submitted_by: Actor::person(Role::Clerk, "clerk-1"),
        idempotency_key: None,
    }
}

/// Moves a submitted case to awaiting signature the regular way: a worker processes it and
/// readies the draft, `expert-1` claims and approves it.
pub async fn bring_to_signature(store: &Store, case_id: &str) -> Result<(), StoreError> {
    let worker = Actor::system("worker");
    let expert = Actor::person(Role::Expert, "expert-1");
    for (event, actor) in [
        (CaseEvent::StartProcessing, &worker),
        (CaseEvent::DraftReady, &worker),
        (CaseEvent::Claim, &expert),
        (CaseEvent::Approve, &expert),
    ] {
        store.transition_case(case_id, event, actor, None).await?;
    }
    Ok(())
}
