//! The one typed configuration: defaults < config file < `ATZINUMS_*` environment < flags.
//! Printed redacted at start-up: secrets and database passwords never reach the log.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use atzinums_api::OidcConfig;
use atzinums_store::{BlobLocation, DEFAULT_MAX_DOCUMENT_BYTES, MasterKey, Store, StoreConfig};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

#[derive(Clone, Serialize, Deserialize)]
pub struct Config {
    /// Where everything of this instance lives; two instances never share one by accident.
    pub data_dir: PathBuf,
    /// `sqlite://PATH` or `postgres://…`; default: a SQLite file in the data directory.
    pub database_url: Option<String>,
    /// Document storage; default: the `blobs` folder in the data directory.
    pub blobs: Option<BlobLocation>,
    /// 64 hex characters. Prefer `master_key_file` or the environment over a config file.
    pub master_key: Option<String>,
    /// Default: `master.key` in the data directory, if it exists.
    pub master_key_file: Option<PathBuf>,
    pub max_document_bytes: u64,
    pub listen: SocketAddr,
    /// `text` or `json`.
    pub log_format: String,
    /// CPU threads for model inference.
    pub threads: usize,
    /// Mark session cookies `Secure` (turn off only for plain-HTTP use on loopback).
    pub secure_cookies: bool,
    /// How people sign in: `none` (default: only institutions' tokens work), `oidc` (the eID,
    /// through the provider in `[oidc]`) or `local` (any personal code as applicant, staff from
    /// `staff`; for demos and tests only).
    pub identity: String,
    /// Staff who may sign in, and in which role (`[[staff]] person_code = "…", role =
    /// "expert"`); applicants and representatives need no entry. Used by `oidc` and `local`.
    pub staff: Vec<StaffEntry>,
    /// The OpenID Connect provider, for `identity = "oidc"`.
    pub oidc: Option<OidcConfig>,
}

/// One entry of the staff directory.
#[derive(Clone, Serialize, Deserialize)]
pub struct StaffEntry {
    pub person_code: String,
    pub role: String,
}

impl std::fmt::Debug for StaffEntry {
    // Personal codes stay out of the logged configuration.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaffEntry")
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("data"),
            database_url: None,
            blobs: None,
            master_key: None,
            master_key_file: None,
            max_document_bytes: DEFAULT_MAX_DOCUMENT_BYTES,
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            log_format: "text".into(),
            threads: 2,
            secure_cookies: true,
            identity: "none".into(),
            staff: Vec::new(),
            oidc: None,
        }
    }
}

impl Config {
    /// Loads the configuration. `file` may be absent; `data_dir` overrides everything else.
    pub fn load(file: Option<&Path>, data_dir: Option<&Path>) -> anyhow::Result<Config> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            if !file.exists() {
                bail!("config file {} does not exist", file.display());
            }
            figment = figment.merge(Toml::file(file));
        }
        // The conventional DATABASE_URL is honoured, below the more specific ATZINUMS_DATABASE_URL.
        if let Ok(url) = std::env::var("DATABASE_URL") {
            figment = figment.merge(Serialized::default("database_url", url));
        }
        figment = figment.merge(Env::prefixed("ATZINUMS_").split("__"));
        if let Some(dir) = data_dir {
            figment = figment.merge(Serialized::default("data_dir", dir));
        }
        let config: Config = figment.extract().context("invalid configuration")?;
        match config.identity.as_str() {
            "none" | "local" => {}
            "oidc" => match &config.oidc {
                Some(oidc) => check_oidc(oidc)?,
                None => bail!(
                    "identity = \"oidc\" needs an [oidc] section (issuer, client_id, redirect_uri)"
                ),
            },
            other => bail!("identity must be \"none\", \"oidc\" or \"local\", not {other:?}"),
        }
        if config.log_format != "text" && config.log_format != "json" {
            bail!(
                "log_format must be \"text\" or \"json\", not {:?}",
                config.log_format
            );
        }
        Ok(config)
    }

    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("atzinums.db").display()))
    }

    /// Opens the store this configuration names (creating the data directory).
    pub async fn open_store(&self) -> anyhow::Result<Store> {
        let key = self.master_key()?;
        std::fs::create_dir_all(&self.data_dir)
            .with_context(|| format!("cannot create data directory {}", self.data_dir.display()))?;
        Store::open(&self.store_config(), &key)
            .await
            .context("cannot open the store")
    }

    pub fn store_config(&self) -> StoreConfig {
        StoreConfig {
            database_url: self.database_url(),
            blobs: self.blobs.clone().unwrap_or_else(|| BlobLocation::Local {
                path: self.data_dir.join("blobs"),
            }),
            max_document_bytes: self.max_document_bytes,
        }
    }

    fn key_file(&self) -> PathBuf {
        self.master_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("master.key"))
    }

    /// The master key from configuration or its key file; an error tells how to provide one.
    pub fn master_key(&self) -> anyhow::Result<MasterKey> {
        if let Some(hex) = &self.master_key {
            return MasterKey::from_hex(hex).context("ATZINUMS_MASTER_KEY / master_key is invalid");
        }
        let file = self.key_file();
        match std::fs::read_to_string(&file) {
            Ok(hex) => MasterKey::from_hex(&hex)
                .with_context(|| format!("key file {} is invalid", file.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
                "no encryption key: set ATZINUMS_MASTER_KEY (64 hex characters, e.g. from `openssl rand -hex 32`) \
                 or put it in {}; documents are never stored unencrypted",
                file.display()
            ),
            Err(e) => Err(e).with_context(|| format!("cannot read key file {}", file.display())),
        }
    }

    /// For `demo` only: creates a local key file (mode 0600) if no key is configured.
    pub fn ensure_demo_key(&self) -> anyhow::Result<()> {
        if self.master_key.is_some() || self.key_file().exists() {
            return Ok(());
        }
        let file = self.key_file();
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut f = options
            .open(&file)
            .with_context(|| format!("cannot create key file {}", file.display()))?;
        std::io::Write::write_all(&mut f, MasterKey::generate().to_hex().as_bytes())?;
        tracing::info!(file = %file.display(), "created a local demo encryption key");
        Ok(())
    }
}

