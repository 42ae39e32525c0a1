//! Live quality from signed decisions: how the drafts fare once people decide. Per ISO week,
//! how often the signed outcome is the drafted one, how many drafts were signed without an edit,
//! how many fields experts changed and how much of the conclusion's text; which fields they
//! change most; and a drift alert when recent agreement fell clearly below the weeks before.
//! Pure: the store supplies the rows, the console shows the result.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use serde_json::Value;

use crate::metrics::{bootstrap_interval, share_true};

/// One signed decision compared with its draft.
#[derive(Debug, Clone, PartialEq)]
pub struct SignedRecord {
    pub signed_on: NaiveDate,
    /// The draft's outcome; `None` when the decision had no draft (entered by hand).
    pub draft_outcome: Option<String>,
    pub signed_outcome: String,
    /// The draft's route (`standard`, `complex`, `incomplete`).
    pub route: Option<String>,
    /// The fields the expert changed against the draft; `None` without an approved proposal.
    pub fields_changed: Option<Vec<String>>,
    /// Word-level edit distance of the conclusion, 0 (as drafted) to 1 (all rewritten).
    pub text_edit: Option<f64>,
}

impl SignedRecord {
    /// Reads an approved proposal's diff against the draft (`[{"field", "draft", "expert"}]`).
    pub fn with_diff(mut self, diff: Option<&Value>) -> Self {
        let Some(entries) = diff.and_then(Value::as_array) else {
            return self;
        };
        let fields: Vec<String> = entries
            .iter()
            .filter_map(|e| e["field"].as_str().map(str::to_string))
            .collect();
        let text = entries.iter().find(|e| e["field"] == "opinion_text");
        self.text_edit = Some(text.map_or(0.0, |e| {
            word_edit_distance(
                e["draft"].as_str().unwrap_or(""),
                e["expert"].as_str().unwrap_or(""),
            )
        }));
        self.fields_changed = Some(fields);
        self
    }
}

/// Levenshtein distance over words, divided by the longer text's word count: 0 for the same
/// words, 1 when nothing is kept. Words, not characters: conclusions run to thousands of
/// characters and a word is what an expert changes.
pub fn word_edit_distance(a: &str, b: &str) -> f64 {
    let a: Vec<&str> = a.split_whitespace().collect();
    let b: Vec<&str> = b.split_whitespace().collect();
    let longest = a.len().max(b.len());
    if longest == 0 {
        return 0.0;
    }
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, wa) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, wb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(wa != wb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()] as f64 / longest as f64
}

/// One ISO week of signed decisions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeekQuality {
    /// `2026-W48`.
    pub week: String,
    pub signed: usize,
    /// Signed decisions that had a draft to compare with.
    pub compared: usize,
    pub outcome_agreement: Option<f64>,
    /// Signed as drafted (an approved proposal without a change).
    pub unedited_share: Option<f64>,
    pub mean_fields_changed: Option<f64>,
    pub mean_text_edit: Option<f64>,
    /// Drafts routed standard, and how often their outcome was signed.
    pub standard: usize,
    pub standard_agreement: Option<f64>,
}

/// Recent agreement clearly below the weeks before.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriftAlert {
    pub recent_weeks: u32,
    pub recent_cases: usize,
    pub recent_agreement: f64,
    pub recent_agreement_95: (f64, f64),
    pub earlier_weeks: u32,
    pub earlier_cases: usize,
    pub earlier_agreement: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiveQuality {
    /// Newest first.
    pub weeks: Vec<WeekQuality>,
    /// How often each field was changed by experts, over all the weeks shown.
    pub fields_changed: BTreeMap<String, usize>,
    pub drift: Option<DriftAlert>,
}

/// The drift check compares the last `RECENT_WEEKS` with the `EARLIER_WEEKS` before them; it
/// alerts when both have enough cases, recent agreement is more than `DRIFT_GAP` lower and its
/// seeded bootstrap interval does not reach the earlier agreement (the slice-flag rule).
const RECENT_WEEKS: u32 = 4;
const EARLIER_WEEKS: u32 = 12;
const DRIFT_MIN_CASES: usize = 20;
const DRIFT_GAP: f64 = 0.05;
const DRIFT_SEED: u64 = 20_261_127;

