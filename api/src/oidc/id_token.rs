//! The ID token: a JWS in compact form, signed RS256 by the identity provider. Checked in this
//! order: the algorithm (RS256 only, so never `none` and never an HMAC keyed with a public
//! key), the signature with one of the provider's published keys, then the claims that bind the
//! token to this service and to this sign-in attempt (issuer, audience, expiry, nonce).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier;
use rsa::traits::PublicKeyParts;
use rsa::{BigUint, RsaPublicKey};
use serde_json::{Map, Value};
use sha2::Sha256;

/// Clock difference tolerated between this service and the provider.
const LEEWAY_S: i64 = 60;
/// Smaller RSA keys are refused: they no longer protect a signature.
const MIN_KEY_BITS: usize = 2048;

/// A key the provider signs ID tokens with, from its JWKS document.
#[derive(Clone)]
pub struct SigningKey {
    pub kid: Option<String>,
    key: VerifyingKey<Sha256>,
}

/// Why an ID token was refused. The texts name the failed check, never a claim's value.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum IdTokenError {
    #[error("the ID token is malformed: {0}")]
    Malformed(&'static str),
    #[error("the ID token is signed with {0:?}; only RS256 is accepted")]
    Algorithm(String),
    #[error("the ID token names a key the provider does not publish")]
    UnknownKey,
    #[error("the ID token's signature does not verify")]
    Signature,
    #[error("the ID token was issued by another provider")]
    Issuer,
    #[error("the ID token was issued for another client")]
    Audience,
    #[error("the ID token has expired")]
    Expired,
    #[error("the ID token is dated in the future")]
    IssuedInFuture,
    #[error("the ID token belongs to another sign-in attempt (nonce)")]
    Nonce,
}

/// The RSA signing keys of a JWKS document (`{"keys": [...]}`); other keys are skipped.
pub fn rsa_keys(jwks: &Value) -> Result<Vec<SigningKey>, String> {
    let entries = jwks
        .get("keys")
        .and_then(Value::as_array)
        .ok_or("the JWKS document has no `keys` list")?;
    let mut keys = Vec::new();
    for entry in entries {
        match rsa_key(entry) {
            Ok(Some(key)) => keys.push(key),
            Ok(None) => {}
            // One unusable entry must not take every other key with it.
            Err(why) => tracing::warn!(%why, "skipped a key of the provider's JWKS"),
        }
    }
    Ok(keys)
}

/// The entry as an RS256 verifying key; `None` for keys of other kinds, uses or sizes.
fn rsa_key(entry: &Value) -> Result<Option<SigningKey>, String> {
    let text = |name| entry.get(name).and_then(Value::as_str);
    let usable = text("kty") == Some("RSA")
        && text("use").is_none_or(|u| u == "sig")
        && text("alg").is_none_or(|a| a == "RS256");
    if !usable {
        return Ok(None);
    }
    let number = |name| -> Result<BigUint, String> {
        let b64 = text(name).ok_or(format!("an RSA key without `{name}`"))?;
        let bytes = URL_SAFE_NO_PAD
            .decode(b64)
            .map_err(|_| format!("an RSA key's `{name}` is not base64url"))?;
        Ok(BigUint::from_bytes_be(&bytes))
    };
    let public = RsaPublicKey::new(number("n")?, number("e")?)
        .map_err(|e| format!("an RSA key is invalid: {e}"))?;
    if public.n().bits() < MIN_KEY_BITS {
        return Ok(None);
    }
    Ok(Some(SigningKey {
        kid: text("kid").map(str::to_string),
        key: VerifyingKey::new(public),
    }))
}

/// What the claims must say for this sign-in.
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub nonce: &'a str,
    /// Now, in seconds since the Unix epoch.
    pub now_s: i64,
}

