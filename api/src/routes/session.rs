//! Signing in and out (JSON). The pages have their own form flow on the same store calls.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::{self, Credentials, Identity, Person, SESSION_COOKIE};
use crate::error::ApiResult;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    /// The personal code (with the local provider; eID supplies it in production).
    pub person_code: String,
    /// `applicant` (default), `representative`, `clerk`, `expert`, `official`, `quality`, `admin`.
    #[serde(default)]
    pub role: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionInfo {
    pub user_id: String,
    pub role: String,
    /// Send as `X-CSRF-Token` with every changing request made with the session cookie.
    pub csrf: String,
    pub expires_at_ms: i64,
}

impl SessionInfo {
    pub fn of(s: &atzinums_store::Session) -> Self {
        SessionInfo {
            user_id: s.user_id.clone(),
            role: s.role.as_str().to_string(),
            csrf: s.csrf.clone(),
            expires_at_ms: s.expires_at_ms,
        }
    }
}

/// The client's address for rate limits (absent in in-process tests).
pub fn client_key(extensions: &axum::http::Extensions) -> String {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "local".into())
}

/// Signs a person in through the identity provider; shared by the JSON API and the pages.
/// Returns the session's `Set-Cookie` value and the session.
pub async fn start(
    state: &AppState,
    client: &str,
    credentials: &Credentials,
) -> ApiResult<(String, atzinums_store::Session)> {
    state.limits.sign_in.check(client)?;
    let identity = state.idp.verify(credentials).await?;
    start_for(state, &identity).await
}

/// Starts the session of a person a provider vouched for (typed credentials or a redirect);
/// returns its `Set-Cookie` value and the session.
pub async fn start_for(
    state: &AppState,
    identity: &Identity,
) -> ApiResult<(String, atzinums_store::Session)> {
    let (token, session) = state
        .store
        .start_session(
            identity.role,
            &identity.person_code,
            state.config.session_ttl,
        )
        .await?;
    let cookie = auth::session_cookie(
        &token,
        state.config.session_ttl.as_secs() as i64,
        state.config.secure_cookies,
    );
    Ok((cookie, session))
}

#[utoipa::path(post, path = "/api/v1/session", tag = "session", request_body = SignIn,
    responses((status = 201, body = SessionInfo), (status = 401, body = crate::Problem), (status = 429, body = crate::Problem), (status = 503, body = crate::Problem)))]
pub async fn sign_in(
    State(state): State<AppState>,
    extensions: axum::http::Extensions,
    Json(body): Json<SignIn>,
) -> ApiResult<Response> {
    let mut credentials = Credentials::new();
    credentials.insert("person_code".into(), body.person_code);
    if let Some(role) = body.role {
        credentials.insert("role".into(), role);
    }
    let (cookie, session) = start(&state, &client_key(&extensions), &credentials).await?;
    Ok((
        StatusCode::CREATED,
        [(header::SET_COOKIE, cookie)],
        Json(SessionInfo::of(&session)),
    )
        .into_response())
}

#[utoipa::path(delete, path = "/api/v1/session", tag = "session",
    responses((status = 204), (status = 401, body = crate::Problem), (status = 403, body = crate::Problem)))]
pub async fn sign_out(
    State(state): State<AppState>,
    _person: Person,
    headers: HeaderMap,
) -> ApiResult<Response> {
    if let Some(token) = auth::cookie(&headers, SESSION_COOKIE) {
        state.store.end_session(token).await?;
    }
    let cleared = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cleared)]).into_response())
}

#[utoipa::path(get, path = "/api/v1/me", tag = "session",
    responses((status = 200, body = SessionInfo), (status = 401, body = crate::Problem)))]
pub async fn me(Person(session): Person) -> Json<SessionInfo> {
    Json(SessionInfo::of(&session))
}
