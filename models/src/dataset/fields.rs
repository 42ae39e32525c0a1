//! Taking fields out of a JSON object one by one, so that every error carries
//! the path of the field it is about and what is left over is the `extra`.

use std::fmt;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// A dataset value that could not be read, with the path of the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetFieldError {
    /// Dotted path from the file's top level (`person.sex`, `documents[0].file`);
    /// empty when the whole value is at fault.
    pub path: String,
    pub message: String,
}

impl fmt::Display for DatasetFieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "field `{}`: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for DatasetFieldError {}

impl DatasetFieldError {
    pub(crate) fn new(path: &str, message: impl fmt::Display) -> Self {
        Self {
            path: path.to_owned(),
            message: message.to_string(),
        }
    }

    /// The same error seen from one level up.
    pub(crate) fn under(mut self, parent: &str) -> Self {
        self.path = match self.path.as_str() {
            "" => parent.to_owned(),
            p if p.starts_with('[') => format!("{parent}{p}"),
            p => format!("{parent}.{p}"),
        };
        self
    }
}

pub(crate) struct Fields(Map<String, Value>);

impl Fields {
    pub(crate) fn new(value: Value, what: &str) -> Result<Self, DatasetFieldError> {
        match value {
            Value::Object(map) => Ok(Fields(map)),
            _ => Err(DatasetFieldError::new(
                "",
                format_args!("{what}: expected a JSON object"),
            )),
        }
    }

    /// Removes a key; JSON null counts as absent.
    fn take(&mut self, key: &str) -> Option<Value> {
        self.0.remove(key).filter(|v| !v.is_null())
    }

    pub(crate) fn required<T: DeserializeOwned>(
        &mut self,
        key: &str,
    ) -> Result<T, DatasetFieldError> {
        let v = self.take(key).ok_or_else(|| {
            DatasetFieldError::new(key, "missing or null; this field is required")
        })?;
        serde_json::from_value(v).map_err(|e| DatasetFieldError::new(key, e))
    }

    pub(crate) fn optional<T: DeserializeOwned>(
        &mut self,
        key: &str,
    ) -> Result<Option<T>, DatasetFieldError> {
        self.take(key)
            .map(|v| serde_json::from_value(v).map_err(|e| DatasetFieldError::new(key, e)))
            .transpose()
    }

    pub(crate) fn or_default<T: DeserializeOwned + Default>(
        &mut self,
        key: &str,
    ) -> Result<T, DatasetFieldError> {
        Ok(self.optional(key)?.unwrap_or_default())
    }

    /// A nested dataset object read by `parse`, which reports its own paths.
    pub(crate) fn nested<T>(
        &mut self,
        key: &str,
        parse: impl FnOnce(Value) -> Result<T, DatasetFieldError>,
    ) -> Result<Option<T>, DatasetFieldError> {
        self.take(key)
            .map(|v| parse(v).map_err(|e| e.under(key)))
            .transpose()
    }

    /// A required list of nested dataset objects.
    pub(crate) fn list<T>(
        &mut self,
        key: &str,
        parse: impl Fn(Value) -> Result<T, DatasetFieldError>,
    ) -> Result<Vec<T>, DatasetFieldError> {
        let v = self.take(key).ok_or_else(|| {
            DatasetFieldError::new(key, "missing or null; this field is required")
        })?;
        let Value::Array(items) = v else {
            return Err(DatasetFieldError::new(key, "expected a list"));
        };
        items
            .into_iter()
            .enumerate()
            .map(|(i, item)| parse(item).map_err(|e| e.under(&format!("[{i}]")).under(key)))
            .collect()
    }

    /// Whatever fields were not taken: the unknown ones, kept for round trips.
    pub(crate) fn into_extra(self) -> Map<String, Value> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_compose() {
        let e = DatasetFieldError::new("sex", "bad")
            .under("[2]")
            .under("documents");
        assert_eq!(e.path, "documents[2].sex");
        assert_eq!(e.to_string(), "field `documents[2].sex`: bad");
        let e = DatasetFieldError::new("", "whole").under("person");
        assert_eq!(e.to_string(), "field `person`: whole");
    }

    #[test]
    fn take_fields_and_keep_the_rest() {
        let mut f = Fields::new(json!({"a": 1, "b": null, "c": "x", "z": true}), "t").unwrap();
        assert_eq!(f.required::<u8>("a"), Ok(1));
        assert_eq!(f.optional::<u8>("b"), Ok(None));
        assert_eq!(f.or_default::<Vec<u8>>("missing"), Ok(vec![]));
        assert!(
            f.required::<u8>("c")
                .unwrap_err()
                .to_string()
                .starts_with("field `c`:")
        );
        let e = f.required::<u8>("nope").unwrap_err();
        assert_eq!(e.path, "nope");
        assert_eq!(
            f.into_extra(),
            json!({"z": true}).as_object().unwrap().clone()
        );
        assert!(Fields::new(json!([1]), "thing").is_err());
    }
}