/// Verifies `token` and returns its claims.
pub fn verify(
    token: &str,
    keys: &[SigningKey],
    expected: &Expected,
) -> Result<Map<String, Value>, IdTokenError> {
    let mut parts = token.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(IdTokenError::Malformed("not three dot-separated parts"));
    };
    let header = decode_json(
        header_b64,
        "the header is not base64url",
        "the header is not a JSON object",
    )?;
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or("");
    if alg != "RS256" {
        return Err(IdTokenError::Algorithm(alg.chars().take(16).collect()));
    }
    // Extensions this service does not know must not be ignored (RFC 7515 4.1.11).
    if header.contains_key("crit") {
        return Err(IdTokenError::Malformed(
            "it names critical header extensions",
        ));
    }
    // Without a `kid` any published key may be the one.
    let kid = header.get("kid").and_then(Value::as_str);
    let mut candidates = keys
        .iter()
        .filter(|k| kid.is_none() || k.kid.as_deref() == kid)
        .peekable();
    if candidates.peek().is_none() {
        return Err(IdTokenError::UnknownKey);
    }
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| IdTokenError::Malformed("the signature is not base64url"))?;
    let signature =
        Signature::try_from(signature.as_slice()).map_err(|_| IdTokenError::Signature)?;
    // The signed input is the encoded header and payload exactly as sent.
    let signed = &token.as_bytes()[..header_b64.len() + 1 + payload_b64.len()];
    if !candidates.any(|k| k.key.verify(signed, &signature).is_ok()) {
        return Err(IdTokenError::Signature);
    }

    let claims = decode_json(
        payload_b64,
        "the payload is not base64url",
        "the payload is not a JSON object",
    )?;
    check_claims(&claims, expected)?;
    Ok(claims)
}

fn check_claims(claims: &Map<String, Value>, expected: &Expected) -> Result<(), IdTokenError> {
    if claims.get("iss").and_then(Value::as_str) != Some(expected.issuer) {
        return Err(IdTokenError::Issuer);
    }
    let azp = claims
        .get("azp")
        .map(|a| a.as_str() == Some(expected.client_id));
    let for_us = match claims.get("aud") {
        Some(Value::String(aud)) => aud == expected.client_id && azp != Some(false),
        Some(Value::Array(auds)) => {
            auds.iter().any(|a| a.as_str() == Some(expected.client_id))
                // With several audiences the authorised party must be us (OIDC Core 3.1.3.7);
                // with any, an `azp` that names another party is refused.
                && if auds.len() == 1 { azp != Some(false) } else { azp == Some(true) }
        }
        _ => false,
    };
    if !for_us {
        return Err(IdTokenError::Audience);
    }
    let exp = claims
        .get("exp")
        .and_then(Value::as_i64)
        .ok_or(IdTokenError::Malformed("no numeric `exp`"))?;
    if exp.saturating_add(LEEWAY_S) <= expected.now_s {
        return Err(IdTokenError::Expired);
    }
    let iat = claims
        .get("iat")
        .and_then(Value::as_i64)
        .ok_or(IdTokenError::Malformed("no numeric `iat`"))?;
    if iat.saturating_sub(LEEWAY_S) > expected.now_s {
        return Err(IdTokenError::IssuedInFuture);
    }
    let nonce = claims.get("nonce").and_then(Value::as_str).unwrap_or("");
    if !crate::auth::constant_time_eq(nonce.as_bytes(), expected.nonce.as_bytes()) {
        return Err(IdTokenError::Nonce);
    }
    Ok(())
}

