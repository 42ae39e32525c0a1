//! `decision.json`: the decision taken on a historical or labelled case.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

use super::fields::Fields;
use super::{CaseId, DatasetFieldError};
use crate::{
    Cause, FunctioningProfile, Icd10, OpinionKind, Outcome, PctExemption, Term, WorkCapacityError,
    WorkCapacityLoss,
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecisionJson {
    pub decided_at: NaiveDate,
    pub outcome: Outcome,
    /// Empty for children, pensioners, "none" without a figure, and the
    /// non-judgement outcomes.
    pub work_capacity_loss_pct: Option<WorkCapacityLoss>,
    pub term: Option<Term>,
    pub cause: Option<Cause>,
    pub primary_icd10: Option<Icd10>,
    pub icd10: Vec<Icd10>,
    pub functioning: FunctioningProfile,
    /// Requested opinions and whether each was granted.
    pub opinions: BTreeMap<OpinionKind, bool>,
    /// The expert judged the case non-standard.
    pub complex: bool,
    pub opinion_text: String,
    /// Pseudonymous expert id.
    pub expert: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl DecisionJson {
    /// Reads a decision. Without the person's age only the checks that hold
    /// for everyone are made: a percentage, when given, must fit the group's
    /// band, and outcomes that never carry one must not have one. A group
    /// without a percentage passes (the person may be a child or a pensioner);
    /// [`DecisionJson::check_work_capacity`] completes the check once the age is known.
    pub fn from_value(value: Value) -> Result<Self, DatasetFieldError> {
        let mut f = Fields::new(value, "decision")?;
        let d = DecisionJson {
            decided_at: f.required("decided_at")?,
            outcome: f.required("outcome")?,
            work_capacity_loss_pct: f.optional("work_capacity_loss_pct")?,
            term: f.optional("term")?,
            cause: f.optional("cause")?,
            primary_icd10: f.optional("primary_icd10")?,
            icd10: f.or_default("icd10")?,
            functioning: f.or_default("functioning")?,
            opinions: f.or_default("opinions")?,
            complex: f.or_default("complex")?,
            opinion_text: f.required("opinion_text")?,
            expert: f.required("expert")?,
            extra: f.into_extra(),
        };
        let is_group = d.outcome.ordinal().is_some_and(|o| o > 0);
        if !(is_group && d.work_capacity_loss_pct.is_none()) {
            d.check_work_capacity(PctExemption::None)
                .map_err(|e| DatasetFieldError::new("work_capacity_loss_pct", e))?;
        }
        Ok(d)
    }

    /// The full band check for a person whose age is known.
    pub fn check_work_capacity(&self, exemption: PctExemption) -> Result<(), WorkCapacityError> {
        WorkCapacityLoss::check_against(self.outcome, self.work_capacity_loss_pct, exemption)
    }
}

super::deserialize_via_from_value!(DecisionJson);

/// A reference to the decision of another case in the same dataset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecisionRef {
    pub case_id: CaseId,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl DecisionRef {
    pub fn from_value(value: Value) -> Result<Self, DatasetFieldError> {
        let mut f = Fields::new(value, "decision reference")?;
        Ok(DecisionRef {
            case_id: f.required("case_id")?,
            extra: f.into_extra(),
        })
    }
}

super::deserialize_via_from_value!(DecisionRef);

/// The decision a repeat or contest application follows on: either written
/// out in full or pointing at another case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PreviousDecision {
    Decision(Box<DecisionJson>),
    Ref(DecisionRef),
}

impl PreviousDecision {
    /// An object with `outcome` or `decided_at` is a full decision (and gets
    /// that type's errors); otherwise it must be `{"case_id": ...}`.
    pub fn from_value(value: Value) -> Result<Self, DatasetFieldError> {
        let full = value
            .as_object()
            .is_some_and(|m| m.contains_key("outcome") || m.contains_key("decided_at"));
        if full {
            Ok(PreviousDecision::Decision(Box::new(
                DecisionJson::from_value(value)?,
            )))
        } else {
            DecisionRef::from_value(value).map(PreviousDecision::Ref)
        }
    }
}

impl Serialize for PreviousDecision {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            PreviousDecision::Decision(d) => d.serialize(s),
            PreviousDecision::Ref(r) => r.serialize(s),
        }
    }
}

super::deserialize_via_from_value!(PreviousDecision);

#[cfg(test)]
mod tests {
    use super::*;

    /// The example from DATA-FORMAT.md with its `//` comments removed.
    pub(crate) const EXAMPLE: &str = r#"
{
  "decided_at": "2019-04-02",
  "outcome": "group_II",
  "work_capacity_loss_pct": 65,
  "term": { "months": 24 },
  "cause": "general_illness",
  "primary_icd10": "G35",
  "icd10": ["G35", "F32.1"],
  "functioning": {
    "learning": 1, "communication": 0, "orientation": 1, "mobility": 3, "self_care": 2, "behaviour": 0
  },
  "opinions": { "special_care": false, "transport": true },
  "complex": false,
  "opinion_text": "Latvian text of the examination conclusion …",
  "expert": "E-042"
}
"#;

