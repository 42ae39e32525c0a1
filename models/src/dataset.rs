//! Serde types for the `atzinums-dataset/1` bulk format (see DATA-FORMAT.md).
//!
//! Every type here deserializes through a checker that names the failing
//! field by its path (`person.birth_date`, `documents[2].kind`), so an
//! importer can report the case and the field and go on with the rest.
//! Unknown fields are kept in `extra` and written back on serialization;
//! `extra` must not repeat a known field's key.

mod case;
mod decision;
mod fields;
mod ids;
mod manifest;

pub use case::{CaseJson, DatasetPerson, DocumentEntry};
pub use decision::{DecisionJson, DecisionRef, PreviousDecision};
pub use fields::DatasetFieldError;
pub use ids::{CaseId, CaseIdError, FileName, FileNameError};
pub use manifest::{DATASET_FORMAT, Manifest};

/// Implements `Deserialize` through the type's `from_value`, so serde users
/// get the same field-naming errors.
macro_rules! deserialize_via_from_value {
    ($t:ty) => {
        impl<'de> ::serde::Deserialize<'de> for $t {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let v = ::serde_json::Value::deserialize(d)?;
                <$t>::from_value(v).map_err(::serde::de::Error::custom)
            }
        }
    };
}
use deserialize_via_from_value;
