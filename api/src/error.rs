//! Errors as `application/problem+json` (RFC 9457): a title, the status, a detail that says
//! what was wrong and what to do, and for bad input the field. Never personal data.

use atzinums_store::StoreError;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem (`about:blank` when the status says it all).
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The offending field of bad input, e.g. `documents[1].media_type`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub detail: String,
    pub field: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        ApiError {
            status,
            detail: detail.into(),
            field: None,
        }
    }

    pub fn bad_input(field: impl Into<String>, rule: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            detail: rule.into(),
            field: Some(field.into()),
        }
    }

    /// What a person gets for a case that is not theirs: the same as for one that does not
    /// exist, so case numbers cannot be probed.
    pub fn no_such_case() -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "no such case")
    }

    pub fn unauthenticated() -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, "sign in first")
    }

    pub fn forbidden(what: &str) -> Self {
        ApiError::new(StatusCode::FORBIDDEN, format!("your role may not {what}"))
    }

    pub fn problem(&self) -> Problem {
        Problem {
            kind: "about:blank".into(),
            title: self
                .status
                .canonical_reason()
                .unwrap_or("Error")
                .to_string(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            field: self.field.clone(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        use StoreError as E;
        match e {
            E::Invalid(input) => ApiError::bad_input(input.field, input.rule),
            E::NotFound { what: "case" } => ApiError::no_such_case(),
            E::NotFound { .. } => ApiError::new(StatusCode::NOT_FOUND, e.to_string()),
            E::Forbidden { .. } => ApiError::new(StatusCode::FORBIDDEN, e.to_string()),
            E::IllegalTransition(_) | E::Conflict | E::IdempotencyConflict => {
                ApiError::new(StatusCode::CONFLICT, e.to_string())
            }
            E::LeaseLost => ApiError::new(
                StatusCode::CONFLICT,
                "you no longer hold this case (your claim lapsed or it was returned): claim it again",
            ),
            other => {
                // Store errors carry no personal data; the detail stays in the log.
                tracing::error!(error = %other, "store failure");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the service could not complete this request; try again later",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        (
            self.status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body,
        )
            .into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
