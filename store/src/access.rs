//! Who may come in: people's sessions (after the identity provider said who they are),
//! institutions' API tokens, and which cases a person may see as their own.
//!
//! Secrets handed out (cookie values, tokens) are random 256-bit values; only their SHA-256 is
//! stored, so reading the database does not let anyone act as a user.

use std::time::Duration;

use atzinums_models::{PersonCode, Role};
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::audit::append_audit;
use crate::cases::parse;
use crate::db::{WritePool, with_db};
use crate::error::StoreError;
use crate::{Actor, Store, now_ms};

/// A signed-in person, as each request sees them.
#[derive(Clone)]
pub struct Session {
    /// Pseudonymous and stable per person: what audit entries and claims name.
    pub user_id: String,
    pub role: Role,
    /// The person's own code: applicants and representatives act with it.
    pub person_code: PersonCode,
    /// Echoed by every form and every cookie-authenticated change (CSRF protection).
    pub csrf: String,
    pub expires_at_ms: i64,
}

impl Session {
    pub fn actor(&self) -> Actor {
        Actor::person(self.role, self.user_id.clone())
    }
}

impl std::fmt::Debug for Session {
    // The personal code stays out of logs and panics.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("user_id", &self.user_id)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// An institution's token, once checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub institution: String,
    pub scopes: Vec<String>,
}

impl ApiToken {
    pub fn allows(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    pub fn actor(&self) -> Actor {
        Actor::person(Role::Institution, self.institution.clone())
    }
}

/// A fresh random secret, hex.
fn new_secret() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

impl Store {
    /// The pseudonymous user id of a person: a keyed hash of their code, so it is stable across
    /// sessions and says nothing without the key.
    pub fn user_id_of(&self, person_code: &PersonCode) -> String {
        let lookup = self.keys.person_lookup(person_code.as_str());
        format!("u-{}", &lookup[..20])
    }

    /// Starts a session for a person the identity provider vouched for; returns the cookie
    /// value (shown once, stored only as a hash) and the session.
    pub async fn start_session(
        &self,
        role: Role,
        person_code: &PersonCode,
        ttl: Duration,
    ) -> Result<(String, Session), StoreError> {
        let token = new_secret();
        let now = now_ms();
        let session = Session {
            user_id: self.user_id_of(person_code),
            role,
            person_code: person_code.clone(),
            csrf: new_secret(),
            expires_at_ms: now + ttl.as_millis() as i64,
        };
        let sealed = self
            .keys
            .seal_personal(person_code.as_str().as_bytes(), "session_person");
        let actor = session.actor();
        with_db!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            // Expired sessions go as new ones come: the table stays the size of who is signed in.
            sqlx::query("DELETE FROM sessions WHERE expires_at < $1").bind(now).execute(&mut *tx).await?;
            sqlx::query(
                "INSERT INTO sessions (token_hash, user_id, role, person_sealed, csrf, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(secret_hash(&token)).bind(&session.user_id).bind(role.as_str()).bind(&sealed)
            .bind(&session.csrf).bind(now).bind(session.expires_at_ms)
            .execute(&mut *tx).await?;
            append_audit!(&mut tx, &actor, "session.start", &session.user_id, serde_json::json!({}));
            tx.commit().await?;
        });
        Ok((token, session))
    }

    /// The live session a cookie value belongs to; `None` when unknown or expired.
    pub async fn session(&self, token: &str) -> Result<Option<Session>, StoreError> {
        let row = with_db!(&self.db, pool => {
            sqlx::query(
                "SELECT user_id, role, person_sealed, csrf, expires_at FROM sessions
                 WHERE token_hash = $1 AND expires_at >= $2",
            )
            .bind(secret_hash(token)).bind(now_ms())
            .fetch_optional(pool).await?
            .map(|r| -> Result<_, StoreError> {
                Ok((
                    r.try_get::<String, _>("user_id")?,
                    r.try_get::<String, _>("role")?,
                    r.try_get::<Vec<u8>, _>("person_sealed")?,
                    r.try_get::<String, _>("csrf")?,
                    r.try_get::<i64, _>("expires_at")?,
                ))
            })
            .transpose()?
        });
        let Some((user_id, role, sealed, csrf, expires_at_ms)) = row else {
            return Ok(None);
        };
        let code = String::from_utf8(self.keys.open_personal(&sealed, "session_person")?)
            .map_err(|_| StoreError::corrupt("sessions.person_sealed", "not UTF-8"))?;
        Ok(Some(Session {
            user_id,
            role: parse("sessions.role", &role)?,
            person_code: parse("sessions.person_sealed", &code)?,
            csrf,
            expires_at_ms,
        }))
    }