fn decode_json(
    part: &str,
    not_base64: &'static str,
    not_object: &'static str,
) -> Result<Map<String, Value>, IdTokenError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| IdTokenError::Malformed(not_base64))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(IdTokenError::Malformed(not_object)),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A modulus of `bits` bits (odd, top bit set): enough for the key parser, no key needed.
    fn modulus(bits: usize) -> String {
        let mut n = vec![0xA5u8; bits / 8];
        n[0] |= 0x80;
        *n.last_mut().unwrap() |= 1;
        URL_SAFE_NO_PAD.encode(n)
    }

    #[test]
    fn only_rsa_signing_keys_of_2048_bits_or_more_are_kept() {
        let e = URL_SAFE_NO_PAD.encode([1, 0, 1]);
        let jwks = json!({"keys": [
            {"kty": "RSA", "kid": "ok", "n": modulus(2048), "e": e},
            {"kty": "RSA", "kid": "small", "n": modulus(1024), "e": e},
            {"kty": "RSA", "kid": "enc", "use": "enc", "n": modulus(2048), "e": e},
            {"kty": "RSA", "kid": "ps", "alg": "PS256", "n": modulus(2048), "e": e},
            {"kty": "EC", "kid": "ec", "crv": "P-256", "x": "AA", "y": "AA"},
        ]});
        let kept: Vec<_> = rsa_keys(&jwks)
            .unwrap()
            .into_iter()
            .map(|k| k.kid)
            .collect();
        assert_eq!(kept, [Some("ok".to_string())]);
        // A broken entry is skipped; the good ones beside it stay.
        let mixed = json!({"keys": [
            {"kty": "RSA", "kid": "broken", "n": "***", "e": e},
            {"kty": "RSA", "kid": "ok", "n": modulus(2048), "e": e},
        ]});
        assert_eq!(rsa_keys(&mixed).unwrap().len(), 1);
        assert!(rsa_keys(&json!({})).is_err());
    }

    fn claims(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn claims_bind_the_token_to_this_client_and_attempt() {
        let expected = Expected {
            issuer: "https://eid.test",
            client_id: "atz",
            nonce: "n1",
            now_s: 1_000_000,
        };
        let good = json!({"iss": "https://eid.test", "aud": "atz", "exp": 1_000_100, "iat": 999_990, "nonce": "n1"});
        assert_eq!(check_claims(&claims(good.clone()), &expected), Ok(()));
        let with = |key: &str, value: Value| {
            let mut c = claims(good.clone());
            c.insert(key.into(), value);
            check_claims(&c, &expected)
        };
        // Several audiences: accepted only when the authorised party is this client.
        assert_eq!(with("aud", json!(["atz"])), Ok(()));
        assert_eq!(
            with("aud", json!(["atz", "other"])),
            Err(IdTokenError::Audience)
        );
        let mut both = claims(good.clone());
        both.insert("aud".into(), json!(["atz", "other"]));
        both.insert("azp".into(), json!("atz"));
        assert_eq!(check_claims(&both, &expected), Ok(()));
        assert_eq!(with("aud", json!(42)), Err(IdTokenError::Audience));
        assert_eq!(with("azp", json!("other")), Err(IdTokenError::Audience));
        assert_eq!(with("exp", json!(i64::MAX)), Ok(()));
        // Within the leeway an expired token still passes; beyond it, not.
        assert_eq!(with("exp", json!(1_000_000 - 30)), Ok(()));
        assert_eq!(
            with("exp", json!(1_000_000 - 60)),
            Err(IdTokenError::Expired)
        );
        assert_eq!(
            with("exp", json!("soon")),
            Err(IdTokenError::Malformed("no numeric `exp`"))
        );
        assert_eq!(
            with("iat", json!(1_000_061)),
            Err(IdTokenError::IssuedInFuture)
        );
        assert_eq!(with("nonce", json!("n2")), Err(IdTokenError::Nonce));
        assert_eq!(
            with("iss", json!("https://eid.test/")),
            Err(IdTokenError::Issuer)
        );
    }

    #[test]
    fn malformed_tokens_are_named_before_any_key_is_tried() {
        let expected = Expected {
            issuer: "i",
            client_id: "c",
            nonce: "n",
            now_s: 0,
        };
        let header = |v: Value| URL_SAFE_NO_PAD.encode(v.to_string());
        assert_eq!(
            verify("a.b", &[], &expected).err(),
            Some(IdTokenError::Malformed("not three dot-separated parts"))
        );
        assert_eq!(
            verify("%%.b.c", &[], &expected).err(),
            Some(IdTokenError::Malformed("the header is not base64url"))
        );
        let none = format!("{}.e30.", header(json!({"alg": "none"})));
        assert_eq!(
            verify(&none, &[], &expected).err(),
            Some(IdTokenError::Algorithm("none".into()))
        );
        let rs = format!("{}.e30.AA", header(json!({"alg": "RS256", "kid": "k"})));
        assert_eq!(
            verify(&rs, &[], &expected).err(),
            Some(IdTokenError::UnknownKey)
        );
    }
}
