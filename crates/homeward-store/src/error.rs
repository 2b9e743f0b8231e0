use std::fmt;

/// What can go wrong in the store. `Invalid` always names the field.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("possible duplicate of existing record(s): {}", .0.join(", "))]
    Duplicate(Vec<String>),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("internal error: {0}")]
    Internal(String),
}

impl StoreError {
    pub fn invalid(field: &str, message: impl fmt::Display) -> StoreError {
        StoreError::Invalid { field: field.to_string(), message: message.to_string() }
    }
}
