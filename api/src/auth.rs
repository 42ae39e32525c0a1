//! Who is calling. People sign in through an identity provider (the national eID in
//! production, through OIDC; a local stand-in for demos and tests) and get a session cookie;
//! institutions send a bearer token with scopes. One middleware resolves either into the
//! request's [`Caller`] and refuses cookie-authenticated changes without the session's CSRF
//! token.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;

use atzinums_models::{PersonCode, Role};
use atzinums_store::{ApiToken, Session};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::AppState;
use crate::error::ApiError;

pub const SESSION_COOKIE: &str = "atz_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Who a provider says the person is.
#[derive(Clone)]
pub struct Identity {
    pub person_code: PersonCode,
    pub role: Role,
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The person is not signed in: wrong credentials, a refused or forged answer (401).
    #[error("{0}")]
    Rejected(String),
    /// The identity provider cannot be reached or answers nonsense: try again later (503).
    #[error("{0}")]
    Unavailable(String),
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        let status = match e {
            AuthError::Rejected(_) => StatusCode::UNAUTHORIZED,
            AuthError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        };
        ApiError::new(status, e.to_string())
    }
}

/// What the login form or the provider's callback sent (field name → value).
pub type Credentials = BTreeMap<String, String>;

pub type AuthFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, AuthError>> + Send + 'a>>;

/// A sign-in method. The local provider checks a form the person filled in here; a provider
/// that sends the browser away to sign in (the eID through OIDC) says so with
/// [`IdentityProvider::redirect_flow`] and refuses typed credentials.
pub trait IdentityProvider: Send + Sync {
    fn name(&self) -> &str;
    fn verify<'a>(&'a self, credentials: &'a Credentials) -> AuthFuture<'a, Identity>;
    /// The redirect flow, for providers that have one.
    fn redirect_flow(&self) -> Option<&dyn RedirectFlow> {
        None
    }
}

/// Sign-in by sending the browser to the identity provider and back (OIDC authorization code
/// flow). The provider says who the person is; the role they asked for is checked here, against
/// the staff directory, as with the local stand-in.
pub trait RedirectFlow: Send + Sync {
    /// Where to send the browser to sign in as `role`, and what it must bring back.
    fn begin(&self, role: Role) -> AuthFuture<'_, (String, SignInAttempt)>;
    /// Checks what the provider sent back (`code`, `state`) against the attempt.
    fn complete<'a>(
        &'a self,
        attempt: &'a SignInAttempt,
        callback: &'a Credentials,
    ) -> AuthFuture<'a, Identity>;
}

/// What a browser carries, sealed in a cookie, between leaving for the identity provider and
/// coming back: the values that tie the provider's answer to this browser and this attempt.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct SignInAttempt {
    /// Echoed by the provider in the callback (OAuth `state`): the callback is this attempt's.
    pub state: String,
    /// Must come back inside the ID token: the token was issued for this attempt.
    pub nonce: String,
    /// PKCE: only who started the attempt can redeem its code.
    pub code_verifier: String,
    pub role: Role,
    pub expires_at_ms: i64,
}

/// Who may sign in in which role: applicants and representatives are anyone the provider
/// vouches for; staff roles only the codes listed for them.
pub struct StaffDirectory {
    staff: HashMap<String, Role>,
}

impl StaffDirectory {
    pub fn new(staff: impl IntoIterator<Item = (PersonCode, Role)>) -> Self {
        StaffDirectory {
            staff: staff
                .into_iter()
                .map(|(c, r)| (c.as_str().to_string(), r))
                .collect(),
        }
    }

    /// `Ok` when `person_code` may act as `role`; the error names the role, never the person.
    pub fn check(&self, person_code: &PersonCode, role: Role) -> Result<(), AuthError> {
        let allowed = match role {
            Role::Applicant | Role::Representative => true,
            Role::Institution => false,
            staff => self.staff.get(person_code.as_str()) == Some(&staff),
        };
        if allowed {
            Ok(())
        } else {
            Err(AuthError::Rejected(format!(
                "this person may not sign in as {}",
                role.as_str()
            )))
        }
    }
}

/// No sign-in for people: the default until an identity provider is configured (institutions'
/// tokens still work). A service must never fall back to the local stand-in by accident.
pub struct NoIdentityProvider;

impl IdentityProvider for NoIdentityProvider {
    fn name(&self) -> &str {
        "none"
    }

