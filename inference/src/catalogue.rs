//! Compact code catalogues (ICD-10, ICF) derived at set-up from GNU Health's XML data, which is
//! GPL-licensed and therefore read at set-up time only, never committed.
//!
//! File format (`<data_dir>/catalogues/icd10.tsv`, `icf.tsv`): one header line
//! `# atzinums-catalogue/1 kind=<kind> sources=<sha256,...>`, then `code<TAB>title` lines sorted
//! by code. The header's source hashes make a re-run of set-up skip an up-to-date file.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::manifest::CatalogueSpec;

const HEADER: &str = "# atzinums-catalogue/1";

/// A code → title lookup (ICD-10 or ICF, told by the file's header).
#[derive(Debug, Clone)]
pub struct Catalogue {
    kind: String,
    titles: BTreeMap<String, String>,
}

/// ICD-10 codes such as `G35` or `M54.5` (also accepted as `m545`).
pub type Icd10Catalogue = Catalogue;
/// ICF categories such as `b130`, `d450`.
pub type IcfCatalogue = Catalogue;

#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    #[error("catalogue {path} is missing or unreadable ({source}): run `atzinums setup`")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("catalogue {path} is malformed at line {line}: run `atzinums setup` to rebuild it")]
    Malformed { path: PathBuf, line: usize },
}

impl Catalogue {
    pub fn load(path: &Path) -> Result<Catalogue, CatalogueError> {
        let text = std::fs::read_to_string(path).map_err(|e| CatalogueError::Io {
            path: path.into(),
            source: e,
        })?;
        let malformed = |line| CatalogueError::Malformed {
            path: path.into(),
            line,
        };
        let mut lines = text.lines();
        let header = lines
            .next()
            .filter(|h| h.starts_with(HEADER))
            .ok_or_else(|| malformed(1))?;
        let kind = header_field(header, "kind")
            .ok_or_else(|| malformed(1))?
            .to_string();
        let mut titles = BTreeMap::new();
        for (i, line) in lines.enumerate() {
            let (code, title) = line.split_once('\t').ok_or_else(|| malformed(i + 2))?;
            titles.insert(code.to_string(), title.to_string());
        }
        Ok(Catalogue { kind, titles })
    }

    /// `icd10` or `icf`.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    pub fn len(&self) -> usize {
        self.titles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.titles.is_empty()
    }

    pub fn contains(&self, code: &str) -> bool {
        self.title(code).is_some()
    }

    pub fn title(&self, code: &str) -> Option<&str> {
        self.titles
            .get(&normalise(&self.kind, code))
            .map(String::as_str)
    }

    /// All (code, title) pairs, sorted by code.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.titles.iter().map(|(c, t)| (c.as_str(), t.as_str()))
    }
}

/// ICD-10 codes are stored upper-case with a dot after the category (`M54.5`); ICF lower-case.
fn normalise(kind: &str, code: &str) -> String {
    let c: String = code.trim().chars().filter(|c| !c.is_whitespace()).collect();
    if kind != "icd10" {
        return c.to_lowercase();
    }
    let c = c.to_uppercase();
    if c.len() > 3 && !c.contains('.') && c.is_ascii() {
        format!("{}.{}", &c[..3], &c[3..])
    } else {
        c
    }
}

fn header_field<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    header
        .split(' ')
        .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
}

pub(crate) fn source_stamp(spec: &CatalogueSpec) -> String {
    spec.sources
        .iter()
        .map(|s| s.sha256.clone().unwrap_or_default())
        .collect::<Vec<_>>()
        .join(",")
}

/// The number of entries when `path` exists and was built from the same sources.
pub(crate) fn valid_entries(path: &Path, stamp: &str) -> Option<usize> {
    let text = std::fs::read_to_string(path).ok()?;
    let header = text.lines().next()?;
    (header.starts_with(HEADER) && header_field(header, "sources") == Some(stamp))
        .then(|| text.lines().count() - 1)
}

/// Every `<record>` with a `code` and a `name` field, over all documents; sorted, deduplicated.
pub(crate) fn entries_from_xml(docs: &[String]) -> Vec<(String, String)> {
    let mut out = BTreeMap::new();
    for doc in docs {
        for record in doc.split("<record").skip(1) {
            let record = record.split("</record>").next().unwrap_or("");
            let (Some(code), Some(name)) = (field(record, "code"), field(record, "name")) else {
                continue;
            };
            let code = unescape(code.trim());
            let name = unescape(name.trim()).replace(['\t', '\n', '\r'], " ");
            if !code.is_empty() && !name.is_empty() {
                out.insert(code, name);
            }
        }
    }
    out.into_iter().collect()
}

fn field<'a>(record: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<field name=\"{name}\">");
    let start = record.find(&open)? + open.len();
    let end = record[start..].find("</field>")?;
    Some(&record[start..start + end])
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

pub(crate) fn write_tsv(
    path: &Path,
    kind: &str,
    stamp: &str,
    entries: &[(String, String)],
) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let partial = path.with_extension("tsv.partial");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&partial)?);
    writeln!(w, "{HEADER} kind={kind} sources={stamp}")?;
    for (code, title) in entries {
        writeln!(w, "{code}\t{title}")?;
    }
    w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    std::fs::rename(&partial, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    const XML: &str = r#"<tryton><data>
<record model="gnuhealth.pathology" id="A000">
	<field name="name">Cholera &amp; co</field>
	<field name="code">A00.0</field>
	<field name="category" ref="icdcat1-1"></field>
</record>
<record model="x" id="nocode"><field name="name">No code</field></record>
<record model="gnuhealth.pathology" id="G35"><field name="name">Multiple sclerosis</field><field name="code">G35</field></record>
</data></tryton>"#;

    #[test]
    fn xml_to_tsv_and_back() {
        let entries = entries_from_xml(&[XML.to_string()]);
        assert_eq!(entries.len(), 2);
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("icd10.tsv");
        write_tsv(&p, "icd10", "abc", &entries).unwrap();
        assert_eq!(valid_entries(&p, "abc"), Some(2));
        assert_eq!(valid_entries(&p, "other"), None);
        let c = Icd10Catalogue::load(&p).unwrap();
        assert_eq!(c.title("A00.0"), Some("Cholera & co"));
        assert!(c.contains("a000") && c.contains(" G35 ") && !c.contains("G36"));
    }

    #[test]
    fn icf_codes_are_lower_case_and_missing_file_says_setup() {
        assert_eq!(normalise("icf", " B130"), "b130");
        let e = Catalogue::load(Path::new("/nonexistent/icf.tsv")).unwrap_err();
        assert!(e.to_string().contains("atzinums setup"));
    }
}
