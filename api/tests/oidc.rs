//! eID sign-in through OpenID Connect, end to end over loopback HTTP: a mock provider (discovery,
//! keys, authorization, token endpoint with PKCE and client authentication) signs ID tokens
//! with its own RSA key; the service under test sends the browser there and back, checks the
//! answer and starts a session. Then every way the answer can be wrong is tried: each is
//! refused and no session starts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use atzinums_api::{ApiConfig, AppState, OidcConfig, OidcProvider, router};
use atzinums_models::{PersonCode, Role};
use atzinums_store::testing::sample_person_code;
use atzinums_store::{BlobLocation, MasterKey, Store, StoreConfig};
use axum::body::Body;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, Request, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use http_body_util::BodyExt;
use rsa::pkcs1v15::SigningKey;
use rsa::signature::{SignatureEncoding, Signer};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tower::ServiceExt;

const CLIENT_ID: &str = "atzinums-test";
/// With the characters RFC 6749 2.3.1 makes the client form-encode before HTTP Basic.
const CLIENT_SECRET: &str = "s3cret:with%special+chars";
const REDIRECT_URI: &str = "http://localhost/pieslegties/eid/atpakal";

/// Keys are slow to make: one for the provider, one for a forger, per test binary.
fn rsa_key(which: usize) -> &'static RsaPrivateKey {
    static KEYS: OnceLock<[RsaPrivateKey; 2]> = OnceLock::new();
    &KEYS.get_or_init(|| {
        let mut rng = rsa::rand_core::OsRng;
        [
            RsaPrivateKey::new(&mut rng, 2048).unwrap(),
            RsaPrivateKey::new(&mut rng, 2048).unwrap(),
        ]
    })[which]
}

/// How the mock provider spoils its ID token, one way per case.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Spoil {
    Nothing,
    /// Not a spoiling: a token without `kid` is checked against every published key.
    NoKid,
    Issuer,
    Audience,
    Expired,
    FutureIat,
    Nonce,
    AlgNone,
    AlgHs256,
    ForgedSignature,
    TamperedPayload,
    UnpublishedKid,
    NoPersonCode,
    NotAPersonCode,
}

struct Grant {
    nonce: String,
    challenge: String,
    redirect_uri: String,
    subject: String,
}