/// What an operator can get wrong in `[oidc]` that would only show at the first sign-in.
fn check_oidc(oidc: &OidcConfig) -> anyhow::Result<()> {
    // The attempt cookie is scoped to the callback's path: another path never gets it back.
    if !oidc.redirect_uri.ends_with("/pieslegties/eid/atpakal") {
        bail!(
            "oidc.redirect_uri must be this service's callback, https://HOST/pieslegties/eid/atpakal, not {:?}",
            oidc.redirect_uri
        );
    }
    if !(60..=3600).contains(&oidc.attempt_secs) {
        bail!(
            "oidc.attempt_secs must be between 60 and 3600 (time to sign in at the provider), not {}",
            oidc.attempt_secs
        );
    }
    Ok(())
}

/// Hides the password in a database URL.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("data_dir", &self.data_dir)
            .field("database_url", &redact_url(&self.database_url()))
            .field("blobs", &self.store_config().blobs)
            .field(
                "master_key",
                &self.master_key.as_ref().map(|_| "<redacted>"),
            )
            .field("master_key_file", &self.key_file())
            .field("max_document_bytes", &self.max_document_bytes)
            .field("listen", &self.listen)
            .field("log_format", &self.log_format)
            .field("threads", &self.threads)
            .field("secure_cookies", &self.secure_cookies)
            .field("identity", &self.identity)
            .field("staff", &self.staff)
            .field("oidc", &self.oidc)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_and_keys_are_redacted() {
        let config = Config {
            database_url: Some("postgres://app:s3cret@db:5432/atz".into()),
            master_key: Some("00".repeat(32)),
            oidc: Some(OidcConfig {
                client_secret: Some("oidc-s3cret".into()),
                ..OidcConfig::new(
                    "https://eid.example",
                    "atzinums",
                    "https://atzinums.example/pieslegties/eid/atpakal",
                )
            }),
            ..Config::default()
        };
        let shown = format!("{config:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("https://eid.example"), "{shown}");
        assert!(!shown.contains(&"00".repeat(32)), "{shown}");
        assert!(shown.contains("postgres://app:***@db:5432/atz"), "{shown}");
        assert_eq!(redact_url("sqlite://data/a.db"), "sqlite://data/a.db");
    }

    #[test]
    fn oidc_sign_in_needs_its_provider_section() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("atzinums.toml");
        let load = |text: String| {
            std::fs::write(&file, text).unwrap();
            Config::load(Some(&file), None)
        };
        let with_oidc = |redirect_uri: &str, extra: &str| {
            format!(
                "identity = \"oidc\"\n[oidc]\nissuer = \"https://eid.example\"\nclient_id = \"atz\"\nredirect_uri = \"{redirect_uri}\"\n{extra}\n"
            )
        };
        let callback = "https://a.example/pieslegties/eid/atpakal";

        let e = load("identity = \"oidc\"\n".into()).err().unwrap();
        assert!(
            format!("{e:#}").contains("needs an [oidc] section"),
            "{e:#}"
        );
        let oidc = load(with_oidc(callback, "")).unwrap().oidc.unwrap();
        assert_eq!(
            (
                oidc.scopes.as_str(),
                oidc.person_code_claim.as_str(),
                oidc.attempt_secs
            ),
            ("openid", "sub", 600)
        );
        for (field, text) in [
            ("redirect_uri", with_oidc("https://a.example/callback", "")),
            ("attempt_secs", with_oidc(callback, "attempt_secs = 5")),
        ] {
            let e = load(text).err().unwrap();
            assert!(format!("{e:#}").contains(&format!("oidc.{field}")), "{e:#}");
        }
        assert!(load("identity = \"saml\"\n".into()).is_err());
    }

    #[test]
    fn data_dir_places_everything_and_flags_win() {
        let config = Config::load(None, Some(Path::new("/tmp/x"))).unwrap();
        assert_eq!(config.data_dir, PathBuf::from("/tmp/x"));
        if std::env::var("DATABASE_URL").is_err() && std::env::var("ATZINUMS_DATABASE_URL").is_err()
        {
            assert_eq!(config.database_url(), "sqlite:///tmp/x/atzinums.db");
        }
        assert_eq!(
            config.store_config().blobs,
            BlobLocation::Local {
                path: PathBuf::from("/tmp/x/blobs")
            }
        );
    }
}
