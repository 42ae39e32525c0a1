//! Errors of the store. Messages name what was wrong and what to do; they never carry personal
//! data (no personal codes, names or document text).

use atzinums_models::status::IllegalTransition;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot connect to the {backend} database: {source}")]
    Connect {
        backend: &'static str,
        #[source]
        source: sqlx::Error,
    },
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("cannot lock {path} to migrate the database: {source}")]
    MigrationLock {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("unsupported database URL: use sqlite://PATH or postgres://USER@HOST/DB")]
    UnsupportedUrl,
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("blob storage error: {0}")]
    Blob(#[from] object_store::Error),
    #[error(transparent)]
    Crypto(#[from] crate::crypto::CryptoError),
    #[error(transparent)]
    Invalid(#[from] InputError),
    #[error("{what} is not part of this build; rebuild with `--features {feature}`")]
    NotBuiltIn {
        what: &'static str,
        feature: &'static str,
    },
    #[error("a {role} may not {action}")]
    Forbidden {
        action: &'static str,
        role: &'static str,
    },
    #[error("{what} not found")]
    NotFound { what: &'static str },
    #[error(
        "idempotency key was already used for a different submission; \
         use a new key for a new application"
    )]
    IdempotencyConflict,
    #[error(transparent)]
    IllegalTransition(#[from] IllegalTransition),
    #[error("the case changed while this change was being made; reload it and try again")]
    Conflict,
    #[error("the job's lease was lost (it expired and the job was handed to another worker)")]
    LeaseLost,
    #[error("document {sha256} is damaged in storage: its content no longer matches its hash")]
    BlobCorrupt { sha256: String },
    #[error("the audit log could not be written ({0}); nothing was shown")]
    AuditWrite(String),
    #[error("stored data is malformed in {field}: {message}")]
    Corrupt {
        field: &'static str,
        message: String,
    },
}

/// Bad input from a person or another system: names the field and the rule broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {rule}")]
pub struct InputError {
    /// Path of the offending field, e.g. `documents[1].media_type`.
    pub field: String,
    /// The rule, in words a clerk or applicant can act on.
    pub rule: String,
}

impl InputError {
    pub fn new(field: impl Into<String>, rule: impl Into<String>) -> Self {
        InputError {
            field: field.into(),
            rule: rule.into(),
        }
    }
}

impl StoreError {
    pub(crate) fn corrupt(field: &'static str, message: impl ToString) -> Self {
        StoreError::Corrupt {
            field,
            message: message.to_string(),
        }
    }

    pub(crate) fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Database(e)
            if e.as_database_error().is_some_and(|d| d.is_unique_violation()))
    }
}