struct Mock {
    issuer: String,
    /// Who signs in at the provider next.
    subject: Mutex<String>,
    spoil: Mutex<Spoil>,
    grants: Mutex<HashMap<String, Grant>>,
    token_requests: Mutex<usize>,
    /// A public client: no secret, PKCE alone.
    public: bool,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

impl Mock {
    fn id_token(&self, grant: &Grant) -> String {
        let spoil = *self.spoil.lock().unwrap();
        let now = chrono::Utc::now().timestamp();
        let mut claims = json!({
            "iss": if spoil == Spoil::Issuer { "http://evil.test" } else { &self.issuer },
            "aud": if spoil == Spoil::Audience { "someone-else" } else { CLIENT_ID },
            "sub": grant.subject,
            "exp": if spoil == Spoil::Expired { now - 600 } else { now + 300 },
            "iat": if spoil == Spoil::FutureIat { now + 3600 } else { now },
            "nonce": if spoil == Spoil::Nonce { "another-attempt" } else { &grant.nonce },
        });
        match spoil {
            Spoil::NoPersonCode => {
                claims.as_object_mut().unwrap().remove("sub");
            }
            Spoil::NotAPersonCode => claims["sub"] = json!("not-a-code"),
            _ => {}
        }
        let alg = match spoil {
            Spoil::AlgNone => "none",
            Spoil::AlgHs256 => "HS256",
            _ => "RS256",
        };
        let kid = if spoil == Spoil::UnpublishedKid {
            "k-unpublished"
        } else {
            "k1"
        };
        let mut header = json!({"alg": alg, "kid": kid, "typ": "JWT"});
        if spoil == Spoil::NoKid {
            header.as_object_mut().unwrap().remove("kid");
        }
        let header = b64(header.to_string().as_bytes());
        let payload = b64(claims.to_string().as_bytes());
        let signer = if spoil == Spoil::ForgedSignature {
            1
        } else {
            0
        };
        let signing_key = SigningKey::<Sha256>::new(rsa_key(signer).clone());
        let signature = signing_key.sign(format!("{header}.{payload}").as_bytes());
        let payload = if spoil == Spoil::TamperedPayload {
            claims["sub"] = json!(sample_person_code(99).as_str());
            b64(claims.to_string().as_bytes())
        } else {
            payload
        };
        format!("{header}.{payload}.{}", b64(&signature.to_bytes()))
    }
}

async fn discovery(State(mock): State<Arc<Mock>>) -> Json<Value> {
    Json(json!({
        "issuer": mock.issuer,
        "authorization_endpoint": format!("{}/authorize", mock.issuer),
        "token_endpoint": format!("{}/token", mock.issuer),
        "jwks_uri": format!("{}/jwks", mock.issuer),
        "response_types_supported": ["code"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }))
}

async fn jwks() -> Json<Value> {
    let public = RsaPublicKey::from(rsa_key(0));
    Json(json!({"keys": [{
        "kty": "RSA", "use": "sig", "alg": "RS256", "kid": "k1",
        "n": b64(&public.n().to_bytes_be()), "e": b64(&public.e().to_bytes_be()),
    }]}))
}

/// The person "signs in" at once: the provider sends the browser back with a code.
async fn authorize(
    State(mock): State<Arc<Mock>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], CLIENT_ID);
    assert_eq!(q["code_challenge_method"], "S256");
    assert!(q["scope"].split(' ').any(|s| s == "openid"));
    let code = format!("code-{}", rand::random::<u64>());
    mock.grants.lock().unwrap().insert(
        code.clone(),
        Grant {
            nonce: q["nonce"].clone(),
            challenge: q["code_challenge"].clone(),
            redirect_uri: q["redirect_uri"].clone(),
            subject: mock.subject.lock().unwrap().clone(),
        },
    );
    let back = format!("{}?code={code}&state={}", q["redirect_uri"], q["state"]);
    Redirect::to(&back).into_response()
}

async fn token(
    State(mock): State<Arc<Mock>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    *mock.token_requests.lock().unwrap() += 1;
    let refuse =
        |error: &str| (StatusCode::BAD_REQUEST, Json(json!({"error": error}))).into_response();
    let encode = |v: &str| form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
    let basic = format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", encode(CLIENT_ID), encode(CLIENT_SECRET)))
    );
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    // A confidential client authenticates with Basic; a public one names itself in the form.
    let client_ok = if mock.public {
        authorization.is_none() && form.get("client_id").map(String::as_str) == Some(CLIENT_ID)
    } else {
        authorization == Some(basic.as_str())
    };
    if !client_ok {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "invalid_client"})),
        )
            .into_response();
    }
    if form.get("grant_type").map(String::as_str) != Some("authorization_code") {
        return refuse("unsupported_grant_type");
    }
    // Codes are single-use.
    let Some(grant) = form
        .get("code")
        .and_then(|c| mock.grants.lock().unwrap().remove(c))
    else {
        return refuse("invalid_grant");
    };
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    if b64(&Sha256::digest(verifier.as_bytes())) != grant.challenge
        || form.get("redirect_uri") != Some(&grant.redirect_uri)
    {
        return refuse("invalid_grant");
    }
    Json(json!({"access_token": "at", "token_type": "Bearer", "id_token": mock.id_token(&grant)}))
        .into_response()
}

