//! `manifest.json`: what a dataset is.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

use super::DatasetFieldError;
use super::fields::Fields;

/// The format tag every manifest must carry.
pub const DATASET_FORMAT: &str = "atzinums-dataset/1";

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Manifest {
    /// Always [`DATASET_FORMAT`] for a value read from JSON.
    pub format: String,
    pub name: String,
    pub created: DateTime<Utc>,
    /// Number of cases the producer wrote.
    pub cases: u64,
    /// True when person codes are pseudonyms and birth dates reduced to years.
    pub deidentified: bool,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Manifest {
    pub fn new(
        name: impl Into<String>,
        created: DateTime<Utc>,
        cases: u64,
        deidentified: bool,
    ) -> Self {
        Manifest {
            format: DATASET_FORMAT.to_owned(),
            name: name.into(),
            created,
            cases,
            deidentified,
            extra: Map::new(),
        }
    }

    pub fn from_value(value: Value) -> Result<Self, DatasetFieldError> {
        let mut f = Fields::new(value, "manifest")?;
        let format: String = f.required("format")?;
        if format != DATASET_FORMAT {
            return Err(DatasetFieldError::new(
                "format",
                format_args!(
                    "expected \"{DATASET_FORMAT}\", got \"{}\" (a different or newer format)",
                    format.chars().take(64).collect::<String>()
                ),
            ));
        }
        Ok(Manifest {
            format,
            name: f.required("name")?,
            created: f.required("created")?,
            cases: f.required("cases")?,
            deidentified: f.required("deidentified")?,
            extra: f.into_extra(),
        })
    }
}

super::deserialize_via_from_value!(Manifest);

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"
{ "format": "atzinums-dataset/1", "name": "free text", "created": "2026-11-26T12:00:00Z",
  "cases": 1200, "deidentified": true }
"#;

    #[test]
    fn example_round_trips() {
        let original: Value = serde_json::from_str(EXAMPLE).unwrap();
        let m: Manifest = serde_json::from_str(EXAMPLE).unwrap();
        assert_eq!(m.cases, 1200);
        assert_eq!(serde_json::to_value(&m).unwrap(), original);
    }

    #[test]
    fn keeps_unknown_fields() {
        let mut v: Value = serde_json::from_str(EXAMPLE).unwrap();
        v["producer"] = Value::from("synth 0.3");
        let m = Manifest::from_value(v.clone()).unwrap();
        assert_eq!(m.extra["producer"], "synth 0.3");
        assert_eq!(serde_json::to_value(&m).unwrap(), v);
    }

    #[test]
    fn rejects_wrong_format_and_missing_fields() {
        let mut v: Value = serde_json::from_str(EXAMPLE).unwrap();
        v["format"] = Value::from("atzinums-dataset/2");
        let e = Manifest::from_value(v).unwrap_err();
        assert_eq!(e.path, "format");
        assert!(e.to_string().contains("atzinums-dataset/2"));

        let mut v: Value = serde_json::from_str(EXAMPLE).unwrap();
        v.as_object_mut().unwrap().remove("created");
        let e = serde_json::from_value::<Manifest>(v).unwrap_err();
        assert!(e.to_string().contains("`created`"), "{e}");
    }

    #[test]
    fn new_sets_the_format() {
        let m = Manifest::new("x", DateTime::<Utc>::UNIX_EPOCH, 0, false);
        let back: Manifest = serde_json::from_value(serde_json::to_value(&m).unwrap()).unwrap();
        assert_eq!(back, m);
    }
}
