//! The distribution summary printed after generation.

use std::collections::BTreeMap;
use std::fmt;

/// Counts per category, merged across threads (BTreeMaps: stable order).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SynthSummary {
    pub cases: usize,
    pub documents: usize,
    pub kinds: BTreeMap<String, usize>,
    pub outcomes: BTreeMap<String, usize>,
    pub age_bands: BTreeMap<String, usize>,
    pub sexes: BTreeMap<String, usize>,
    pub regions: BTreeMap<String, usize>,
    pub channels: BTreeMap<String, usize>,
    pub icd_chapters: BTreeMap<String, usize>,
    pub docs_per_case: BTreeMap<String, usize>,
    pub doc_kinds: BTreeMap<String, usize>,
    pub media_types: BTreeMap<String, usize>,
    pub requested_opinions: BTreeMap<String, usize>,
    pub terms: BTreeMap<String, usize>,
    pub complex: usize,
    pub one_step_off: usize,
    pub contradictions: usize,
    pub with_decision: usize,
    pub bytes: u64,
}

pub(crate) fn bump(m: &mut BTreeMap<String, usize>, k: impl Into<String>) {
    *m.entry(k.into()).or_insert(0) += 1;
}

fn merge_map(a: &mut BTreeMap<String, usize>, b: &BTreeMap<String, usize>) {
    for (k, v) in b {
        *a.entry(k.clone()).or_insert(0) += v;
    }
}

impl SynthSummary {
    pub fn merge(&mut self, o: &SynthSummary) {
        self.cases += o.cases;
        self.documents += o.documents;
        merge_map(&mut self.kinds, &o.kinds);
        merge_map(&mut self.outcomes, &o.outcomes);
        merge_map(&mut self.age_bands, &o.age_bands);
        merge_map(&mut self.sexes, &o.sexes);
        merge_map(&mut self.regions, &o.regions);
        merge_map(&mut self.channels, &o.channels);
        merge_map(&mut self.icd_chapters, &o.icd_chapters);
        merge_map(&mut self.docs_per_case, &o.docs_per_case);
        merge_map(&mut self.doc_kinds, &o.doc_kinds);
        merge_map(&mut self.media_types, &o.media_types);
        merge_map(&mut self.requested_opinions, &o.requested_opinions);
        merge_map(&mut self.terms, &o.terms);
        self.complex += o.complex;
        self.one_step_off += o.one_step_off;
        self.contradictions += o.contradictions;
        self.with_decision += o.with_decision;
        self.bytes += o.bytes;
    }

    /// The share of `key` in `map`, of all cases.
    pub fn share(&self, map: &BTreeMap<String, usize>, key: &str) -> f64 {
        map.get(key).copied().unwrap_or(0) as f64 / self.cases.max(1) as f64
    }
}

fn section(
    f: &mut fmt::Formatter<'_>,
    title: &str,
    m: &BTreeMap<String, usize>,
    total: usize,
) -> fmt::Result {
    writeln!(f, "{title}:")?;
    for (k, v) in m {
        writeln!(
            f,
            "  {k:<28} {v:>8}  {:>5.1} %",
            *v as f64 * 100.0 / total.max(1) as f64
        )?;
    }
    Ok(())
}

impl fmt::Display for SynthSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.cases;
        writeln!(
            f,
            "{} cases, {} documents ({:.1} per case), {} with a decision, {:.1} MB",
            n,
            self.documents,
            self.documents as f64 / n.max(1) as f64,
            self.with_decision,
            self.bytes as f64 / 1e6
        )?;
        section(f, "kinds", &self.kinds, n)?;
        section(f, "outcomes", &self.outcomes, n)?;
        section(f, "ages (at decision)", &self.age_bands, n)?;
        section(f, "sex", &self.sexes, n)?;
        section(f, "regions", &self.regions, n)?;
        section(f, "channels", &self.channels, n)?;
        section(
            f,
            "ICD-10 chapter of the main diagnosis",
            &self.icd_chapters,
            n,
        )?;
        section(f, "documents per case", &self.docs_per_case, n)?;
        section(f, "document kinds (share of cases)", &self.doc_kinds, n)?;
        section(
            f,
            "file formats (share of documents)",
            &self.media_types,
            self.documents,
        )?;
        section(
            f,
            "requested opinions (share of cases)",
            &self.requested_opinions,
            n,
        )?;
        section(f, "terms", &self.terms, n)?;
        let pct = |x: usize| x as f64 * 100.0 / n.max(1) as f64;
        writeln!(f, "complex: {} ({:.1} %)", self.complex, pct(self.complex))?;
        writeln!(
            f,
            "one step off the rules (expert variability): {} ({:.1} %)",
            self.one_step_off,
            pct(self.one_step_off)
        )?;
        writeln!(
            f,
            "with contradicting documents: {} ({:.1} %)",
            self.contradictions,
            pct(self.contradictions)
        )
    }
}