struct Setup {
    app: Router,
    mock: Arc<Mock>,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

fn expert_code() -> PersonCode {
    sample_person_code(7)
}

async fn temp_store(dir: &tempfile::TempDir) -> Store {
    let config = StoreConfig {
        database_url: format!("sqlite://{}", dir.path().join("db.sqlite").display()),
        blobs: BlobLocation::Local {
            path: dir.path().join("blobs"),
        },
        max_document_bytes: 1 << 20,
    };
    Store::open(&config, &MasterKey::generate()).await.unwrap()
}

/// This service's registration with the mock provider, as a confidential client.
fn registration(issuer: &str, attempt_secs: u64) -> OidcConfig {
    OidcConfig {
        client_secret: Some(CLIENT_SECRET.into()),
        attempt_secs,
        ..OidcConfig::new(issuer, CLIENT_ID, REDIRECT_URI)
    }
}

async fn setup() -> Setup {
    setup_with(600, false).await
}

/// The service and a mock provider; a person has `attempt_secs` to sign in at the provider;
/// the service is registered as a public client (no secret) or a confidential one.
async fn setup_with(attempt_secs: u64, public: bool) -> Setup {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let mock = Arc::new(Mock {
        issuer: issuer.clone(),
        subject: Mutex::new(sample_person_code(1).as_str().to_string()),
        spoil: Mutex::new(Spoil::Nothing),
        grants: Mutex::new(HashMap::new()),
        token_requests: Mutex::new(0),
        public,
    });
    let provider = Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/jwks", get(jwks))
        .route("/authorize", get(authorize))
        .route("/token", post(token))
        .with_state(mock.clone());
    tokio::spawn(async move { axum::serve(listener, provider).await.unwrap() });

    let dir = tempfile::tempdir().unwrap();
    let store = temp_store(&dir).await;
    let mut oidc_config = registration(&issuer, attempt_secs);
    if public {
        oidc_config.client_secret = None;
    }
    let oidc = OidcProvider::new(oidc_config, [(expert_code(), Role::Expert)]).unwrap();
    let api = ApiConfig {
        secure_cookies: false,
        ..ApiConfig::default()
    };
    Setup {
        app: router(AppState::new(store, Arc::new(oidc), api)),
        mock,
        http: browser(),
        _dir: dir,
    }
}

/// The test's browser: it follows no redirect, so each step can be looked at.
fn browser() -> reqwest::Client {
    // Plain HTTP, but reqwest builds its TLS side too, from rustls's process-wide provider.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

struct Answer {
    status: StatusCode,
    location: String,
    cookies: Vec<String>,
    body: String,
}

async fn send(app: &Router, path: &str, cookie: Option<&str>) -> Answer {
    let mut req = Request::get(path);
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    let res = app
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let (parts, body) = res.into_parts();
    Answer {
        status: parts.status,
        location: parts
            .headers
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default(),
        cookies: parts
            .headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect(),
        body: String::from_utf8_lossy(&body.collect().await.unwrap().to_bytes()).into_owned(),
    }
}

/// `name=value` of the cookie `name` set by an answer, if it has a value.
fn set_cookie(answer: &Answer, name: &str) -> Option<String> {
    answer.cookies.iter().find_map(|c| {
        let pair = c.split(';').next()?;
        let value = pair.strip_prefix(&format!("{name}="))?;
        (!value.is_empty()).then(|| pair.to_string())
    })
}

/// The browser: start at the service, visit the provider, come back. Returns the callback's
/// path and the attempt cookie, for the test to send (or spoil).
async fn go_to_provider_and_back(s: &Setup, role: &str) -> (String, String) {
    let start = send(&s.app, &format!("/pieslegties/eid?role={role}"), None).await;
    assert!(
        start.status.is_redirection(),
        "{} {}",
        start.status,
        start.body
    );
    assert!(
        start
            .location
            .starts_with(&format!("{}/authorize?", s.mock.issuer))
    );
    let attempt = set_cookie(&start, "atz_eid").expect("the attempt cookie");
    let attributes = start
        .cookies
        .iter()
        .find(|c| c.starts_with("atz_eid="))
        .unwrap();
    for attribute in ["Path=/pieslegties/eid/atpakal", "HttpOnly", "SameSite=Lax"] {
        assert!(attributes.contains(attribute), "{attributes}");
    }
    let at_provider = s.http.get(&start.location).send().await.unwrap();
    let back = at_provider.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_string();
    let path = back.strip_prefix("http://localhost").unwrap().to_string();
    (path, attempt)
}

/// The session the callback started, checked through `/api/v1/me`.
async fn signed_in_role(s: &Setup, callback: &Answer) -> Option<String> {
    let session = set_cookie(callback, "atz_session")?;
    let me = send(&s.app, "/api/v1/me", Some(&session)).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    let me: Value = serde_json::from_str(&me.body).unwrap();
    Some(me["role"].as_str().unwrap().to_string())
}

#[tokio::test]
async fn eid_sign_in_round_trip_starts_a_session_once() {
    let s = setup().await;
    let (path, attempt) = go_to_provider_and_back(&s, "applicant").await;
    let back = send(&s.app, &path, Some(&attempt)).await;
    assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", back.body);
    assert_eq!(back.location, "/");
    assert_eq!(
        signed_in_role(&s, &back).await.as_deref(),
        Some("applicant")
    );
    // The attempt cookie is cleared, and replaying the same answer fails: the code is spent.
    assert!(back.cookies.iter().any(|c| c.starts_with("atz_eid=;")));
    let again = send(&s.app, &path, Some(&attempt)).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED, "{}", again.body);
    assert!(again.body.contains("invalid_grant"), "{}", again.body);
    assert!(set_cookie(&again, "atz_session").is_none());

    // A token without `kid` is tried against the published keys.
    *s.mock.spoil.lock().unwrap() = Spoil::NoKid;
    let (path, attempt) = go_to_provider_and_back(&s, "applicant").await;
    let back = send(&s.app, &path, Some(&attempt)).await;
    assert_eq!(
        signed_in_role(&s, &back).await.as_deref(),
        Some("applicant")
    );
    *s.mock.spoil.lock().unwrap() = Spoil::Nothing;

    // Staff roles come from this service's directory, not from the provider.
    *s.mock.subject.lock().unwrap() = expert_code().as_str().to_string();
    let (path, attempt) = go_to_provider_and_back(&s, "expert").await;
    let back = send(&s.app, &path, Some(&attempt)).await;
    assert_eq!(signed_in_role(&s, &back).await.as_deref(), Some("expert"));
    let (path, attempt) = go_to_provider_and_back(&s, "official").await;
    let back = send(&s.app, &path, Some(&attempt)).await;
    assert_eq!(back.status, StatusCode::UNAUTHORIZED, "{}", back.body);
    assert!(
        back.body.contains("may not sign in as official"),
        "{}",
        back.body
    );
    assert!(set_cookie(&back, "atz_session").is_none());
}

#[tokio::test]
async fn a_public_client_signs_in_with_pkce_alone() {
    let s = setup_with(600, true).await;
    let (path, attempt) = go_to_provider_and_back(&s, "representative").await;
    let back = send(&s.app, &path, Some(&attempt)).await;
    assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", back.body);
    assert_eq!(
        signed_in_role(&s, &back).await.as_deref(),
        Some("representative")
    );
}

#[tokio::test]
async fn every_spoiled_id_token_is_refused() {
    let s = setup().await;
    let cases = [
        (Spoil::Issuer, "another provider"),
        (Spoil::Audience, "another client"),
        (Spoil::Expired, "expired"),
        (Spoil::FutureIat, "in the future"),
        (Spoil::Nonce, "another sign-in attempt"),
        (Spoil::AlgNone, "only RS256"),
        (Spoil::AlgHs256, "only RS256"),
        (Spoil::ForgedSignature, "does not verify"),
        (Spoil::TamperedPayload, "does not verify"),
        (Spoil::UnpublishedKid, "does not publish"),
        (Spoil::NoPersonCode, "no `sub` claim"),
        (Spoil::NotAPersonCode, "not a personal code"),
    ];
    for (spoil, says) in cases {
        *s.mock.spoil.lock().unwrap() = spoil;
        let (path, attempt) = go_to_provider_and_back(&s, "applicant").await;
        let back = send(&s.app, &path, Some(&attempt)).await;
        assert_eq!(
            back.status,
            StatusCode::UNAUTHORIZED,
            "{spoil:?}: {}",
            back.body
        );
        assert!(back.body.contains(says), "{spoil:?}: {}", back.body);
        assert!(set_cookie(&back, "atz_session").is_none(), "{spoil:?}");
    }
}

#[tokio::test]
async fn a_callback_that_is_not_this_browsers_attempt_is_refused() {
    let s = setup().await;
    let (path, attempt) = go_to_provider_and_back(&s, "applicant").await;
    let requests_before = *s.mock.token_requests.lock().unwrap();

    // No attempt cookie (a link planted by someone else: login CSRF).
    let back = send(&s.app, &path, None).await;
    assert_eq!(back.status, StatusCode::BAD_REQUEST, "{}", back.body);
    // An attempt cookie the service did not seal.
    let forged = format!("atz_eid={}", "ab".repeat(80));
    assert_eq!(
        send(&s.app, &path, Some(&forged)).await.status,
        StatusCode::BAD_REQUEST
    );
    // Another attempt's cookie: the state differs.
    let (_, other_attempt) = go_to_provider_and_back(&s, "applicant").await;
    let back = send(&s.app, &path, Some(&other_attempt)).await;
    assert_eq!(back.status, StatusCode::UNAUTHORIZED, "{}", back.body);
    assert!(back.body.contains("(state)"), "{}", back.body);
    // The provider's refusal is shown by its code only.
    let refused = format!(
        "/pieslegties/eid/atpakal?error=access_denied%3Cscript%3E&state={}",
        state_of(&path)
    );
    let back = send(&s.app, &refused, Some(&attempt)).await;
    assert_eq!(back.status, StatusCode::UNAUTHORIZED);
    // Only the code's safe characters are kept.
    assert!(back.body.contains("(access_deniedscript)"), "{}", back.body);
    // None of these reached the token endpoint.
    assert_eq!(*s.mock.token_requests.lock().unwrap(), requests_before);
    // And the genuine answer still works.
    let back = send(&s.app, &path, Some(&attempt)).await;
    assert_eq!(
        signed_in_role(&s, &back).await.as_deref(),
        Some("applicant")
    );
}

#[tokio::test]
async fn an_attempt_past_its_time_is_refused() {
    let s = setup_with(0, false).await;
    let (path, attempt) = go_to_provider_and_back(&s, "applicant").await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let back = send(&s.app, &path, Some(&attempt)).await;
    assert_eq!(back.status, StatusCode::UNAUTHORIZED, "{}", back.body);
    assert!(back.body.contains("took too long"), "{}", back.body);
    assert!(set_cookie(&back, "atz_session").is_none());
}

#[tokio::test]
async fn answers_from_one_address_are_rate_limited() {
    let s = setup().await;
    let (path, attempt) = go_to_provider_and_back(&s, "applicant").await;
    // Made-up codes with a genuine attempt: each would cost a token request.
    let junk = path.replace("code=", "code=made-up-");
    for _ in 0..20 {
        let back = send(&s.app, &junk, Some(&attempt)).await;
        assert_eq!(back.status, StatusCode::UNAUTHORIZED, "{}", back.body);
    }
    let back = send(&s.app, &junk, Some(&attempt)).await;
    assert_eq!(back.status, StatusCode::TOO_MANY_REQUESTS, "{}", back.body);
}

fn state_of(path: &str) -> String {
    path.split(['?', '&'])
        .find_map(|kv| kv.strip_prefix("state="))
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn typed_credentials_and_institution_roles_are_refused_with_eid() {
    let s = setup().await;
    let body = json!({"person_code": sample_person_code(1).as_str()}).to_string();
    let req = Request::post("/api/v1/session")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .unwrap();
    let res = s.app.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let start = send(&s.app, "/pieslegties/eid?role=institution", None).await;
    assert_eq!(start.status, StatusCode::UNAUTHORIZED, "{}", start.body);
    assert!(set_cookie(&start, "atz_eid").is_none());
    // The start page offers eID links, in Latvian by default.
    let home = send(&s.app, "/", None).await;
    assert!(
        home.body
            .contains("href=\"/pieslegties/eid?role=applicant\""),
        "{}",
        home.body
    );
    assert!(home.body.contains("Pieslēgties ar eID"), "{}", home.body);
}

#[tokio::test]
async fn an_unreachable_provider_is_unavailable_not_a_failed_sign_in() {
    // A provider that is not there: nothing listens on the port any more.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let dir = tempfile::tempdir().unwrap();
    let state = AppState::new(
        temp_store(&dir).await,
        Arc::new(OidcProvider::new(registration(&issuer, 600), []).unwrap()),
        ApiConfig::default(),
    );
    let start = send(&router(state), "/pieslegties/eid?role=applicant", None).await;
    assert_eq!(
        start.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        start.body
    );
    assert!(start.body.contains("identity provider"), "{}", start.body);
}
