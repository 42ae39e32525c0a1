//! The append-only audit log, hash-chained entry to entry.
//!
//! Each entry's hash covers the previous entry's hash and all of its own fields, so altering,
//! deleting or reordering rows breaks the chain; the head row (last seq and hash, updated in the
//! same transaction) also reveals rows cut from the end. Triggers refuse UPDATE and DELETE, so
//! tampering needs someone who can drop them; `verify` finds it even then. Protecting the head
//! itself needs an anchor outside the database (e.g. the head hash published daily): see
//! ARCHITECTURE.md. Entries name actors by id and subjects by case id: never personal data.

use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;

use tokio::sync::{mpsc, oneshot};

use crate::db::{Db, with_db};
use crate::error::StoreError;
use crate::{Actor, Store};

pub(crate) const GENESIS_HASH: &str =
    "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit entry as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub at_ms: i64,
    pub actor_role: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    /// JSON object with non-personal details (ids, counts, reasons).
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The result of checking the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum AuditVerdict {
    Intact {
        entries: i64,
    },
    /// The first place where the chain does not hold, and why.
    Broken {
        at_seq: i64,
        problem: String,
    },
}

/// Hash of one entry: `text` is `[actor_role, actor, action, subject, details]`.
pub(crate) fn entry_hash(prev_hash: &str, seq: i64, at_ms: i64, text: [&str; 5]) -> String {
    let mut h = Sha256::new();
    // Length-prefixed fields: no two different entries serialise to the same bytes.
    let numbers = [seq.to_string(), at_ms.to_string()];
    let fields = [prev_hash, &numbers[0], &numbers[1]]
        .into_iter()
        .chain(text);
    for field in fields {
        h.update((field.len() as u64).to_be_bytes());
        h.update(field.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Appends an audit entry inside the caller's write transaction (`$tx`: `&mut Transaction`).
/// Taking the head row first serialises appends on both backends.
macro_rules! append_audit {
    ($tx:expr, $actor:expr, $action:expr, $subject:expr, $details:expr) => {{
        let actor: &$crate::Actor = $actor;
        let action: &str = $action;
        let subject: &str = $subject;
        let details: String = $details.to_string();
        let at = $crate::now_ms();
        let head = sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
            .fetch_one(&mut **$tx)
            .await?;
        let seq: i64 = sqlx::Row::try_get(&head, "seq")?;
        let prev: String = sqlx::Row::try_get(&head, "hash")?;
        let role = actor.role_name();
        let hash = $crate::audit::entry_hash(&prev, seq, at, [role, &actor.id, action, subject, &details]);
        sqlx::query(
            "INSERT INTO audit_log (seq, at, actor_role, actor, action, subject, details, prev_hash, hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(seq).bind(at).bind(role).bind(&actor.id).bind(action).bind(subject)
        .bind(&details).bind(&prev).bind(&hash)
        .execute(&mut **$tx)
        .await?;
        sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1").bind(&hash).execute(&mut **$tx).await?;
    }};
}
pub(crate) use append_audit;

/// An entry waiting for the group commit, and who waits for it.
struct Pending {
    actor: Actor,
    action: String,
    subject: String,
    details: serde_json::Value,
    written: oneshot::Sender<Result<(), String>>,
}

/// Most entries one transaction takes.
const GROUP_MAX: usize = 512;

/// Group commit of audit entries that stand alone (reads by people and institutions): each
/// caller still returns only once its entry is durable, but the entries that arrive while one
/// transaction commits share the next one, so a busy status service pays one fsync per group,
/// not per read. No entry waits for a timer: a lone read commits at once.
#[derive(Clone)]
pub(crate) struct AuditWriter {
    queue: mpsc::Sender<Pending>,
}

impl AuditWriter {
    /// Starts the writer task on the current runtime; it ends when the last store handle goes.
    pub(crate) fn start(db: Db) -> AuditWriter {
        let (queue, mut incoming) = mpsc::channel::<Pending>(4 * GROUP_MAX);
        tokio::spawn(async move {
            while let Some(first) = incoming.recv().await {
                let mut group = vec![first];
                while group.len() < GROUP_MAX {
                    match incoming.try_recv() {
                        Ok(p) => group.push(p),
                        Err(_) => break,
                    }
                }
                let result = write_group(&db, &group).await.map_err(|e| e.to_string());
                for p in group {
                    let _ = p.written.send(result.clone());
                }
            }
        });
        AuditWriter { queue }
    }
}

async fn write_group(db: &Db, group: &[Pending]) -> Result<(), StoreError> {
    with_db!(db, pool => {
        let mut tx = crate::db::WritePool::begin_write(pool).await?;
        for p in group {
            append_audit!(&mut tx, &p.actor, &p.action, &p.subject, &p.details);
        }
        tx.commit().await?;
    });
    Ok(())
}

impl Store {
    /// Appends one audit entry; returns once it is durable (committed with others that arrived
    /// at the same time).
    pub async fn audit(
        &self,
        actor: &Actor,
        action: &str,
        subject: &str,
        details: serde_json::Value,
    ) -> Result<(), StoreError> {
        let (written, done) = oneshot::channel();
        let pending = Pending {
            actor: actor.clone(),
            action: action.to_string(),
            subject: subject.to_string(),
            details,
            written,
        };
        let lost = || StoreError::AuditWrite("the audit writer has stopped".into());
        self.audit_writer
            .queue
            .send(pending)
            .await
            .map_err(|_| lost())?;
        done.await
            .map_err(|_| lost())?
            .map_err(StoreError::AuditWrite)
    }

    /// Entries with `seq` in `from..=to`, in order.
    pub async fn audit_entries(&self, from: i64, to: i64) -> Result<Vec<AuditEntry>, StoreError> {
        let sql = "SELECT seq, at, actor_role, actor, action, subject, details, prev_hash, hash
             FROM audit_log WHERE seq >= $1 AND seq <= $2 ORDER BY seq";
        with_db!(&self.db, pool => {
            let rows = sqlx::query(sql).bind(from).bind(to).fetch_all(pool).await?;
            rows.iter().map(|r| Ok(AuditEntry {
                seq: r.try_get("seq")?,
                at_ms: r.try_get("at")?,
                actor_role: r.try_get("actor_role")?,
                actor: r.try_get("actor")?,
                action: r.try_get("action")?,
                subject: r.try_get("subject")?,
                details: r.try_get("details")?,
                prev_hash: r.try_get("prev_hash")?,
                hash: r.try_get("hash")?,
            })).collect()
        })
    }

    /// Walks the whole chain in pages and reports the first break, if any.
    pub async fn verify_audit(&self) -> Result<AuditVerdict, StoreError> {
        const PAGE: i64 = 5_000;
        let (head_seq, head_hash): (i64, String) = with_db!(&self.db, pool => {
            let row = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(pool).await?;
            (row.try_get("seq")?, row.try_get("hash")?)
        });
        let mut expected_seq = 1;
        let mut prev = GENESIS_HASH.to_string();
        // Page by seq but read one page past the head too: rows beyond it are tampering as well.
        let mut from = 1;
        loop {
            let page = self.audit_entries(from, from + PAGE - 1).await?;
            let last_page = page.len() < PAGE as usize;
            for e in page {
                if e.seq != expected_seq {
                    let problem = if e.seq > expected_seq {
                        format!("entries {expected_seq}..{} are missing", e.seq - 1)
                    } else {
                        "entries are out of order".to_string()
                    };
                    return Ok(AuditVerdict::Broken {
                        at_seq: expected_seq,
                        problem,
                    });
                }
                if e.prev_hash != prev {
                    return Ok(broken(
                        e.seq,
                        "does not follow the entry before it (reordered or replaced)",
                    ));
                }
                let recomputed = entry_hash(
                    &e.prev_hash,
                    e.seq,
                    e.at_ms,
                    [&e.actor_role, &e.actor, &e.action, &e.subject, &e.details],
                );
                if recomputed != e.hash {
                    return Ok(broken(e.seq, "was altered after it was written"));
                }
                prev = e.hash;
                expected_seq += 1;
            }
            if last_page {
                break;
            }
            from += PAGE;
        }
        let entries = expected_seq - 1;
        if entries != head_seq || prev != head_hash {
            return Ok(AuditVerdict::Broken {
                at_seq: entries.min(head_seq) + 1,
                problem: format!(
                    "the log ends at entry {entries} but the head records {head_seq}: entries were cut from the end or the head was altered"
                ),
            });
        }
        Ok(AuditVerdict::Intact { entries })
    }
}

fn broken(seq: i64, what: &str) -> AuditVerdict {
    AuditVerdict::Broken {
        at_seq: seq,
        problem: format!("entry {seq} {what}"),
    }
}
