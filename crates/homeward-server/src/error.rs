//! Every error is JSON: a machine code, a message, and the offending field.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use homeward_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code: `invalid`, `duplicate`, `not_found`, `conflict`, `unauthenticated`, `forbidden`, `csrf`, `throttled`, `busy`, `internal`.
    pub code: &'static str,
    pub message: String,
    /// The offending field, when one is to blame (`date_of_birth`, `at`, `risk`).
    pub field: Option<String>,
    /// For `duplicate`: the existing records that match.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub matches: Vec<String>,
    /// For `forbidden`: the policy rule that decided (`default-deny` when none allowed it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    /// Boxed: errors travel up through every `Result`, and stay small that way.
    pub body: Box<ErrorBody>,
    /// Seconds to send in `Retry-After` (503 and 429 answers).
    pub retry_after: Option<u32>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>, field: Option<&str>) -> Self {
        ApiError {
            status,
            body: Box::new(ErrorBody { code, message: message.into(), field: field.map(str::to_string), matches: Vec::new(), rule: None }),
            retry_after: None,
        }
    }

    /// Tells the client when to try again.
    pub fn retry_after(mut self, seconds: u32) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message, Some(field))
    }

    pub fn not_found(what: &str) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("{what} not found"), None)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid { field, message } => {
                let text = if field.is_empty() { message.clone() } else { format!("{field}: {message}") };
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", text, Some(&field).filter(|f| !f.is_empty()).map(|f| f.as_str()))
            }
            StoreError::Duplicate(ids) => {
                let mut err = ApiError::new(
                    StatusCode::CONFLICT,
                    "duplicate",
                    "a child with this family name and date of birth already exists in this authority; use the existing record, or repeat with allow_duplicate=true",
                    Some("family_name"),
                );
                err.body.matches = ids;
                err
            }
            StoreError::NotFound(what) => ApiError::not_found(what),
            StoreError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, "conflict", m, None),
            StoreError::Database(e) => {
                tracing::error!(error = %e, "database error");
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "internal", "the database is unavailable; nothing was written", None)
            }
            StoreError::Internal(m) => {
                tracing::error!(error = %m, "internal error");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error; nothing was written", None)
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(*self.body)).into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(seconds));
        }
        response
    }
}