    fn verify<'a>(&'a self, _: &'a Credentials) -> AuthFuture<'a, Identity> {
        Box::pin(async {
            Err(AuthError::Rejected(
                "sign-in is not configured on this service: an operator sets `identity` (\"oidc\" for the eID; \"local\" only for demos and tests)".into(),
            ))
        })
    }
}

/// For demos and tests: anyone may sign in as an applicant or representative with a valid
/// person code; staff roles only for the codes in its directory.
pub struct LocalIdentityProvider {
    directory: StaffDirectory,
}

impl LocalIdentityProvider {
    pub fn new(staff: impl IntoIterator<Item = (PersonCode, Role)>) -> Self {
        LocalIdentityProvider {
            directory: StaffDirectory::new(staff),
        }
    }
}

impl IdentityProvider for LocalIdentityProvider {
    fn name(&self) -> &str {
        "local"
    }

    fn verify<'a>(&'a self, credentials: &'a Credentials) -> AuthFuture<'a, Identity> {
        Box::pin(async move {
            let code = credentials
                .get("person_code")
                .map(|s| s.trim())
                .unwrap_or("");
            let person_code: PersonCode = code
                .parse()
                .map_err(|e| AuthError::Rejected(format!("person code: {e}")))?;
            let role: Role = credentials
                .get("role")
                .map(|s| s.trim())
                .unwrap_or("applicant")
                .parse()
                .map_err(|e| AuthError::Rejected(format!("role: {e}")))?;
            self.directory.check(&person_code, role)?;
            Ok(Identity { person_code, role })
        })
    }
}

/// The caller of a request, as the middleware resolved it.
#[derive(Clone, Debug)]
pub enum Caller {
    Anonymous,
    Person(Session),
    Institution(ApiToken),
}

/// Resolves the caller; refuses a changing request made with a session cookie unless it
/// carries that session's CSRF token (header `X-CSRF-Token`, or `csrf` in the query string for
/// plain HTML forms).
pub async fn authenticate(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let headers = request.headers();
    let caller = if let Some(token) = bearer(headers) {
        match state.store.api_token(token).await? {
            Some(t) => Caller::Institution(t),
            None => {
                return Err(ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "the bearer token is unknown or revoked",
                ));
            }
        }
    } else if let Some(token) = cookie(headers, SESSION_COOKIE) {
        match state.store.session(token).await? {
            Some(session) => {
                let changing = !matches!(
                    *request.method(),
                    Method::GET | Method::HEAD | Method::OPTIONS
                );
                if changing && !csrf_matches(&request, &session.csrf) {
                    return Err(ApiError::new(
                        StatusCode::FORBIDDEN,
                        "missing or wrong CSRF token: reload the page and submit again",
                    ));
                }
                Caller::Person(session)
            }
            None => Caller::Anonymous,
        }
    } else {
        Caller::Anonymous
    };
    request.extensions_mut().insert(caller);
    Ok(next.run(request).await)
}

fn csrf_matches(request: &Request, expected: &str) -> bool {
    let from_header = request
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok());
    let from_query = request.uri().query().and_then(|q| {
        q.split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == "csrf")
            .map(|(_, v)| v)
    });
    from_header
        .or(from_query)
        .is_some_and(|given| constant_time_eq(given.as_bytes(), expected.as_bytes()))
}

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value for the session: not readable by scripts, not sent cross-site.
pub fn session_cookie(token: &str, max_age_secs: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}"
    )
}

/// Extractor: a signed-in person (401 otherwise).
pub struct Person(pub Session);

impl<S: Send + Sync> FromRequestParts<S> for Person {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        match parts.extensions.get::<Caller>() {
            Some(Caller::Person(s)) => Ok(Person(s.clone())),
            Some(Caller::Institution(_)) => Err(ApiError::forbidden("use the person's e-service")),
            _ => Err(ApiError::unauthenticated()),
        }
    }
}

impl Person {
    /// Refuses (403) unless the person's role is one of `roles`.
    pub fn require(&self, roles: &[Role], what: &str) -> Result<(), ApiError> {
        if roles.contains(&self.0.role) {
            Ok(())
        } else {
            Err(ApiError::forbidden(what))
        }
    }
}

/// Extractor: an institution's token (401 otherwise).
pub struct Institution(pub ApiToken);

impl<S: Send + Sync> FromRequestParts<S> for Institution {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        match parts.extensions.get::<Caller>() {
            Some(Caller::Institution(t)) => Ok(Institution(t.clone())),
            Some(Caller::Person(_)) => Err(ApiError::forbidden(
                "read the status service (institutions use a token)",
            )),
            _ => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "send an institution token: Authorization: Bearer TOKEN",
            )),
        }
    }
}
