//! Keys and sealing. One 256-bit master key (from configuration) derives a key per purpose, so a
//! leak of one derived key does not expose the others and labels can be rotated independently.

use std::fmt;

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;

const SEALED_VERSION: u8 = 1;
const NONCE_LEN: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error(
        "the master key must be 64 hexadecimal characters (32 bytes); generate one with `openssl rand -hex 32`"
    )]
    BadMasterKey,
    #[error("sealed data could not be opened: wrong key or tampered data ({context})")]
    Open { context: &'static str },
}

/// The master key. `Debug` never shows it.
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

impl MasterKey {
    pub fn from_hex(hex_key: &str) -> Result<Self, CryptoError> {
        let bytes = hex::decode(hex_key.trim()).map_err(|_| CryptoError::BadMasterKey)?;
        let arr: [u8; 32] = bytes.try_into().map_err(|_| CryptoError::BadMasterKey)?;
        Ok(MasterKey(arr))
    }

    pub fn generate() -> Self {
        MasterKey(Aes256Gcm::generate_key(OsRng).into())
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    fn derive(&self, label: &str) -> [u8; 32] {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(label.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

/// Purpose-bound keys derived from the master key.
pub(crate) struct Keys {
    blob: Aes256Gcm,
    personal: Aes256Gcm,
    /// Sign-in attempts a browser carries: their own key, since anyone may start one.
    browser: Aes256Gcm,
    lookup: [u8; 32],
    location: [u8; 32],
}

impl Keys {
    pub(crate) fn derive(master: &MasterKey) -> Self {
        let cipher = |label| Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&master.derive(label)));
        Keys {
            blob: cipher("atzinums/blob-encryption/v1"),
            personal: cipher("atzinums/personal-data-encryption/v1"),
            browser: cipher("atzinums/browser-sign-in/v1"),
            lookup: master.derive("atzinums/person-lookup/v1"),
            location: master.derive("atzinums/blob-location/v1"),
        }
    }

    /// Encrypts a document; `aad` binds the ciphertext to its content address.
    pub(crate) fn seal_blob(&self, plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
        seal(&self.blob, plaintext, aad)
    }

    pub(crate) fn open_blob(&self, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, CryptoError> {
        open(&self.blob, sealed, aad, "document")
    }

    pub(crate) fn seal_personal(&self, plaintext: &[u8], context: &'static str) -> Vec<u8> {
        seal(&self.personal, plaintext, context.as_bytes())
    }

    pub(crate) fn open_personal(
        &self,
        sealed: &[u8],
        context: &'static str,
    ) -> Result<Vec<u8>, CryptoError> {
        open(&self.personal, sealed, context.as_bytes(), context)
    }

    pub(crate) fn seal_browser(&self, plaintext: &[u8]) -> Vec<u8> {
        seal(&self.browser, plaintext, b"browser_sign_in")
    }

    pub(crate) fn open_browser(&self, sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        open(&self.browser, sealed, b"browser_sign_in", "browser_sign_in")
    }

    /// Keyed hash for equality lookup of a personal code without storing it in clear.
    pub(crate) fn person_lookup(&self, code: &str) -> String {
        keyed_hash(&self.lookup, code.as_bytes())
    }

    /// Storage location of a blob. Keyed, so a storage listing does not reveal content hashes
    /// that could confirm a guessed document.
    pub(crate) fn blob_location(&self, sha256_hex: &str) -> String {
        keyed_hash(&self.location, sha256_hex.as_bytes())
    }
}

fn keyed_hash(key: &[u8; 32], data: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    hex::encode(mac.finalize().into_bytes())
}

fn seal(cipher: &Aes256Gcm, plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
    let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    let ciphertext = cipher
        .encrypt(
            &nonce,
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .expect("AES-GCM encryption cannot fail for in-memory buffers");
    let mut out = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
    out.push(SEALED_VERSION);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ciphertext);
    out
}

fn open(
    cipher: &Aes256Gcm,
    sealed: &[u8],
    aad: &[u8],
    context: &'static str,
) -> Result<Vec<u8>, CryptoError> {
    let err = || CryptoError::Open { context };
    let (&version, rest) = sealed.split_first().ok_or_else(err)?;
    if version != SEALED_VERSION || rest.len() < NONCE_LEN {
        return Err(err());
    }
    let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
    cipher
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .map_err(|_| err())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealing_round_trips_and_detects_tampering() {
        let keys = Keys::derive(&MasterKey::generate());
        let sealed = keys.seal_blob(b"izraksts", b"aad");
        assert_eq!(keys.open_blob(&sealed, b"aad").unwrap(), b"izraksts");
        assert!(keys.open_blob(&sealed, b"other").is_err(), "aad is bound");
        let mut flipped = sealed.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert!(keys.open_blob(&flipped, b"aad").is_err());
        assert!(keys.open_blob(&[], b"aad").is_err());
    }

    #[test]
    fn derived_keys_differ_and_master_key_is_redacted() {
        let master = MasterKey::generate();
        let keys = Keys::derive(&master);
        assert_ne!(keys.person_lookup("x"), keys.blob_location("x"));
        assert_eq!(format!("{master:?}"), "MasterKey(<redacted>)");
        assert!(MasterKey::from_hex("abc").is_err());
        assert_eq!(MasterKey::from_hex(&master.to_hex()).unwrap().0, master.0);
    }
}
