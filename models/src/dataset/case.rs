//! `case.json`: one application with its person and documents.

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use serde_json::{Map, Value};

use super::decision::PreviousDecision;
use super::fields::Fields;
use super::{CaseId, DatasetFieldError, FileName};
use crate::{
    ApplicationKind, Channel, DocumentKind, MediaType, OpinionKind, PersonRef, Representative, Sex,
};

/// Birth years outside this range are taken as typing errors.
const BIRTH_YEARS: std::ops::RangeInclusive<i32> = 1800..=2199;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseJson {
    pub case_id: CaseId,
    pub kind: ApplicationKind,
    pub submitted_at: NaiveDate,
    pub channel: Channel,
    pub person: DatasetPerson,
    pub representative: Option<Representative>,
    /// For repeat and contest applications.
    pub previous_decision: Option<PreviousDecision>,
    pub requested_opinions: Vec<OpinionKind>,
    pub documents: Vec<DocumentEntry>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl CaseJson {
    pub fn from_value(value: Value) -> Result<Self, DatasetFieldError> {
        let mut f = Fields::new(value, "case")?;
        let case = CaseJson {
            case_id: f.required("case_id")?,
            kind: f.required("kind")?,
            submitted_at: f.required("submitted_at")?,
            channel: f.required("channel")?,
            person: f
                .nested("person", DatasetPerson::from_value)?
                .ok_or_else(|| {
                    DatasetFieldError::new("person", "missing or null; this field is required")
                })?,
            representative: f.optional("representative")?,
            previous_decision: f.nested("previous_decision", PreviousDecision::from_value)?,
            requested_opinions: f.or_default("requested_opinions")?,
            documents: f.list("documents", DocumentEntry::from_value)?,
            extra: f.into_extra(),
        };
        // Two entries with one name would be one file on disk.
        let mut seen = BTreeSet::new();
        for (i, d) in case.documents.iter().enumerate() {
            if !seen.insert(d.file.as_str()) {
                return Err(DatasetFieldError::new(
                    &format!("documents[{i}].file"),
                    "the same file name is listed twice",
                ));
            }
        }
        Ok(case)
    }
}

super::deserialize_via_from_value!(CaseJson);

/// The person as recorded in a dataset: exactly one of `birth_date` (full
/// sets) and `birth_year` (de-identified sets) is present.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DatasetPerson {
    pub person_code: PersonRef,
    // The absent one of the two is left out rather than written as null, as
    // in the format's examples.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birth_year: Option<i32>,
    pub sex: Sex,
    pub region: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl DatasetPerson {
    /// Personal data is involved: errors never repeat the code or the dates.
    pub fn from_value(value: Value) -> Result<Self, DatasetFieldError> {
        let mut f = Fields::new(value, "person")?;
        let p = DatasetPerson {
            person_code: f.required("person_code")?,
            birth_date: f.optional("birth_date")?,
            birth_year: f.optional("birth_year")?,
            sex: f.required("sex")?,
            region: f.required("region")?,
            extra: f.into_extra(),
        };
        match (p.birth_date, p.birth_year) {
            (Some(_), Some(_)) => {
                return Err(DatasetFieldError::new(
                    "",
                    "give either birth_date or birth_year, not both",
                ));
            }
            (None, None) => {
                return Err(DatasetFieldError::new(
                    "",
                    "birth_date or birth_year is required",
                ));
            }
            _ => {}
        }
        if let Some(y) = p.birth_year
            && !BIRTH_YEARS.contains(&y)
        {
            return Err(DatasetFieldError::new(
                "birth_year",
                "not a plausible year of birth",
            ));
        }
        if let Some(coded) = p.person_code.birth_date() {
            if p.birth_date.is_some_and(|d| d != coded) {
                return Err(DatasetFieldError::new(
                    "birth_date",
                    "does not match the date in the personal code",
                ));
            }
            if p.birth_year.is_some_and(|y| y != coded.year()) {
                return Err(DatasetFieldError::new(
                    "birth_year",
                    "does not match the year in the personal code",
                ));
            }
        }
        Ok(p)
    }

    /// The year of birth, from whichever field is present.
    pub fn year_of_birth(&self) -> i32 {
        self.birth_date
            .map(|d| d.year())
            .or(self.birth_year)
            .unwrap_or_default()
    }
}

super::deserialize_via_from_value!(DatasetPerson);

/// One supplied document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocumentEntry {
    /// Name of the file under `documents/`.
    pub file: FileName,
    pub kind: DocumentKind,
    pub issued_at: Option<NaiveDate>,
    pub media_type: MediaType,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl DocumentEntry {
    pub fn from_value(value: Value) -> Result<Self, DatasetFieldError> {
        let mut f = Fields::new(value, "document")?;
        Ok(DocumentEntry {
            file: f.required("file")?,
            kind: f.required("kind")?,
            issued_at: f.optional("issued_at")?,
            media_type: f.required("media_type")?,
            extra: f.into_extra(),
        })
    }
}

super::deserialize_via_from_value!(DocumentEntry);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The example from DATA-FORMAT.md with its `//` comments removed. The
    /// pseudonym there is "PK-7f3a..." where "..." elides the rest; it is
    /// written out here because dots are not pseudonym characters.
    const EXAMPLE: &str = r#"
{
  "case_id": "C-2019-000123",
  "kind": "disability_first",
  "submitted_at": "2019-03-14",
  "channel": "eservice",
  "person": {
    "person_code": "PK-7f3a",
    "birth_date": "1971-05-02",
    "sex": "F",
    "region": "Rīga"
  },
  "representative": null,
  "previous_decision": null,
  "requested_opinions": ["special_care"],
  "documents": [
    { "file": "01-referral-088u.pdf", "kind": "referral_088u", "issued_at": "2019-03-01",
      "media_type": "application/pdf" }
  ]
}
"#;

    fn example() -> Value {
        serde_json::from_str(EXAMPLE).unwrap()
    }

    #[test]
    fn example_round_trips_with_extra_fields() {
        let mut v = example();
        let c: CaseJson = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(c.kind, ApplicationKind::DisabilityFirst);
        assert_eq!(c.person.year_of_birth(), 1971);
        assert_eq!(serde_json::to_value(&c).unwrap(), v);

        v["intake_note"] = json!({"by": "clerk-3"});
        v["person"]["municipality"] = Value::from("Rīga");
        v["documents"][0]["pages"] = Value::from(3);
        let c = CaseJson::from_value(v.clone()).unwrap();
        assert_eq!(c.extra["intake_note"]["by"], "clerk-3");
        assert_eq!(serde_json::to_value(&c).unwrap(), v);
    }

    #[test]
    fn full_representative_and_previous_decision() {
        let mut v = example();
        v["kind"] = Value::from("disability_repeat");
        v["representative"] = json!({"role": "guardian", "name": "Anna"});
        v["previous_decision"] = json!({"case_id": "C-2016-000001"});
        v["person"] = json!({"person_code": "161175-19997", "birth_date": "1975-11-16",
                              "sex": "M", "region": "Kurzeme"});
        let c = CaseJson::from_value(v.clone()).unwrap();
        assert!(c.representative.is_some());
        assert_eq!(serde_json::to_value(&c).unwrap(), v);
        // Debug output must not reveal the code or the representative's name.
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("161175") && !dbg.contains("Anna"), "{dbg}");
    }

    #[test]
    fn errors_name_the_field() {
        let mut v = example();
        v["kind"] = Value::from("disability_third");
        let e = serde_json::from_value::<CaseJson>(v)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("`kind`") && e.contains("unknown application kind"),
            "{e}"
        );

        type Edit = fn(&mut Value);
        let cases: [(&str, Edit, &str); 9] = [
            (
                "person.sex",
                |v| v["person"]["sex"] = "Q".into(),
                "unknown sex",
            ),
            (
                "person",
                |v| v["person"]["birth_year"] = 1971.into(),
                "not both",
            ),
            (
                "person",
                |v| {
                    v["person"].as_object_mut().unwrap().remove("birth_date");
                },
                "required",
            ),
            (
                "person.person_code",
                |v| v["person"]["person_code"] = "161175-19998".into(),
                "check digit",
            ),
            (
                "documents[0].file",
                |v| v["documents"][0]["file"] = "../etc/passwd".into(),
                "file name",
            ),
            (
                "documents[0].media_type",
                |v| v["documents"][0]["media_type"] = "image/gif".into(),
                "media type",
            ),
            ("case_id", |v| v["case_id"] = "C 1".into(), "folder"),
            (
                "representative",
                |v| v["representative"] = json!({"role": "parent", "name": ""}),
                "empty",
            ),
            (
                "previous_decision.decided_at",
                |v| v["previous_decision"] = json!({"outcome": "none"}),
                "missing",
            ),
        ];
        for (path, edit, hint) in cases {
            let mut v = example();
            edit(&mut v);
            let e = CaseJson::from_value(v).unwrap_err();
            assert_eq!(e.path, path, "{e}");
            assert!(e.message.contains(hint), "{path}: {e}");
        }
    }

    #[test]
    fn birth_date_must_match_the_code_without_leaking_it() {
        let mut v = example();
        v["person"]["person_code"] = Value::from("161175-19997");
        let e = CaseJson::from_value(v.clone()).unwrap_err();
        assert_eq!(e.path, "person.birth_date");
        assert!(!e.to_string().contains("1971") && !e.to_string().contains("1611"));

        v["person"] =
            json!({"person_code": "161175-19997", "birth_year": 1975, "sex": "F", "region": "R"});
        assert!(CaseJson::from_value(v.clone()).is_ok());
        v["person"]["birth_year"] = Value::from(1976);
        assert_eq!(
            CaseJson::from_value(v.clone()).unwrap_err().path,
            "person.birth_year"
        );
        v["person"]["birth_year"] = Value::from(1500);
        assert_eq!(
            CaseJson::from_value(v).unwrap_err().path,
            "person.birth_year"
        );

        let mut v = example();
        v["person"]["person_code"] = Value::from(16117519997_u64);
        let e = CaseJson::from_value(v).unwrap_err().to_string();
        assert!(!e.contains("16117519997"), "{e}");
    }

    #[test]
    fn duplicate_file_names_are_rejected() {
        let mut v = example();
        let doc = v["documents"][0].clone();
        v["documents"].as_array_mut().unwrap().push(doc);
        let e = CaseJson::from_value(v).unwrap_err();
        assert_eq!(e.path, "documents[1].file");
    }

    #[test]
    fn missing_documents_list_is_an_error_but_empty_is_fine() {
        let mut v = example();
        v["documents"] = json!([]);
        assert!(CaseJson::from_value(v.clone()).is_ok());
        v.as_object_mut().unwrap().remove("documents");
        assert_eq!(CaseJson::from_value(v).unwrap_err().path, "documents");
        assert!(CaseJson::from_value(json!([1, 2])).is_err());
    }
}
