//! Sign-in through the eID's redirect flow: the browser leaves for the identity provider with
//! a sealed attempt cookie and comes back to the callback, which checks the answer against that
//! cookie before a session starts. The local stand-in's form does not pass through here.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use super::Page;
use crate::AppState;
use crate::auth::{self, Credentials, SignInAttempt};
use crate::error::ApiError;
use crate::routes::session::{client_key, start_for};

/// The attempt cookie; scoped to the callback's path, gone after it.
const ATTEMPT_COOKIE: &str = "atz_eid";
pub const START_PATH: &str = "/pieslegties/eid";
const CALLBACK_PATH: &str = "/pieslegties/eid/atpakal";

pub fn router() -> Router<AppState> {
    Router::new()
        .route(START_PATH, get(start))
        .route(CALLBACK_PATH, get(callback))
}

fn no_redirect_flow() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "this service does not sign people in through eID: use the form on the start page",
    )
}

/// `GET /pieslegties/eid?role=…`: off to the identity provider.
async fn start(
    State(state): State<AppState>,
    page: Page,
    extensions: axum::http::Extensions,
    Query(query): Query<Credentials>,
) -> Response {
    let Some(flow) = state.idp.redirect_flow() else {
        return page.error(no_redirect_flow());
    };
    if let Err(e) = state.limits.sign_in.check(&client_key(&extensions)) {
        return page.error(e);
    }
    let role = match query
        .get("role")
        .map_or(Ok(atzinums_models::Role::Applicant), |r| r.parse())
    {
        Ok(role) => role,
        Err(e) => return page.error(ApiError::new(StatusCode::BAD_REQUEST, format!("role: {e}"))),
    };
    let (url, attempt) = match flow.begin(role).await {
        Ok(started) => started,
        Err(e) => return page.error(e.into()),
    };
    let sealed = state
        .store
        .seal_for_browser(&serde_json::to_vec(&attempt).expect("an attempt serialises"));
    let max_age = (attempt.expires_at_ms - chrono::Utc::now().timestamp_millis()).max(0) / 1000;
    // SameSite=Lax: the cookie must come back on the provider's top-level redirect to us.
    let cookie = attempt_cookie(&sealed, max_age, state.config.secure_cookies);
    ([(header::SET_COOKIE, cookie)], Redirect::to(&url)).into_response()
}

/// `GET /pieslegties/eid/atpakal?code=…&state=…` (or `error=…`): back from the provider.
async fn callback(
    State(state): State<AppState>,
    page: Page,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
    Query(answer): Query<Credentials>,
) -> Response {
    let Some(flow) = state.idp.redirect_flow() else {
        return page.error(no_redirect_flow());
    };
    if let Err(e) = state.limits.eid_callback.check(&client_key(&extensions)) {
        return page.error(e);
    }
    // The attempt is used once, whatever the outcome.
    let cleared = attempt_cookie("", 0, state.config.secure_cookies);
    let attempt: Option<SignInAttempt> = auth::cookie(&headers, ATTEMPT_COOKIE)
        .and_then(|sealed| state.store.open_from_browser(sealed))
        .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    let Some(attempt) = attempt else {
        let e = ApiError::new(
            StatusCode::BAD_REQUEST,
            "this browser did not start a sign-in here, or it expired: start again from the start page",
        );
        return ([(header::SET_COOKIE, cleared)], page.error(e)).into_response();
    };
    let signed_in = match flow.complete(&attempt, &answer).await {
        Ok(identity) => start_for(&state, &identity).await,
        Err(e) => Err(e.into()),
    };
    match signed_in {
        Ok((session, _)) => {
            let mut response = Redirect::to("/").into_response();
            let headers = response.headers_mut();
            for cookie in [session, cleared] {
                headers.append(header::SET_COOKIE, cookie.parse().expect("a valid cookie"));
            }
            response
        }
        Err(e) => {
            tracing::info!(status = e.status.as_u16(), "eID sign-in refused");
            ([(header::SET_COOKIE, cleared)], page.error(e)).into_response()
        }
    }
}

fn attempt_cookie(value: &str, max_age_s: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{ATTEMPT_COOKIE}={value}; Path={CALLBACK_PATH}; HttpOnly; SameSite=Lax; Max-Age={max_age_s}{secure}"
    )
}
