//! Sign-in through an OpenID Connect provider (the national eID in production): the
//! authorization code flow with PKCE, a nonce and a state bound to the browser, and the ID
//! token's RS256 signature and claims checked here. The provider says who the person is; which
//! role they may take is this service's staff directory's answer, as with the local stand-in.

mod endpoints;
mod id_token;

use std::time::{Duration, Instant};

use atzinums_models::{PersonCode, Role};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::sync::{OnceCell, RwLock};

use crate::auth::{
    AuthError, AuthFuture, Credentials, Identity, IdentityProvider, RedirectFlow, SignInAttempt,
    StaffDirectory, constant_time_eq,
};
use endpoints::{ClientCredentials, Endpoints};
pub use id_token::IdTokenError;

/// A signing key unknown to the cached set makes the keys be read again, but not more often
/// than this: tokens naming keys the provider does not publish cannot make every sign-in read
/// them.
const KEY_REFRESH_MIN_INTERVAL: Duration = Duration::from_secs(30);
/// Keys older than this are read again before use: a key the provider withdrew stops being
/// trusted within the hour, not at the next restart.
const KEY_MAX_AGE: Duration = Duration::from_secs(3600);

/// How this service is registered with the provider (the `[oidc]` section of the
/// configuration).
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct OidcConfig {
    /// The provider's issuer identifier; its discovery document is read from under it.
    pub issuer: String,
    pub client_id: String,
    /// For a confidential client; `None` for a public one (PKCE alone). Prefer the environment
    /// (`ATZINUMS_OIDC__CLIENT_SECRET`) to a config file.
    pub client_secret: Option<String>,
    /// This service's callback, `…/pieslegties/eid/atpakal`, exactly as registered.
    pub redirect_uri: String,
    /// Space-separated; must include `openid`.
    #[serde(default = "default_scopes")]
    pub scopes: String,
    /// The ID token claim that holds the personal code.
    #[serde(default = "default_person_code_claim")]
    pub person_code_claim: String,
    /// How long a person has to sign in at the provider, in seconds.
    #[serde(default = "default_attempt_secs")]
    pub attempt_secs: u64,
}

fn default_scopes() -> String {
    "openid".into()
}

fn default_person_code_claim() -> String {
    "sub".into()
}

fn default_attempt_secs() -> u64 {
    600
}

impl OidcConfig {
    /// A registration with the defaults for everything but what identifies it.
    pub fn new(issuer: &str, client_id: &str, redirect_uri: &str) -> Self {
        OidcConfig {
            issuer: issuer.into(),
            client_id: client_id.into(),
            client_secret: None,
            redirect_uri: redirect_uri.into(),
            scopes: default_scopes(),
            person_code_claim: default_person_code_claim(),
            attempt_secs: default_attempt_secs(),
        }
    }
}

impl std::fmt::Debug for OidcConfig {
    // The client secret never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcConfig")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("redirect_uri", &self.redirect_uri)
            .field("scopes", &self.scopes)
            .field("person_code_claim", &self.person_code_claim)
            .field("attempt_secs", &self.attempt_secs)
            .finish()
    }
}

struct KeyCache {
    keys: Vec<id_token::SigningKey>,
    fetched: Option<Instant>,
}

pub struct OidcProvider {
    config: OidcConfig,
    directory: StaffDirectory,
    http: reqwest::Client,
    /// Read on first use and kept; a failed read is retried at the next sign-in, so the
    /// service starts (institutions' status reads work) while the provider is unreachable.
    endpoints: OnceCell<Endpoints>,
    keys: RwLock<KeyCache>,
}

impl OidcProvider {
    pub fn new(
        config: OidcConfig,
        staff: impl IntoIterator<Item = (PersonCode, Role)>,
    ) -> Result<Self, String> {
        if !config.scopes.split_whitespace().any(|s| s == "openid") {
            return Err("oidc.scopes must include \"openid\"".into());
        }
        for (name, url) in [
            ("oidc.issuer", &config.issuer),
            ("oidc.redirect_uri", &config.redirect_uri),
        ] {
            endpoints::check_url(name, url)?;
        }
        Ok(OidcProvider {
            http: endpoints::http_client()?,
            directory: StaffDirectory::new(staff),
            endpoints: OnceCell::new(),
            keys: RwLock::new(KeyCache {
                keys: Vec::new(),
                fetched: None,
            }),
            config,
        })
    }

    async fn endpoints(&self) -> Result<&Endpoints, AuthError> {
        self.endpoints
            .get_or_try_init(|| endpoints::discover(&self.http, &self.config.issuer))
            .await
            .map_err(unavailable)
    }

    /// Verifies the ID token with the cached keys; when it names a key the cache lacks (the
    /// provider rotated its keys, or this is the first sign-in), the keys are read again if
    /// they were not just now, and the token is tried once more with whatever the cache holds
    /// then (a concurrent sign-in may have just read them).
    async fn verify_id_token(
        &self,
        token: &str,
        nonce: &str,
    ) -> Result<serde_json::Map<String, Value>, AuthError> {
        let expected = id_token::Expected {
            issuer: &self.config.issuer,
            client_id: &self.config.client_id,
            nonce,
            now_s: chrono::Utc::now().timestamp(),
        };
        let stale = self
            .keys
            .read()
            .await
            .fetched
            .is_some_and(|at| at.elapsed() > KEY_MAX_AGE);
        if stale {
            self.refresh_keys().await?;
        }
        let first = id_token::verify(token, &self.keys.read().await.keys, &expected);
        match first {
            Err(IdTokenError::UnknownKey) => {
                self.refresh_keys().await?;
                id_token::verify(token, &self.keys.read().await.keys, &expected)
            }
            other => other,
        }
        .map_err(|e| AuthError::Rejected(e.to_string()))
    }

