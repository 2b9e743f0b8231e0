//! What the JSON API and the pages share: reading a JSON body and typed
//! query parameters (naming the offending field), and how times are written.

use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use jiff::Timestamp;
use serde::Deserialize;
use serde::de::DeserializeOwned;
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
            .map(|f| {
                if path == "." {
                    f.to_string()
                } else if path == f || path.ends_with(&format!(".{f}")) {
                    path.clone()
                } else {
                    format!("{path}.{f}")
                }
            });
        let path = named.unwrap_or(path);
        let field = if path == "." { "" } else { path.as_str() };
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            if field.is_empty() { message.clone() } else { format!("{field}: {message}") },
            Some(field).filter(|f| !f.is_empty()),
        )
    })
}

/// A request's query parameters, read into `T`: a struct that names every
/// parameter its operation accepts (`#[serde(deny_unknown_fields)]`) and
/// lists them in the OpenAPI document (`IntoParams`). An unknown parameter
/// is refused, naming it and the ones accepted. A parameter given twice
/// counts once, with its last value.
pub struct Query<T> {
    pub params: T,
    given: HashMap<String, String>,
}

impl<T: DeserializeOwned> Query<T> {
    /// Reads a query string (without its `?`).
    pub fn parse(query: &str) -> Result<Self, ApiError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
            .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", format!("the query string: {e}"), None))?;
        let given: HashMap<String, String> = pairs.into_iter().collect();
        let once = serde_urlencoded::to_string(&given)
            .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", format!("the query string: {e}"), None))?;
        let params = serde_urlencoded::from_str(&once).map_err(|e| {
            let message = e.to_string();
            let mut names = message.split('`').skip(1).step_by(2);
            match (message.starts_with("unknown field"), names.next()) {
                (true, Some(name)) => {
                    let accepted: Vec<&str> = names.collect();
                    ApiError::invalid(name, format!("{name}: unknown parameter (expected one of: {})", accepted.join(", ")))
                }
                _ => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", format!("the query string: {message}"), None),
            }
        })?;
        Ok(Query { params, given })
    }
}

impl<T> Query<T> {
    /// Parameters given in code rather than by a request (a page asking for a list).
    pub fn of(params: T) -> Self {
        Query { params, given: HashMap::new() }
    }

    /// The query as given, sorted, for the audit entry of a list.
    pub fn describe(&self) -> String {
        let mut pairs: Vec<String> = self.given.iter().map(|(k, v)| format!("{k}={v}")).collect();
        pairs.sort();
        pairs.join("&")
    }
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Query::parse(parts.uri.query().unwrap_or_default())
    }
}

/// A parameter's text, trimmed; absent when empty.
pub fn text(value: &Option<String>) -> Option<String> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string)
}

/// A whole-number parameter from `min` to `max`, named `name` when refused.
pub fn int(name: &str, value: &Option<String>, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
    match text(value) {
        None => Ok(None),
        Some(v) => match v.parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
            _ => Err(ApiError::invalid(name, format!("{name}: must be a whole number from {min} to {max}"))),
        },
    }
}

/// A true-or-false parameter (`true`/`1`, `false`/`0`; absent is false).
pub fn flag(name: &str, value: &Option<String>) -> Result<bool, ApiError> {
    match text(value).as_deref() {
        None | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") => Ok(true),
        Some(_) => Err(ApiError::invalid(name, format!("{name}: must be true or false"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    struct Filters {
        authority: Option<String>,
        limit: Option<String>,
    }

    #[test]
    fn an_unknown_parameter_is_refused_naming_it_and_those_accepted() {
        let e = Query::<Filters>::parse("authority=bolton&colour=red").err().unwrap();
        assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!((e.body.code, e.body.field.as_deref()), ("invalid", Some("colour")));
        assert_eq!(e.body.message, "colour: unknown parameter (expected one of: authority, limit)");
    }

    #[test]
    fn a_parameter_given_twice_counts_once_with_its_last_value_and_the_audit_sees_the_query_sorted() {
        let q = Query::<Filters>::parse("limit=5&authority=bolton&limit=7").unwrap();
        assert_eq!((q.params.authority.as_deref(), q.params.limit.as_deref()), (Some("bolton"), Some("7")));
        assert_eq!(q.describe(), "authority=bolton&limit=7");
        assert_eq!(Query::<Filters>::parse("").unwrap().describe(), "");
    }

    #[test]
    fn numbers_and_flags_name_the_parameter_when_refused() {
        assert_eq!(int("limit", &Some(" 12 ".into()), 1, 100).unwrap(), Some(12));
        assert_eq!(int("limit", &Some(String::new()), 1, 100).unwrap(), None);
        assert_eq!(int("limit", &Some("0".into()), 1, 100).err().unwrap().body.message, "limit: must be a whole number from 1 to 100");
        assert!(flag("overdue", &Some("1".into())).unwrap());
        assert_eq!(flag("overdue", &Some("maybe".into())).err().unwrap().body.field.as_deref(), Some("overdue"));
    }
}