    /// Seals what a browser carries through a sign-in at the identity provider (state, nonce,
    /// PKCE verifier): encrypted and authenticated with a key derived from the master key for
    /// this alone (anyone may start a sign-in; the personal-data key is not theirs to use), so
    /// every instance can check it and the browser can neither read nor change it. Hex, for a
    /// cookie.
    pub fn seal_for_browser(&self, plaintext: &[u8]) -> String {
        hex::encode(self.keys.seal_browser(plaintext))
    }

    /// Opens [`Store::seal_for_browser`]'s output; `None` when it was altered, sealed with
    /// another key, or is not hex.
    pub fn open_from_browser(&self, sealed: &str) -> Option<Vec<u8>> {
        let bytes = hex::decode(sealed).ok()?;
        self.keys.open_browser(&bytes).ok()
    }

    /// Ends a session (sign-out). Unknown tokens are fine: the result is the same.
    pub async fn end_session(&self, token: &str) -> Result<(), StoreError> {
        with_db!(&self.db, pool => {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(secret_hash(token)).execute(pool).await?;
        });
        Ok(())
    }

    /// Issues an institution a token with `scopes`; returns it (shown once).
    pub async fn issue_api_token(
        &self,
        institution: &str,
        scopes: &[&str],
        issued_by: &Actor,
    ) -> Result<String, StoreError> {
        if institution.trim().is_empty() || institution.len() > 100 {
            return Err(
                crate::InputError::new("institution", "must be 1 to 100 characters").into(),
            );
        }
        if let Some(bad) = scopes
            .iter()
            .find(|s| s.is_empty() || s.contains(char::is_whitespace))
        {
            return Err(crate::InputError::new(
                "scopes",
                format!("{bad:?} is not a scope (one word, e.g. status:read)"),
            )
            .into());
        }
        let token = new_secret();
        with_db!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "INSERT INTO api_tokens (token_hash, institution, scopes, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(secret_hash(&token)).bind(institution).bind(scopes.join(" ")).bind(now_ms())
            .execute(&mut *tx).await?;
            append_audit!(&mut tx, issued_by, "token.issue", institution, serde_json::json!({ "scopes": scopes }));
            tx.commit().await?;
        });
        Ok(token)
    }

    /// The institution a bearer token belongs to; `None` when unknown or revoked.
    pub async fn api_token(&self, token: &str) -> Result<Option<ApiToken>, StoreError> {
        with_db!(&self.db, pool => {
            let row = sqlx::query(
                "SELECT institution, scopes FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
            )
            .bind(secret_hash(token)).fetch_optional(pool).await?;
            row.map(|r| -> Result<ApiToken, StoreError> {
                let scopes: String = r.try_get("scopes")?;
                Ok(ApiToken {
                    institution: r.try_get("institution")?,
                    scopes: scopes.split_whitespace().map(str::to_string).collect(),
                })
            })
            .transpose()
        })
    }

    /// Whether a case is the person's own: they are its applicant, or they submitted it for
    /// someone (a representative).
    pub async fn case_is_own(
        &self,
        case_id: &str,
        person_code: &PersonCode,
    ) -> Result<bool, StoreError> {
        let lookup = self.keys.person_lookup(person_code.as_str());
        let user_id = self.user_id_of(person_code);
        with_db!(&self.db, pool => {
            let found: Option<i32> = sqlx::query_scalar(
                "SELECT 1 FROM cases c JOIN applications a ON a.id = c.application_id
                 JOIN persons p ON p.id = a.person_id
                 WHERE c.id = $1 AND (p.code_lookup = $2 OR a.submitted_by = $3)",
            )
            .bind(case_id).bind(&lookup).bind(&user_id)
            .fetch_optional(pool).await?;
            Ok(found.is_some())
        })
    }

    /// Cases a person submitted for others (as a representative), newest first.
    pub async fn cases_submitted_by(&self, user_id: &str) -> Result<Vec<String>, StoreError> {
        with_db!(&self.db, pool => {
            Ok(sqlx::query_scalar(
                "SELECT c.id FROM cases c JOIN applications a ON a.id = c.application_id
                 WHERE a.submitted_by = $1 ORDER BY a.submitted_at DESC, c.id DESC",
            )
            .bind(user_id).fetch_all(pool).await?)
        })
    }
}
