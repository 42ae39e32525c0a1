//! What the API tests share: a store (SQLite, or an isolated PostgreSQL schema), the router,
//! signed-in callers, and request builders.
#![allow(dead_code)]

use std::sync::Arc;

use atzinums_api::{ApiConfig, AppState, LocalIdentityProvider, router};
use atzinums_models::{PersonCode, Role};
use atzinums_store::testing::{IsolatedPostgres, sample_person_code};
use atzinums_store::{BlobLocation, MasterKey, Store, StoreConfig};
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

pub const MAX_DOC: u64 = 64 * 1024;
pub const PDF: &[u8] = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";

pub struct World {
    pub app: Router,
    pub store: Store,
    _dir: tempfile::TempDir,
    pg: Option<IsolatedPostgres>,
}

/// A test that runs in every world.
#[macro_export]
macro_rules! in_every_world {
    ($test:ident, $body:ident) => {
        #[tokio::test]
        async fn $test() {
            for w in common::worlds().await {
                $body(&w).await;
                w.close().await;
            }
        }
    };
}

/// The worlds a test runs in: SQLite always, PostgreSQL when `DATABASE_URL` names one.
pub async fn worlds() -> Vec<World> {
    let mut all = vec![World::new(None).await];
    if let Ok(url) = std::env::var("DATABASE_URL") {
        let pg = IsolatedPostgres::create(&url)
            .await
            .expect("PostgreSQL from DATABASE_URL");
        all.push(World::new(Some(pg)).await);
    }
    all
}

/// Who calls: a session (cookie + CSRF token), a bearer token, or nobody.
#[derive(Clone)]
pub enum Who {
    Nobody,
    Session { cookie: String, csrf: String },
    Token(String),
}

pub struct Reply {
    pub status: StatusCode,
    pub content_type: String,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

impl World {
    pub async fn new(pg: Option<IsolatedPostgres>) -> World {
        let dir = tempfile::tempdir().unwrap();
        let database_url = match &pg {
            Some(pg) => pg.url().to_string(),
            None => format!("sqlite://{}", dir.path().join("db.sqlite").display()),
        };
        let config = StoreConfig {
            database_url,
            blobs: BlobLocation::Local {
                path: dir.path().join("blobs"),
            },
            max_document_bytes: MAX_DOC,
        };
        let store = Store::open(&config, &MasterKey::generate()).await.unwrap();
        let staff = [
            (staff_code(Role::Clerk), Role::Clerk),
            (staff_code(Role::Expert), Role::Expert),
            (second_expert_code(), Role::Expert),
            (staff_code(Role::Official), Role::Official),
            (staff_code(Role::Quality), Role::Quality),
            (staff_code(Role::Admin), Role::Admin),
        ];
        let api = ApiConfig {
            max_document_bytes: MAX_DOC,
            secure_cookies: false,
            ..ApiConfig::default()
        };
        let state = AppState::new(
            store.clone(),
            Arc::new(LocalIdentityProvider::new(staff)),
            api,
        );
        World {
            app: router(state),
            store,
            _dir: dir,
            pg,
        }
    }

    /// Drops the PostgreSQL schema, if any (SQLite goes with the temporary folder).
    pub async fn close(self) {
        self.store.close().await;
        if let Some(pg) = &self.pg {
            pg.drop_schema().await.unwrap();
        }
    }

    pub async fn call(
        &self,
        who: &Who,
        method: &str,
        uri: &str,
        body: Option<(String, Vec<u8>)>,
    ) -> Reply {
        self.call_csrf(who, method, uri, body, true).await
    }

    pub async fn call_csrf(
        &self,
        who: &Who,
        method: &str,
        uri: &str,
        body: Option<(String, Vec<u8>)>,
        send_csrf: bool,
    ) -> Reply {
        let mut req = Request::builder().method(method).uri(uri);
        match who {
            Who::Nobody => {}
            Who::Session { cookie, csrf } => {
                req = req.header(header::COOKIE, format!("atz_session={cookie}"));
                if send_csrf {
                    req = req.header("x-csrf-token", csrf);
                }
            }
            Who::Token(t) => req = req.header(header::AUTHORIZATION, format!("Bearer {t}")),
        }
        let req = match body {
            Some((content_type, bytes)) => req
                .header(header::CONTENT_TYPE, content_type)
                .body(Body::from(bytes)),
            None => req.body(Body::empty()),
        }
        .unwrap();
        let res = self.app.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let content_type = res
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
        Reply {
            status,
            content_type,
            body,
        }
    }

