//! Server-rendered pages over the same calls as the JSON API: they work without JavaScript,
//! speak Latvian by default (English with `?lang=en`), and carry the session's CSRF token in
//! every form's action. Markup is plain, labelled and landmarked for screen readers.

mod applicant;
mod document;
mod eid;
pub mod i18n;
mod my_data;
mod quality;
mod second_reading;
mod workspace;

use atzinums_models::Role;
use atzinums_store::Session;
use axum::Router;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{DOCTYPE, Markup, html};

use crate::AppState;
use crate::auth::{self, Caller, Credentials, SESSION_COOKIE};
use crate::error::ApiError;
use i18n::{Lang, T, t};

const LOGIN_COOKIE: &str = "atz_login";
const LANG_COOKIE: &str = "atz_lang";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/pieslegties", post(sign_in))
        .route("/atslegties", post(sign_out))
        .merge(eid::router())
        .merge(applicant::router())
        .merge(workspace::router())
        .merge(document::router())
        .merge(my_data::router())
        .merge(quality::router())
        .merge(second_reading::router())
}

/// What every page handler knows about the request.
pub struct Page {
    pub lang: Lang,
    pub session: Option<Session>,
}

/// Every page handler takes the page context as an extractor (it never fails).
impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Page {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        let caller = parts
            .extensions
            .get::<Caller>()
            .cloned()
            .unwrap_or(Caller::Anonymous);
        Ok(Page::from(&parts.headers, parts.uri.query(), &caller))
    }
}

impl Page {
    pub fn from(headers: &HeaderMap, query: Option<&str>, caller: &Caller) -> Page {
        let asked = query.and_then(|q| {
            q.split('&')
                .filter_map(|kv| kv.split_once('='))
                .find(|(k, _)| *k == "lang")
                .map(|(_, v)| v.to_string())
        });
        let lang = match asked
            .as_deref()
            .or_else(|| auth::cookie(headers, LANG_COOKIE))
        {
            Some("en") => Lang::En,
            _ => Lang::Lv,
        };
        let session = match caller {
            Caller::Person(s) => Some(s.clone()),
            _ => None,
        };
        Page { lang, session }
    }

    pub fn t(&self, text: T) -> &'static str {
        t(self.lang, text)
    }

    /// A coded value for people: its Latvian name, or in English its identifier in words
    /// (`disability_first` → "disability first").
    pub fn name_of(&self, latvian: &'static str, id: &str) -> String {
        match self.lang {
            Lang::Lv => latvian.to_string(),
            Lang::En => id.replace('_', " "),
        }
    }

    /// The signed-in person (401 when nobody is).
    pub fn person(&self) -> Result<Session, ApiError> {
        self.session.clone().ok_or_else(ApiError::unauthenticated)
    }

    /// The signed-in person when they act in `role`; anyone else is refused.
    pub fn person_as(&self, role: Role) -> Result<Session, ApiError> {
        let s = self.person()?;
        if s.role == role {
            Ok(s)
        } else {
            Err(ApiError::forbidden("use this page"))
        }
    }

    /// After a form: on to the page `Ok` names, or the error as a page.
    pub fn then_go(&self, to: Result<String, ApiError>) -> Response {
        match to {
            Ok(path) => Redirect::to(&path).into_response(),
            Err(e) => self.error(e),
        }
    }

    /// A form action with the CSRF token.
    pub fn action(&self, path: &str) -> String {
        let csrf = self.session.as_ref().map(|s| s.csrf.as_str()).unwrap_or("");
        format!("{path}?csrf={csrf}")
    }

    /// The page in the layout: skip link, header with the service name, language switch and
    /// sign-out, one `main` landmark.
    pub fn render(&self, title: &str, body: Markup) -> Response {
        let markup = html! {
            (DOCTYPE)
            html lang=(self.lang.code()) {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (title) " — " (self.t(T::Service)) }
                    style { (maud::PreEscaped(STYLE)) }
                }
                body {
                    a.skip href="#saturs" { (self.t(T::SkipToContent)) }
                    header {
                        p.brand { (self.t(T::Service)) }
                        nav aria-label=(self.t(T::Language)) {
                            a href={ "?lang=" (self.lang.other().code()) } lang=(self.lang.other().code()) { (self.t(T::Language)) }
                            @if let Some(s) = &self.session {
                                form method="post" action=(self.action("/atslegties")) {
                                    span { (s.role.as_str()) " " (s.user_id) }
                                    " "
                                    button type="submit" { (self.t(T::SignOut)) }
                                }
                            }
                        }
                    }
                    main #saturs tabindex="-1" {
                        h1 { (title) }
                        (body)
                    }
                }
            }
        };
        let mut response = maud_response(markup);
        response.headers_mut().insert(
            header::SET_COOKIE,
            format!(
                "{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000",
                self.lang.code()
            )
            .parse()
            .expect("a valid header"),
        );
        response
    }

    /// An error as a page: what went wrong, in the problem's words, and a way back.
    pub fn error(&self, e: ApiError) -> Response {
        let status = e.status;
        let body = html! {
            p role="alert" { (e.detail) }
            @if let Some(field) = &e.field { p { code { (field) } } }
            p { a href="/" { (self.t(T::Back)) } }
        };
        let mut response = self.render(self.t(T::Error), body);
        *response.status_mut() = status;
        response
    }
}

