//! Scoring a predictions file another program wrote: hand-written predictions against
//! hand-written decisions, every number computed by hand.

use std::collections::BTreeMap;

use atzinums_eval::scoring::{join, read_predictions, summarise};
use atzinums_models::DecisionJson;

fn decision(
    outcome: &str,
    pct: Option<u8>,
    months: Option<u32>,
    special_care: Option<bool>,
) -> DecisionJson {
    let mut d = serde_json::json!({
        "decided_at": "2026-03-02",
        "outcome": outcome,
        "cause": "general_illness",
        "primary_icd10": "I25.2",
        "icd10": ["I25.2"],
        "functioning": {"learning": 0, "communication": 0, "orientation": 2, "mobility": 2,
                        "self_care": 1, "behaviour": 0},
        "opinions": {},
        "complex": false,
        "opinion_text": "…",
        "expert": "E-001"
    });
    if let Some(p) = pct {
        d["work_capacity_loss_pct"] = p.into();
    }
    if let Some(m) = months {
        d["term"] = serde_json::json!({ "months": m });
    }
    if let Some(s) = special_care {
        d["opinions"] = serde_json::json!({ "special_care": s });
    }
    serde_json::from_value(d).unwrap()
}

/// As another system would write it: only some fields, its own order, a blank line.
const PREDICTIONS: &str = r#"{"case_id": "A", "outcome": "group_III", "work_capacity_loss_pct": 40, "term": {"months": 24}, "route": "standard", "confidence": 0.9}

{"outcome": "group_II", "case_id": "B", "work_capacity_loss_pct": 70, "route": "complex", "reasons": ["child"], "confidence": 0.6, "opinions": {"special_care": true}}
{"case_id": "C", "outcome": "group_II", "work_capacity_loss_pct": 60, "route": "complex", "confidence": 0.8}
{"case_id": "Z", "outcome": "none", "route": "complex", "confidence": 0.5}
"#;

#[test]
fn a_hand_written_predictions_file_is_scored() {
    let decisions: BTreeMap<String, DecisionJson> = [
        ("A", decision("group_III", Some(50), Some(24), None)),
        ("B", decision("group_II", Some(65), Some(12), Some(true))),
        ("C", decision("group_I", Some(80), Some(24), Some(false))),
        ("D", decision("none", None, None, None)),
    ]
    .into_iter()
    .map(|(id, d)| (id.to_string(), d))
    .collect();
    let joined = join(read_predictions(PREDICTIONS).unwrap(), &decisions);
    assert_eq!(joined.missing, ["D"]);
    assert_eq!(joined.unknown, ["Z"]);
    let s = summarise(&joined.pairs);
    assert_eq!(s["cases"], 3);
    // A and B right, C wrong (II for I).
    assert!((s["outcome_accuracy"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-12);
    // |40−50| + |70−65| + |60−80| = 35 over 3.
    assert!((s["pct_mae"].as_f64().unwrap() - 35.0 / 3.0).abs() < 1e-12);
    // Term scored where the outcome is right and the decision has one: A right, B none given.
    assert_eq!(s["term_accuracy_when_outcome_right"], 0.5);
    // One of three routed standard, and it was right.
    assert!((s["routing"]["standard_share"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-12);
    assert_eq!(s["routing"]["standard_accuracy"], 1.0);
    assert_eq!(s["routing"]["reasons"]["child"], 1);
    // special_care asked in B (granted, predicted) and C (refused, not predicted): F1 = 1.
    assert_eq!(s["opinion_f1"]["special_care"], 1.0);
    // Bins: 0.6 right → |1 − 0.6|; 0.8 wrong → |0 − 0.8|; 0.9 right → |1 − 0.9|: (0.4+0.8+0.1)/3.
    let ece = s["calibration"]["ece"].as_f64().unwrap();
    assert!((ece - 1.3 / 3.0).abs() < 1e-12, "{ece}");
    // Row group_I (true), column group_II (predicted) holds C.
    let labels: Vec<&str> = s["confusion"]["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    let at = |l: &str| labels.iter().position(|x| *x == l).unwrap();
    assert_eq!(
        s["confusion"]["rows_true_columns_predicted"][at("group_I")][at("group_II")],
        1
    );
    // Another system's file without verification or latency: those are null, not zero.
    assert!(s["groundedness"]["ungrounded_items"].is_null());
    assert_eq!(s["latency_seconds"]["cases"], 3);
}

#[test]
fn bad_lines_are_named() {
    let err = read_predictions(
        "{\"case_id\": \"A\", \"outcome\": \"group_III\"}\n{\"case_id\": \"B\"}\n",
    )
    .unwrap_err();
    assert!(err.to_string().starts_with("line 2:"), "{err}");
    let err = read_predictions("{\"case_id\": \"A\", \"outcome\": \"group_9\"}").unwrap_err();
    assert!(err.to_string().contains("line 1"), "{err}");
    let twice =
        "{\"case_id\": \"A\", \"outcome\": \"none\"}\n{\"case_id\": \"A\", \"outcome\": \"none\"}";
    assert!(
        read_predictions(twice)
            .unwrap_err()
            .to_string()
            .contains("twice")
    );
}