    /// Reads the signing keys again unless that was done moments ago.
    async fn refresh_keys(&self) -> Result<(), AuthError> {
        let jwks_uri = &self.endpoints().await?.jwks_uri;
        let mut cache = self.keys.write().await;
        if cache
            .fetched
            .is_some_and(|at| at.elapsed() < KEY_REFRESH_MIN_INTERVAL)
        {
            return Ok(());
        }
        cache.keys = endpoints::signing_keys(&self.http, jwks_uri)
            .await
            .map_err(unavailable)?;
        cache.fetched = Some(Instant::now());
        Ok(())
    }

    fn person_code(
        &self,
        claims: &serde_json::Map<String, Value>,
    ) -> Result<PersonCode, AuthError> {
        let claim = &self.config.person_code_claim;
        claims
            .get(claim)
            .and_then(Value::as_str)
            .ok_or_else(|| AuthError::Rejected(format!("the ID token has no `{claim}` claim")))?
            .parse()
            .map_err(|_| {
                AuthError::Rejected(format!("the ID token's `{claim}` is not a personal code"))
            })
    }
}

fn unavailable(e: String) -> AuthError {
    AuthError::Unavailable(format!("the identity provider: {e}"))
}

/// 32 random bytes, base64url: a state, a nonce or a PKCE verifier (43 characters).
fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

impl IdentityProvider for OidcProvider {
    fn name(&self) -> &str {
        "oidc"
    }

    fn verify<'a>(&'a self, _: &'a Credentials) -> AuthFuture<'a, Identity> {
        Box::pin(async {
            Err(AuthError::Rejected(
                "this service signs people in through eID: open /pieslegties/eid?role=applicant in a browser".into(),
            ))
        })
    }

    fn redirect_flow(&self) -> Option<&dyn RedirectFlow> {
        Some(self)
    }
}

impl RedirectFlow for OidcProvider {
    fn begin(&self, role: Role) -> AuthFuture<'_, (String, SignInAttempt)> {
        Box::pin(async move {
            if role == Role::Institution {
                return Err(AuthError::Rejected(
                    "institutions use an API token, not a sign-in".into(),
                ));
            }
            let endpoints = self.endpoints().await?;
            let attempt = SignInAttempt {
                state: random_token(),
                nonce: random_token(),
                code_verifier: random_token(),
                role,
                expires_at_ms: chrono::Utc::now().timestamp_millis()
                    + self.config.attempt_secs as i64 * 1000,
            };
            let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(&attempt.code_verifier));
            let mut url = reqwest::Url::parse(&endpoints.authorization_endpoint).map_err(|e| {
                unavailable(format!("its authorization endpoint is not a URL: {e}"))
            })?;
            url.query_pairs_mut()
                .append_pair("response_type", "code")
                .append_pair("client_id", &self.config.client_id)
                .append_pair("redirect_uri", &self.config.redirect_uri)
                .append_pair("scope", &self.config.scopes)
                .append_pair("state", &attempt.state)
                .append_pair("nonce", &attempt.nonce)
                .append_pair("code_challenge", &challenge)
                .append_pair("code_challenge_method", "S256");
            Ok((url.into(), attempt))
        })
    }

    fn complete<'a>(
        &'a self,
        attempt: &'a SignInAttempt,
        callback: &'a Credentials,
    ) -> AuthFuture<'a, Identity> {
        Box::pin(async move {
            let state = callback.get("state").map(String::as_str).unwrap_or("");
            if !constant_time_eq(state.as_bytes(), attempt.state.as_bytes()) {
                return Err(AuthError::Rejected(
                    "this answer from the identity provider belongs to another sign-in (state): start again".into(),
                ));
            }
            if attempt.expires_at_ms < chrono::Utc::now().timestamp_millis() {
                return Err(AuthError::Rejected(
                    "the sign-in took too long: start again".into(),
                ));
            }
            if let Some(error) = callback.get("error") {
                let error = endpoints::safe_error_code(error);
                return Err(AuthError::Rejected(format!(
                    "the identity provider did not sign the person in ({error})"
                )));
            }
            let code = callback
                .get("code")
                .filter(|c| !c.is_empty())
                .ok_or_else(|| AuthError::Rejected("the provider's answer has no code".into()))?;
            let endpoints = self.endpoints().await?;
            let client = ClientCredentials {
                client_id: &self.config.client_id,
                client_secret: self.config.client_secret.as_deref(),
                redirect_uri: &self.config.redirect_uri,
            };
            let token = endpoints::redeem_code(
                &self.http,
                &endpoints.token_endpoint,
                &client,
                code,
                &attempt.code_verifier,
            )
            .await?;
            let claims = self.verify_id_token(&token, &attempt.nonce).await?;
            let person_code = self.person_code(&claims)?;
            self.directory.check(&person_code, attempt.role)?;
            Ok(Identity {
                person_code,
                role: attempt.role,
            })
        })
    }
}