fn share(xs: &[bool]) -> Option<f64> {
    share_true(xs.iter().copied())
}

fn mean(xs: &[f64]) -> Option<f64> {
    (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
}

fn agrees(r: &SignedRecord) -> Option<bool> {
    r.draft_outcome.as_ref().map(|d| *d == r.signed_outcome)
}

fn week_of(date: NaiveDate) -> String {
    let w = date.iso_week();
    format!("{}-W{:02}", w.year(), w.week())
}

fn summarise_week(week: String, records: &[&SignedRecord]) -> WeekQuality {
    let agreement: Vec<bool> = records.iter().filter_map(|r| agrees(r)).collect();
    let fields: Vec<&Vec<String>> = records
        .iter()
        .filter_map(|r| r.fields_changed.as_ref())
        .collect();
    let standard: Vec<bool> = records
        .iter()
        .filter(|r| r.route.as_deref() == Some("standard"))
        .filter_map(|r| agrees(r))
        .collect();
    WeekQuality {
        week,
        signed: records.len(),
        compared: agreement.len(),
        outcome_agreement: share(&agreement),
        unedited_share: share(&fields.iter().map(|f| f.is_empty()).collect::<Vec<_>>()),
        mean_fields_changed: mean(&fields.iter().map(|f| f.len() as f64).collect::<Vec<_>>()),
        mean_text_edit: mean(
            &records
                .iter()
                .filter_map(|r| r.text_edit)
                .collect::<Vec<_>>(),
        ),
        standard: standard.len(),
        standard_agreement: share(&standard),
    }
}

/// Live quality of `records` as of `today`.
pub fn live_quality(records: &[SignedRecord], today: NaiveDate) -> LiveQuality {
    let mut by_week: BTreeMap<String, Vec<&SignedRecord>> = BTreeMap::new();
    let mut fields_changed = BTreeMap::new();
    for r in records {
        by_week.entry(week_of(r.signed_on)).or_default().push(r);
        for f in r.fields_changed.iter().flatten() {
            *fields_changed.entry(f.clone()).or_insert(0) += 1;
        }
    }
    let weeks = by_week
        .into_iter()
        .rev()
        .map(|(week, rs)| summarise_week(week, &rs))
        .collect();
    LiveQuality {
        weeks,
        fields_changed,
        drift: drift(records, today),
    }
}

fn drift(records: &[SignedRecord], today: NaiveDate) -> Option<DriftAlert> {
    let days_ago = |r: &SignedRecord| (today - r.signed_on).num_days();
    let window = |from_weeks: u32, to_weeks: u32| -> Vec<bool> {
        let (from, to) = (i64::from(from_weeks) * 7, i64::from(to_weeks) * 7);
        records
            .iter()
            .filter(|r| (from..to).contains(&days_ago(r)))
            .filter_map(agrees)
            .collect()
    };
    let recent = window(0, RECENT_WEEKS);
    let earlier = window(RECENT_WEEKS, RECENT_WEEKS + EARLIER_WEEKS);
    if recent.len() < DRIFT_MIN_CASES || earlier.len() < DRIFT_MIN_CASES {
        return None;
    }
    let (recent_agreement, earlier_agreement) = (share(&recent)?, share(&earlier)?);
    let interval = bootstrap_interval(&recent, share, 1000, 0.95, DRIFT_SEED)?;
    (recent_agreement < earlier_agreement - DRIFT_GAP && interval.1 < earlier_agreement).then_some(
        DriftAlert {
            recent_weeks: RECENT_WEEKS,
            recent_cases: recent.len(),
            recent_agreement,
            recent_agreement_95: interval,
            earlier_weeks: EARLIER_WEEKS,
            earlier_cases: earlier.len(),
            earlier_agreement,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(days_ago: i64, agree: bool) -> SignedRecord {
        let today = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        SignedRecord {
            signed_on: today - chrono::Days::new(days_ago as u64),
            draft_outcome: Some("group_II".into()),
            signed_outcome: if agree { "group_II" } else { "group_III" }.into(),
            route: Some("complex".into()),
            fields_changed: None,
            text_edit: None,
        }
    }

    #[test]
    fn word_edit_distance_matches_hand_counts() {
        // One word substituted of four: 1/4. One word added to three: 1/4. Same: 0.
        assert_eq!(word_edit_distance("a b c d", "a x c d"), 0.25);
        assert_eq!(word_edit_distance("a b c", "a b c d"), 0.25);
        assert_eq!(word_edit_distance("a  b\nc", "a b c"), 0.0);
        assert_eq!(word_edit_distance("", ""), 0.0);
        assert_eq!(word_edit_distance("a b", "c d"), 1.0);
    }

    #[test]
    fn a_diff_gives_the_fields_and_the_text_edit() {
        let diff = json!([
            { "field": "term", "draft": {"months": 12}, "expert": {"months": 24} },
            { "field": "opinion_text", "draft": "a b c d", "expert": "a b c e" }
        ]);
        let r = record(1, true).with_diff(Some(&diff));
        assert_eq!(
            r.fields_changed,
            Some(vec!["term".into(), "opinion_text".into()])
        );
        assert_eq!(r.text_edit, Some(0.25));
        let unedited = record(1, true).with_diff(Some(&json!([])));
        assert_eq!(unedited.fields_changed, Some(vec![]));
        assert_eq!(unedited.text_edit, Some(0.0));
        assert_eq!(record(1, true).with_diff(None).fields_changed, None);
    }

    #[test]
    fn weeks_count_agreement_edits_and_the_standard_route() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(); // a Friday, 2026-W48
        let mut standard = record(0, true);
        standard.route = Some("standard".into());
        let edited = record(1, false).with_diff(Some(&json!([
            { "field": "outcome", "draft": "group_II", "expert": "group_III" }
        ])));
        let unedited = record(2, true).with_diff(Some(&json!([])));
        let last_week = record(7, true);
        let q = live_quality(&[standard, edited, unedited, last_week], today);
        assert_eq!(q.weeks.len(), 2);
        let w = &q.weeks[0];
        assert_eq!(w.week, "2026-W48");
        assert_eq!((w.signed, w.compared), (3, 3));
        assert_eq!(w.outcome_agreement, Some(2.0 / 3.0));
        assert_eq!(
            w.unedited_share,
            Some(0.5),
            "one of the two with a proposal"
        );
        assert_eq!(w.mean_fields_changed, Some(0.5));
        assert_eq!((w.standard, w.standard_agreement), (1, Some(1.0)));
        assert_eq!(q.weeks[1].week, "2026-W47");
        assert_eq!(q.fields_changed.get("outcome"), Some(&1));
        assert_eq!(q.drift, None, "too few cases to say");
    }

    #[test]
    fn drift_alerts_only_on_a_clear_drop_with_enough_cases() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        // Earlier 12 weeks: 60 cases at 90 %; recent 4 weeks: 40 cases at 60 %.
        let earlier = (0..60).map(|i| record(30 + i % 80, i % 10 != 0));
        let recent = (0..40).map(|i| record(i % 27, i % 5 < 3));
        let records: Vec<_> = earlier.chain(recent).collect();
        let alert = live_quality(&records, today).drift.expect("a clear drop");
        assert_eq!((alert.recent_cases, alert.earlier_cases), (40, 60));
        assert!((alert.recent_agreement - 0.6).abs() < 1e-12);
        assert!((alert.earlier_agreement - 0.9).abs() < 1e-12);
        assert!(alert.recent_agreement_95.1 < 0.9);
        // The same rates without the drop: no alert.
        let steady: Vec<_> = (0..60)
            .map(|i| record(30 + i % 80, i % 10 != 0))
            .chain((0..40).map(|i| record(i % 27, i % 10 != 0)))
            .collect();
        assert_eq!(live_quality(&steady, today).drift, None);
    }
}
