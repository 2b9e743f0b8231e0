//! What the JSON API and the pages share: reading a JSON body (naming the
//! offending field), query parameters, and how times are written.

use crate::error::ApiError;
use axum::body::Bytes;
use axum::http::StatusCode;
use jiff::Timestamp;
use serde::Deserialize;
use std::collections::HashMap;

pub mod shapes;

pub(crate) fn time(s: i64) -> String {
    Timestamp::from_second(s).map(|t| t.to_string()).unwrap_or_default()
}

// ------------------------------------------------------------------ input helpers

/// Parses a JSON body, naming the offending field on error.
pub(crate) fn body<T: for<'de> Deserialize<'de>>(bytes: &Bytes) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let message = e.inner().to_string();
        let message = message.split(" at line ").next().unwrap_or(&message).to_string();
        // serde reports a missing or unknown field at the enclosing object; name the field itself.
        let named = message
            .split('`')
            .nth(1)
            .filter(|_| message.starts_with("missing field") || message.starts_with("unknown field"))
            // An unknown field's path already ends with it; a missing one's is the enclosing object.
            .map(|f| if path == "." { f.to_string() } else if path == f || path.ends_with(&format!(".{f}")) { path.clone() } else { format!("{path}.{f}") });
        let path = named.unwrap_or(path);
        let field = if path == "." { "" } else { path.as_str() };
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", if field.is_empty() { message.clone() } else { format!("{field}: {message}") }, Some(field).filter(|f| !f.is_empty()))
    })
}

pub(crate) struct Params(pub(crate) HashMap<String, String>);

impl Params {
    pub(crate) fn text(&self, name: &str) -> Option<String> {
        self.0.get(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
    }

    pub(crate) fn int(&self, name: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
        match self.text(name) {
            None => Ok(None),
            Some(v) => match v.parse::<i64>() {
                Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
                _ => Err(ApiError::invalid(name, format!("{name}: must be a whole number from {min} to {max}"))),
            },
        }
    }

    pub(crate) fn flag(&self, name: &str) -> Result<bool, ApiError> {
        match self.text(name).as_deref() {
            None | Some("false") | Some("0") => Ok(false),
            Some("true") | Some("1") => Ok(true),
            Some(_) => Err(ApiError::invalid(name, format!("{name}: must be true or false"))),
        }
    }

    /// The query as given, sorted, for the audit entry of a list.
    pub(crate) fn describe(&self) -> String {
        let mut pairs: Vec<String> = self.0.iter().map(|(k, v)| format!("{k}={v}")).collect();
        pairs.sort();
        pairs.join("&")
    }

    pub(crate) fn only(&self, allowed: &[&str]) -> Result<(), ApiError> {
        match self.0.keys().find(|k| !allowed.contains(&k.as_str())) {
            Some(k) => Err(ApiError::invalid(k, format!("{k}: unknown parameter (expected one of: {})", allowed.join(", ")))),
            None => Ok(()),
        }
    }
}