    fn example() -> Value {
        serde_json::from_str(EXAMPLE).unwrap()
    }

    #[test]
    fn example_round_trips_with_extra_field() {
        let mut v = example();
        let d: DecisionJson = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(d.outcome, Outcome::GroupII);
        assert!(d.opinions[&OpinionKind::Transport]);
        assert_eq!(serde_json::to_value(&d).unwrap(), v);

        v["reviewed_by"] = Value::from("Q-7");
        let d = DecisionJson::from_value(v.clone()).unwrap();
        assert_eq!(d.extra["reviewed_by"], "Q-7");
        assert_eq!(serde_json::to_value(&d).unwrap(), v);
    }

    #[test]
    fn nulls_are_written_back() {
        let mut v = example();
        v["outcome"] = Value::from("premature");
        for k in ["work_capacity_loss_pct", "term", "cause", "primary_icd10"] {
            v[k] = Value::Null;
        }
        let d = DecisionJson::from_value(v.clone()).unwrap();
        assert_eq!(serde_json::to_value(&d).unwrap(), v);
    }

    #[test]
    fn band_checked_against_outcome() {
        let mut v = example();
        v["work_capacity_loss_pct"] = Value::from(85);
        let e = serde_json::from_value::<DecisionJson>(v)
            .unwrap_err()
            .to_string();
        assert!(e.contains("work_capacity_loss_pct"), "{e}");
        assert!(e.contains("group_II requires 60–79 %, but 85 %"), "{e}");

        // A group without a figure may be a pensioner or a child: accepted here.
        let mut v = example();
        v["work_capacity_loss_pct"] = Value::Null;
        let d = DecisionJson::from_value(v).unwrap();
        assert!(d.check_work_capacity(PctExemption::PensionAge).is_ok());
        assert!(d.check_work_capacity(PctExemption::None).is_err());

        for outcome in ["child_disability", "premature", "incomplete"] {
            let mut v = example();
            v["outcome"] = Value::from(outcome);
            let e = DecisionJson::from_value(v).unwrap_err();
            assert_eq!(e.path, "work_capacity_loss_pct", "{outcome}");
        }
        let mut v = example();
        v["outcome"] = Value::from("none");
        assert!(DecisionJson::from_value(v.clone()).is_err());
        v["work_capacity_loss_pct"] = Value::from(20);
        assert!(DecisionJson::from_value(v).is_ok());
    }

    #[test]
    fn field_errors_name_the_field() {
        let cases = [
            ("outcome", Value::from("group_IV"), "unknown outcome"),
            ("term", serde_json::json!({"months": 36}), "no 3-year term"),
            ("primary_icd10", Value::from("35G"), "letter"),
            (
                "functioning",
                serde_json::json!({"mobility": 5}),
                "0 (none) to 4",
            ),
            ("decided_at", Value::from("2019-02-30"), ""),
            (
                "opinions",
                serde_json::json!({"lunch": true}),
                "unknown opinion kind",
            ),
        ];
        for (key, bad, hint) in cases {
            let mut v = example();
            v[key] = bad;
            let e = DecisionJson::from_value(v).unwrap_err();
            assert_eq!(e.path, key);
            assert!(e.message.contains(hint), "{key}: {e}");
        }
        let mut v = example();
        v.as_object_mut().unwrap().remove("expert");
        assert_eq!(DecisionJson::from_value(v).unwrap_err().path, "expert");
    }

    #[test]
    fn previous_decision_forms() {
        let r: PreviousDecision = serde_json::from_str(r#"{"case_id": "C-2017-1"}"#).unwrap();
        assert!(matches!(&r, PreviousDecision::Ref(d) if d.case_id.as_str() == "C-2017-1"));
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"case_id":"C-2017-1"}"#
        );

        let full: PreviousDecision = serde_json::from_value(example()).unwrap();
        assert!(matches!(full, PreviousDecision::Decision(_)));
        assert_eq!(serde_json::to_value(&full).unwrap(), example());

        assert!(serde_json::from_str::<PreviousDecision>(r#"{"case_id": "../x"}"#).is_err());
        assert!(serde_json::from_str::<PreviousDecision>(r#"{}"#).is_err());
        assert!(serde_json::from_str::<PreviousDecision>(r#""C-1""#).is_err());
        let e = serde_json::from_str::<PreviousDecision>(r#"{"outcome": "group_I"}"#).unwrap_err();
        assert!(e.to_string().contains("decided_at"), "{e}");
    }
}