    /// Sends a request as built; returns the status, headers and body text.
    pub async fn send(&self, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, String) {
        let res = self.app.clone().oneshot(req).await.unwrap();
        let (parts, body) = res.into_parts();
        let bytes = body.collect().await.unwrap().to_bytes();
        (
            parts.status,
            parts.headers,
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    }

    /// A page as `who` sees it (the session cookie, no CSRF token: pages are read with GET).
    pub async fn get(&self, who: &Who, path: &str) -> (StatusCode, axum::http::HeaderMap, String) {
        let mut req = Request::get(path);
        if let Who::Session { cookie, .. } = who {
            req = req.header(header::COOKIE, format!("atz_session={cookie}"));
        }
        self.send(req.body(Body::empty()).unwrap()).await
    }

    /// `who` files an application with two small PDFs; returns its case id.
    pub async fn file_two_pdfs(&self, who: &Who) -> String {
        let files: &[(&str, &[u8])] = &[("a.pdf", PDF), ("b.pdf", PDF)];
        let filed = self
            .call(
                who,
                "POST",
                "/api/v1/applications",
                multipart(two_pdfs(), files),
            )
            .await;
        assert_eq!(
            filed.status,
            StatusCode::CREATED,
            "{}",
            String::from_utf8_lossy(&filed.body)
        );
        filed.json()["case_id"].as_str().unwrap().to_string()
    }

    /// Moves a submitted case on as a worker would, into the `standard` review queue.
    pub async fn queue_for_review(&self, case_id: &str) {
        let worker = atzinums_store::Actor::system("worker");
        for event in [
            atzinums_models::CaseEvent::StartProcessing,
            atzinums_models::CaseEvent::DraftReady,
        ] {
            self.store
                .transition_case(case_id, event, &worker, None)
                .await
                .unwrap();
        }
        self.store
            .open_review_task(case_id, "standard", 0)
            .await
            .unwrap();
    }

    /// An institution's token with `scopes`, issued by an administrator.
    pub async fn institution(&self, name: &str, scopes: &[&str]) -> Who {
        let issuer = atzinums_store::Actor::person(Role::Admin, "admin-1");
        Who::Token(
            self.store
                .issue_api_token(name, scopes, &issuer)
                .await
                .unwrap(),
        )
    }

    pub async fn sign_in(&self, code: &PersonCode, role: Role) -> Who {
        let body = json!({ "person_code": code.as_str(), "role": role.as_str() }).to_string();
        let req = Request::post("/api/v1/session")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .unwrap();
        let res = self.app.clone().oneshot(req).await.unwrap();
        assert_eq!(
            res.status(),
            StatusCode::CREATED,
            "sign-in as {}",
            role.as_str()
        );
        let cookie = res.headers()[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .to_string();
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
        let cookie = cookie
            .split(';')
            .next()
            .unwrap()
            .trim_start_matches("atz_session=")
            .to_string();
        let info: Value =
            serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap();
        Who::Session {
            cookie,
            csrf: info["csrf"].as_str().unwrap().to_string(),
        }
    }
}

pub fn staff_code(role: Role) -> PersonCode {
    sample_person_code(900 + role as u64)
}

/// Another medical expert (second readings need two).
pub fn second_expert_code() -> PersonCode {
    sample_person_code(950)
}

pub fn json_body(v: Value) -> Option<(String, Vec<u8>)> {
    Some(("application/json".into(), v.to_string().into_bytes()))
}

/// A multipart body with the `application` part and the files.
pub fn multipart(application: Value, files: &[(&str, &[u8])]) -> Option<(String, Vec<u8>)> {
    let boundary = "XatzBoundary7";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"application\"\r\nContent-Type: application/json\r\n\r\n{application}\r\n").as_bytes(),
    );
    for (name, bytes) in files {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    Some((format!("multipart/form-data; boundary={boundary}"), body))
}

pub fn two_pdfs() -> Value {
    json!({
        "kind": "disability_first",
        "documents": [
            { "kind": "referral_088u" },
            { "kind": "discharge_summary" },
        ],
    })
}
