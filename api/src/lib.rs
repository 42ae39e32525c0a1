//! `atzinums-api`: the HTTP service. One router serves the unified e-service (applicants,
//! representatives, branch clerks), the expert workspace, the deciding official's signing,
//! and the status service other institutions read with a token; both as a JSON API (described
//! by `/openapi.json`) and as server-rendered pages.
//!
//! Business rules live in the store and the models (who may move a case where, deadlines);
//! this crate checks roles, shapes requests and responses, and keeps personal data out of URLs
//! and logs.

pub mod auth;
pub mod error;
pub mod limits;
pub mod oidc;
pub mod openapi;
mod pages;
mod routes;

use std::sync::Arc;
use std::time::Duration;

use atzinums_store::Store;
use axum::Router;
use axum::extract::DefaultBodyLimit;

pub use auth::{IdentityProvider, LocalIdentityProvider, NoIdentityProvider};
pub use error::{ApiError, Problem};
pub use oidc::{OidcConfig, OidcProvider};

/// Settings of the HTTP service.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// The largest document accepted (413 above it).
    pub max_document_bytes: u64,
    /// The most documents in one upload.
    pub max_documents: usize,
    /// Mark cookies `Secure` (off only for plain-HTTP local use).
    pub secure_cookies: bool,
    pub session_ttl: Duration,
    /// How long an expert's claim on a case lasts without activity.
    pub review_lease: Duration,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            max_document_bytes: atzinums_store::DEFAULT_MAX_DOCUMENT_BYTES,
            max_documents: 20,
            secure_cookies: true,
            session_ttl: Duration::from_secs(8 * 3600),
            review_lease: Duration::from_secs(30 * 60),
        }
    }
}

/// Limits on what callers may try how often.
pub struct Limits {
    pub sign_in: limits::RateLimit,
    /// Answers from the eID provider: each may cost a token request under this service's
    /// client secret, so replays of one sealed attempt with made-up codes are limited too.
    pub eid_callback: limits::RateLimit,
    pub upload: limits::RateLimit,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            sign_in: limits::RateLimit::new("sign-in", 20, Duration::from_secs(60)),
            eid_callback: limits::RateLimit::new("eID answer", 20, Duration::from_secs(60)),
            upload: limits::RateLimit::new("upload", 30, Duration::from_secs(3600)),
        }
    }
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub idp: Arc<dyn IdentityProvider>,
    pub config: Arc<ApiConfig>,
    pub limits: Arc<Limits>,
}

impl AppState {
    pub fn new(store: Store, idp: Arc<dyn IdentityProvider>, config: ApiConfig) -> Self {
        AppState {
            store,
            idp,
            config: Arc::new(config),
            limits: Arc::new(Limits::default()),
        }
    }
}

/// Headers every response carries: no content sniffing (uploaded documents are served back),
/// no framing, no referrer (form actions carry the CSRF token), and pages that load nothing
/// from elsewhere.
async fn security_headers(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'"),
    );
    response
}

/// Errors the API did not write itself — axum's rejections of a malformed path, query or body,
/// an unknown route, a method not allowed, the body limit — as problem+json like every other
/// error of `/api/`, with the rejection's message as the detail.
async fn api_errors_as_problems(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    let api = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if !api || is_problem || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 16 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let detail = match text.is_empty() {
        true => status.canonical_reason().unwrap_or("error").to_lowercase(),
        false => text,
    };
    let mut problem = error::ApiError::new(status, detail).into_response();
    // Keep what the rejection said about the request (e.g. `Allow` on a 405).
    for (name, value) in parts.headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            problem.headers_mut().insert(name.clone(), value.clone());
        }
    }
    problem
}

/// The whole service.
pub fn router(state: AppState) -> Router {
    // Room for the most documents at the largest size, plus the form.
    let body_limit =
        state.config.max_document_bytes as usize * state.config.max_documents + (1 << 20);
    routes::router()
        .merge(pages::router())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn(api_errors_as_problems))
        .layer(axum::middleware::from_fn(security_headers))
        .with_state(state)
}