/// A plain form's field (the first of that name), trimmed; empty when absent.
fn field<'f>(form: &'f [(String, String)], name: &str) -> &'f str {
    form.iter()
        .find(|(n, _)| n == name)
        .map_or("", |(_, v)| v.trim())
}

/// The outcome and the loss of working capacity of a decision form (`outcome`,
/// `work_capacity_loss_pct`, empty for none).
fn outcome_and_pct(
    form: &[(String, String)],
) -> Result<
    (
        atzinums_models::Outcome,
        Option<atzinums_models::WorkCapacityLoss>,
    ),
    ApiError,
> {
    let outcome = field(form, "outcome")
        .parse()
        .map_err(|e| ApiError::bad_input("outcome", format!("{e}")))?;
    let pct = match field(form, "work_capacity_loss_pct") {
        "" => None,
        v => Some(
            v.parse::<u8>()
                .ok()
                .and_then(|p| atzinums_models::WorkCapacityLoss::new(p).ok())
                .ok_or_else(|| {
                    ApiError::bad_input("work_capacity_loss_pct", "a whole number 0 to 100")
                })?,
        ),
    };
    Ok((outcome, pct))
}

/// A moment as the pages show it: `27.11.2026. 14:05` (UTC).
pub fn date_of(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| d.format("%d.%m.%Y. %H:%M").to_string())
        .unwrap_or_default()
}

fn maud_response(markup: Markup) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        markup.into_string(),
    )
        .into_response()
}

/// The home page: the sign-in (eID links, or the local stand-in's form), or the signed-in
/// person's start page.
async fn home(State(state): State<AppState>, page: Page) -> Response {
    if let Some(s) = &page.session {
        let to = match s.role {
            Role::Applicant | Role::Representative | Role::Clerk => "/e-pakalpojums",
            Role::Expert | Role::Quality => "/darbs",
            Role::Official => "/parakstisana",
            Role::Institution | Role::Admin => "/openapi.json",
        };
        return Redirect::to(to).into_response();
    }
    let roles = [
        Role::Applicant,
        Role::Representative,
        Role::Clerk,
        Role::Expert,
        Role::Official,
        Role::Quality,
    ];
    if state.idp.redirect_flow().is_some() {
        // Plain links: the provider's page is another origin, which `form-action 'self'`
        // would not let a form's redirect reach.
        let body = html! {
            p { (page.t(T::SignInEidIntro)) }
            h2 { (page.t(T::SignInWithEid)) }
            ul {
                @for r in roles {
                    li { a href=(format!("{}?role={}", eid::START_PATH, r.as_str())) { (i18n::role_name(page.lang, r.as_str())) } }
                }
            }
        };
        return page.render(page.t(T::SignIn), body);
    }
    // Login CSRF: the form echoes a random value also set as a cookie (double submit).
    let nonce = hex::encode(rand::random::<[u8; 16]>());
    let body = html! {
        form method="post" action="/pieslegties" {
            input type="hidden" name="login_csrf" value=(nonce);
            p {
                label for="person_code" { (page.t(T::PersonCode)) }
                input #person_code type="text" name="person_code" autocomplete="off" required inputmode="numeric" pattern="[0-9]{6}-?[0-9]{5}";
            }
            p {
                label for="role" { (page.t(T::Role)) }
                select #role name="role" {
                    @for r in roles { option value=(r.as_str()) { (i18n::role_name(page.lang, r.as_str())) } }
                }
            }
            button type="submit" { (page.t(T::SignIn)) }
        }
    };
    let mut response = page.render(page.t(T::SignIn), body);
    response.headers_mut().append(
        header::SET_COOKIE,
        format!("{LOGIN_COOKIE}={nonce}; Path=/; HttpOnly; SameSite=Strict; Max-Age=600")
            .parse()
            .expect("a valid header"),
    );
    response
}

