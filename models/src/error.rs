//! The one error type shared by every closed list of names (enums stored as TEXT).

use thiserror::Error;

/// Longest input echoed back in an error; longer input is cut so a pasted
/// document cannot flood a log line.
const MAX_ECHO: usize = 64;

/// A text value that is not one of the names a closed list allows.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "unknown {} \"{value}\"; expected one of: {}",
    .field.replace('_', " "),
    .expected.join(", ")
)]
pub struct UnknownValue {
    /// The field or list, in snake_case (e.g. `application_kind`, `media_type`).
    pub field: &'static str,
    /// The rejected input (cut to a readable length).
    pub value: String,
    /// Every accepted name.
    pub expected: &'static [&'static str],
}

impl UnknownValue {
    pub fn new(field: &'static str, value: &str, expected: &'static [&'static str]) -> Self {
        let value = match value.char_indices().nth(MAX_ECHO) {
            Some((cut, _)) => format!("{}…", &value[..cut]),
            None => value.to_owned(),
        };
        Self {
            field,
            value,
            expected,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_names_field_value_and_choices() {
        let e = UnknownValue::new("application_kind", "foo", &["a", "b"]);
        assert_eq!(
            e.to_string(),
            "unknown application kind \"foo\"; expected one of: a, b"
        );
    }

    #[test]
    fn long_values_are_cut() {
        let long = "é".repeat(500);
        let e = UnknownValue::new("x", &long, &["a"]);
        assert_eq!(e.value.chars().count(), MAX_ECHO + 1);
    }
}
