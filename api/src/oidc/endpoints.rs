//! Talking to the identity provider: its discovery document, its signing keys and its token
//! endpoint. Every failure says which step failed and what came back (a status, an OAuth error
//! code), never a token or a claim.

use std::time::Duration;

use reqwest::Client;
use serde::Deserialize;
use serde_json::Value;

use super::id_token::{self, SigningKey};
use super::unavailable;
use crate::auth::AuthError;

/// How long any one request to the provider may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the provider's endpoints are, from `/.well-known/openid-configuration`.
#[derive(Clone, Debug, Deserialize)]
pub struct Endpoints {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
}

/// This service as the provider knows it.
pub struct ClientCredentials<'a> {
    pub client_id: &'a str,
    /// Confidential clients authenticate with HTTP Basic (`client_secret_basic`).
    pub client_secret: Option<&'a str>,
    pub redirect_uri: &'a str,
}

/// An HTTP client with TLS from rustls and ring, and the machine's root certificates.
pub fn http_client() -> Result<Client, String> {
    // One process-wide rustls provider; a second install (another provider built in the same
    // process) is refused harmlessly.
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::builder()
        .timeout(REQUEST_TIMEOUT)
        // The provider's answers are read, never followed elsewhere.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))
}

/// `url` parses, and is `https` unless it points at this machine (tests, a local proxy): codes,
/// tokens and keys never cross a network in clear.
pub fn check_url(name: &str, url: &str) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("{name} is not a URL: {e}"))?;
    let loopback = match parsed.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if parsed.scheme() == "https" || (parsed.scheme() == "http" && loopback) {
        Ok(())
    } else {
        Err(format!(
            "{name} must be an https URL (plain http only on loopback): {url}"
        ))
    }
}

/// Reads the provider's discovery document; its `issuer` must be the configured one exactly
/// (OIDC Discovery 4.3), so a look-alike document cannot redirect sign-in.
pub async fn discover(http: &Client, issuer: &str) -> Result<Endpoints, String> {
    let url = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    let endpoints: Endpoints = get_json(http, &url, "discovery document").await?;
    if endpoints.issuer != issuer {
        return Err(format!(
            "the discovery document names issuer {:?}, not the configured {issuer:?}",
            endpoints.issuer
        ));
    }
    check_url(
        "its authorization_endpoint",
        &endpoints.authorization_endpoint,
    )?;
    check_url("its token_endpoint", &endpoints.token_endpoint)?;
    check_url("its jwks_uri", &endpoints.jwks_uri)?;
    Ok(endpoints)
}

/// The provider's RS256 signing keys.
pub async fn signing_keys(http: &Client, jwks_uri: &str) -> Result<Vec<SigningKey>, String> {
    let jwks: Value = get_json(http, jwks_uri, "signing keys (JWKS)").await?;
    id_token::rsa_keys(&jwks)
}

/// Exchanges an authorization code for the ID token (the code is single-use; PKCE's verifier
/// proves this service started the sign-in). A refusal (4xx) rejects the sign-in; a provider
/// that cannot be reached or fails (5xx) is unavailable.
pub async fn redeem_code(
    http: &Client,
    token_endpoint: &str,
    client: &ClientCredentials<'_>,
    code: &str,
    code_verifier: &str,
) -> Result<String, AuthError> {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", client.redirect_uri),
        ("code_verifier", code_verifier),
    ];
    let mut request = http.post(token_endpoint);
    match client.client_secret {
        // Both form-encoded before Basic (RFC 6749 2.3.1): a secret with `:` or `%` survives.
        Some(secret) => {
            let encode =
                |v: &str| form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
            request = request.basic_auth(encode(client.client_id), Some(encode(secret)));
        }
        None => form.push(("client_id", client.client_id)),
    }
    let response = request.form(&form).send().await.map_err(|e| {
        unavailable(format!(
            "the token endpoint cannot be reached: {}",
            e.without_url()
        ))
    })?;
    let status = response.status();
    if status.is_server_error() {
        return Err(unavailable(format!("the token endpoint answered {status}")));
    }
    let body: Value = response
        .json()
        .await
        .map_err(|_| unavailable(format!("the token endpoint answered {status} without JSON")))?;
    if !status.is_success() {
        return Err(AuthError::Rejected(format!(
            "the identity provider refused the sign-in code ({status}, {})",
            oauth_error(&body)
        )));
    }
    body.get("id_token")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| unavailable("the token endpoint's answer has no id_token".into()))
}

/// An OAuth error code from a response, reduced to its safe characters (it is logged and shown).
pub fn oauth_error(body: &Value) -> String {
    safe_error_code(body.get("error").and_then(Value::as_str).unwrap_or(""))
}

/// An OAuth error code kept to `[A-Za-z0-9_]`, at most 64 characters: it is shown and logged.
pub fn safe_error_code(code: &str) -> String {
    let safe: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(64)
        .collect();
    if safe.is_empty() {
        "no error code".into()
    } else {
        safe
    }
}

async fn get_json<T: serde::de::DeserializeOwned>(
    http: &Client,
    url: &str,
    what: &str,
) -> Result<T, String> {
    let response = http
        .get(url)
        .send()
        .await
        .map_err(|e| format!("the provider's {what} cannot be read: {}", e.without_url()))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("the provider's {what} answered {status}"));
    }
    response
        .json()
        .await
        .map_err(|e| format!("the provider's {what} is not what OIDC specifies: {e}"))
}
