//! The two SQL backends behind one API.
//!
//! Why native drivers and not sqlx's `Any`: `Any` cannot decode several PostgreSQL types and hides
//! driver errors we classify (unique violations). Instead every query is written once, in the
//! subset of SQL both engines accept (`$N` placeholders, `ON CONFLICT`, `RETURNING`, partial
//! indexes), and [`with_db!`] expands the body once per backend so each gets its native types.

use std::future::Future;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Database, Postgres, Sqlite, Transaction};

use crate::error::StoreError;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// Which database engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the backend's native pool.
macro_rules! with_db {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($pool) => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use with_db;

/// A write transaction that holds the write lock from its first statement.
///
/// SQLite's default `BEGIN` is deferred: a transaction that reads and then writes can fail with
/// `SQLITE_BUSY` without waiting when another writer got in between. `BEGIN IMMEDIATE` waits for
/// the lock up front (bounded by `busy_timeout`). PostgreSQL locks rows as it goes.
pub(crate) trait WritePool {
    type Db: Database;
    fn begin_write(
        &self,
    ) -> impl Future<Output = Result<Transaction<'static, Self::Db>, sqlx::Error>> + Send;
}

impl WritePool for SqlitePool {
    type Db = Sqlite;
    fn begin_write(
        &self,
    ) -> impl Future<Output = Result<Transaction<'static, Sqlite>, sqlx::Error>> + Send {
        self.begin_with("BEGIN IMMEDIATE")
    }
}

impl WritePool for PgPool {
    type Db = Postgres;
    fn begin_write(
        &self,
    ) -> impl Future<Output = Result<Transaction<'static, Postgres>, sqlx::Error>> + Send {
        self.begin()
    }
}

/// An exclusive lock on a file beside the SQLite database, held while opening and migrating it:
/// two processes opening a new database at once (a demo's server and its worker) would
/// otherwise race to switch it to WAL (one gets "database is locked") and both apply the same
/// migration. PostgreSQL needs none: sqlx takes an advisory lock there.
async fn open_lock(db: &Path) -> Result<std::fs::File, StoreError> {
    let mut name = db.as_os_str().to_owned();
    name.push(".open-lock");
    let path = std::path::PathBuf::from(name);
    let failed = |source| StoreError::MigrationLock {
        path: path.display().to_string(),
        source,
    };
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(failed)?;
    // Blocks until the other process has migrated; off the async threads.
    tokio::task::spawn_blocking(move || file.lock().map(|()| file))
        .await
        .map_err(|e| failed(std::io::Error::other(e)))?
        .map_err(failed)
}

impl Db {
    /// Opens (creating if needed) and migrates the database named by `url`:
    /// `sqlite://PATH` or `postgres://…`.
    pub(crate) async fn connect(url: &str) -> Result<Db, StoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(30))
                .connect(url)
                .await
                .map_err(|e| StoreError::Connect {
                    backend: "postgres",
                    source: e,
                })?;
            POSTGRES_MIGRATIONS
                .run(&pool)
                .await
                .map_err(StoreError::Migrate)?;
            Ok(Db::Postgres(pool))
        } else if let Some(path) = url.strip_prefix("sqlite://") {
            Self::open_sqlite(Path::new(path)).await
        } else {
            Err(StoreError::UnsupportedUrl)
        }
    }

    async fn open_sqlite(path: &Path) -> Result<Db, StoreError> {
        // Held until connected and migrated; see `open_lock`.
        let lock = open_lock(path).await?;
        let options = SqliteConnectOptions::from_str("sqlite://")
            .map_err(|e| StoreError::Connect {
                backend: "sqlite",
                source: e,
            })?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: an acknowledged submission survives power loss, not only a crash.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(60))
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Connect {
                backend: "sqlite",
                source: e,
            })?;
        SQLITE_MIGRATIONS
            .run(&pool)
            .await
            .map_err(StoreError::Migrate)?;
        drop(lock);
        Ok(Db::Sqlite(pool))
    }

    pub(crate) fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    pub(crate) async fn close(&self) {
        with_db!(self, pool => pool.close().await)
    }
}
