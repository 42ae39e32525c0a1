//! Shared harness: a store on SQLite (always) or PostgreSQL (when `DATABASE_URL` is set), each in
//! a fresh database, and builders for applications.
#![allow(dead_code)]

use std::path::PathBuf;

use atzinums_models::{DocumentKind, MediaType, Role};
use atzinums_store::testing::IsolatedPostgres;
pub use atzinums_store::testing::application;
use atzinums_store::{
    Actor, BlobLocation, DEFAULT_MAX_DOCUMENT_BYTES, MasterKey, NewApplication, Store, StoreConfig,
};
use bytes::Bytes;

pub enum Kind {
    Sqlite,
    Postgres,
}

pub struct TestStore {
    pub store: Store,
    pub dir: tempfile::TempDir,
    pub config: StoreConfig,
    pub key: MasterKey,
    pg: Option<IsolatedPostgres>,
}

impl TestStore {
    /// `None` when the backend is not available here (PostgreSQL without `DATABASE_URL`).
    pub async fn new(kind: Kind) -> Option<TestStore> {
        Self::with_limit(kind, DEFAULT_MAX_DOCUMENT_BYTES).await
    }

    pub async fn with_limit(kind: Kind, max_document_bytes: u64) -> Option<TestStore> {
        let dir = tempfile::tempdir().unwrap();
        let (url, pg) = match kind {
            Kind::Sqlite => (
                format!("sqlite://{}", dir.path().join("t.db").display()),
                None,
            ),
            Kind::Postgres => {
                let Ok(base) = std::env::var("DATABASE_URL") else {
                    eprintln!("SKIPPED: PostgreSQL contract test needs DATABASE_URL");
                    return None;
                };
                let pg = IsolatedPostgres::create(&base)
                    .await
                    .expect("PostgreSQL at DATABASE_URL");
                (pg.url().to_string(), Some(pg))
            }
        };
        let config = StoreConfig {
            database_url: url,
            blobs: BlobLocation::Local {
                path: dir.path().join("blobs"),
            },
            max_document_bytes,
        };
        let key = MasterKey::generate();
        let store = Store::open(&config, &key).await.expect("store opens");
        Some(TestStore {
            store,
            dir,
            config,
            key,
            pg,
        })
    }

    pub fn sqlite_path(&self) -> Option<PathBuf> {
        self.pg.is_none().then(|| self.dir.path().join("t.db"))
    }

    /// A raw connection to the same database, for tampering in tests.
    pub fn raw_url(&self) -> String {
        self.config.database_url.clone()
    }

    pub async fn finish(self) {
        self.store.close().await;
        if let Some(pg) = &self.pg {
            pg.drop_schema().await.unwrap();
        }
    }
}

pub fn clerk() -> Actor {
    Actor::person(Role::Clerk, "clerk-1")
}

pub fn pdf(text: &str) -> Bytes {
    Bytes::from(format!("%PDF-1.7\n% {text}\n%%EOF\n").into_bytes())
}

pub fn two_document_application(n: u64) -> NewApplication {
    application(
        n,
        vec![
            (
                "nosutijums.pdf",
                DocumentKind::Referral088u,
                MediaType::Pdf,
                pdf(&format!("referral {n}")),
            ),
            (
                "izraksts.txt",
                DocumentKind::DischargeSummary,
                MediaType::PlainText,
                Bytes::from(format!(
                    "Izraksts {n}: pacients ārstējies neiroloģijas nodaļā."
                )),
            ),
        ],
    )
}

/// Declares each contract test once per backend: `sqlite::name` and `postgres::name`.
#[macro_export]
macro_rules! contract_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let t = $crate::common::TestStore::new($crate::common::Kind::Sqlite).await.unwrap();
                super::$name(&t).await;
                t.finish().await;
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let Some(t) = $crate::common::TestStore::new($crate::common::Kind::Postgres).await else { return };
                super::$name(&t).await;
                t.finish().await;
            })*
        }
    };
}