async fn sign_in(
    State(state): State<AppState>,
    page: Page,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
    Form(form): Form<Credentials>,
) -> Response {
    let expected = auth::cookie(&headers, LOGIN_COOKIE);
    if expected.is_none() || expected != form.get("login_csrf").map(String::as_str) {
        return page.error(ApiError::new(
            StatusCode::FORBIDDEN,
            "missing or wrong CSRF token: reload the page and submit again",
        ));
    }
    let client = crate::routes::session::client_key(&extensions);
    match crate::routes::session::start(&state, &client, &form).await {
        Ok((cookie, _)) => ([(header::SET_COOKIE, cookie)], Redirect::to("/")).into_response(),
        Err(e) => page.error(e),
    }
}

async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = auth::cookie(&headers, SESSION_COOKIE)
        && let Err(e) = state.store.end_session(token).await
    {
        tracing::warn!(error = %e, "sign-out failed");
    }
    let cleared = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    ([(header::SET_COOKIE, cleared)], Redirect::to("/")).into_response()
}

/// Plain, high-contrast styling in the manner of Latvian state e-services (latvija.lv):
/// dark blue header, generous spacing, visible focus, no colour-only meaning.
const STYLE: &str = r#"
body{font-family:"DejaVu Sans",Arial,sans-serif;margin:0;color:#1a1a1a;background:#fff;line-height:1.5}
header{background:#0b3a6f;color:#fff;padding:.75rem 1.5rem;display:flex;justify-content:space-between;align-items:center;flex-wrap:wrap}
header a,header button{color:#fff}
header form{display:inline;margin-left:1rem}
header button{background:transparent;border:1px solid #fff;padding:.25rem .75rem;cursor:pointer}
.brand{font-weight:bold;margin:0}
main{max-width:60rem;margin:0 auto;padding:1.5rem}
main:focus{outline:none}
a{color:#0b3a6f}
a:focus,button:focus,input:focus,select:focus,textarea:focus{outline:3px solid #f2a900;outline-offset:2px}
.skip{position:absolute;left:-999px}
.skip:focus{left:1rem;top:1rem;background:#fff;color:#0b3a6f;padding:.5rem;z-index:1}
label{display:block;font-weight:bold;margin-bottom:.25rem}
input,select,textarea{font:inherit;padding:.4rem;border:1px solid #555;max-width:100%}
textarea{width:100%;min-height:12rem}
button{font:inherit;background:#0b3a6f;color:#fff;border:0;padding:.5rem 1rem;cursor:pointer}
button.secondary{background:#fff;color:#0b3a6f;border:2px solid #0b3a6f}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #ccc;text-align:left;padding:.4rem}
.notice{background:#eef3f9;border-left:4px solid #0b3a6f;padding:.5rem 1rem}
mark{background:#fff1b8}
pre.document{white-space:pre-wrap;font-family:inherit;background:#fafafa;border:1px solid #ccc;padding:1rem}
.mark-label{color:#555;font-size:.85em}
section{margin-bottom:2rem}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
"#;
