//! What every request and response passes through, whatever its route:
//!
//! - [`request_id`]: a caller's `X-Request-Id` is kept only when it is a
//!   short, printable token; otherwise a fresh one is made, so the id that
//!   is echoed, logged and stored in the audit log is always harmless.
//! - [`same_origin`]: a state-changing request that a browser says comes from
//!   another site (`Sec-Fetch-Site`, else `Origin`) is refused, and a JSON
//!   body must say it is JSON, so a cross-site form cannot post to the API.
//! - [`respond`]: security headers on every response (pages set stricter
//!   ones of their own), every API error as JSON, and one log line per request.

use crate::error::ApiError;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The request id header.
pub const REQUEST_ID: &str = "x-request-id";
/// The longest request id kept from a caller.
pub const REQUEST_ID_MAX: usize = 128;

/// Whether a caller's request id may be kept: 1 to 128 characters of
/// `[A-Za-z0-9._-]`.
pub fn acceptable_request_id(id: &[u8]) -> bool {
    !id.is_empty() && id.len() <= REQUEST_ID_MAX && id.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Drops a request id that is not acceptable (a fresh one is then made).
pub async fn request_id(mut request: Request, next: Next) -> Response {
    let keep =
        request.headers().get_all(REQUEST_ID).iter().count() == 1 && request.headers().get(REQUEST_ID).is_some_and(|v| acceptable_request_id(v.as_bytes()));
    if !keep {
        request.headers_mut().remove(REQUEST_ID);
    }
    next.run(request).await
}

fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Why a state-changing request is refused as coming from another site, if it is.
fn cross_site(request: &Request) -> Option<&'static str> {
    let headers = request.headers();
    if let Some(site) = headers.get("sec-fetch-site") {
        // `none`: the user's own action (typed address, bookmark).
        return match site.as_bytes() {
            b"same-origin" | b"none" => None,
            _ => Some("the browser says this request comes from another site (Sec-Fetch-Site)"),
        };
    }
    let origin = headers.get(header::ORIGIN)?;
    let host = headers.get(header::HOST).map(HeaderValue::as_bytes).unwrap_or_default();
    let origin_host = origin.to_str().ok().and_then(|o| o.split_once("://")).map(|(_, h)| h.as_bytes());
    match origin_host {
        Some(h) if !host.is_empty() && h.eq_ignore_ascii_case(host) => None,
        _ => Some("the request's Origin is not this site"),
    }
}

/// Whether the request carries a body (an empty one needs no type).
fn has_body(request: &Request) -> bool {
    use axum::body::HttpBody;
    request.body().size_hint().exact() != Some(0)
}

/// The media type of the body, lower-cased, without parameters.
fn media_type(request: &Request) -> String {
    let value = request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase()
}

/// Refuses state-changing requests from other sites, and API bodies that
/// do not say they are JSON (CSV for imports).
pub async fn same_origin(request: Request, next: Next) -> Response {
    if changes_state(request.method()) {
        if let Some(why) = cross_site(&request) {
            return ApiError::new(StatusCode::FORBIDDEN, "cross_site", format!("refused: {why}"), Some("Origin")).into_response();
        }
        let path = request.uri().path();
        if path.starts_with("/api/") && has_body(&request) {
            let expected = if path.starts_with("/api/v1/imports/") { "text/csv" } else { "application/json" };
            if media_type(&request) != expected {
                return ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    format!("Content-Type: this request's body must be {expected}"),
                    Some("Content-Type"),
                )
                .into_response();
            }
        }
    }
    next.run(request).await
}

/// The error code an API error without a JSON body of its own gets.
fn code_for(status: StatusCode) -> &'static str {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNAUTHORIZED => "unauthenticated",
        StatusCode::FORBIDDEN => "forbidden",
        s if s.is_server_error() => "internal",
        _ => "invalid",
    }
}

/// Security headers, JSON errors for the API, and the request's log line.
pub async fn respond(request: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let request_id = request.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let mut response = next.run(request).await;
    let status = response.status();
    let is_json = response.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if path.starts_with("/api/") && (status.is_client_error() || status.is_server_error()) && !is_json {
        let (parts, body) = response.into_parts();
        let text = axum::body::to_bytes(body, 4096).await.map(|b| String::from_utf8_lossy(&b).trim().to_string()).unwrap_or_default();
        let message = if text.is_empty() { status.canonical_reason().unwrap_or("error").to_string() } else { text };
        let mut json = ApiError::new(status, code_for(status), message, None).into_response();
        for name in [header::RETRY_AFTER, header::ALLOW, header::WWW_AUTHENTICATE] {
            if let Some(v) = parts.headers.get(&name) {
                json.headers_mut().insert(name, v.clone());
            }
        }
        response = json;
    }
    let headers = response.headers_mut();
    let defaults: [(header::HeaderName, &'static str); 4] = [
        (header::CACHE_CONTROL, "no-store"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::CONTENT_SECURITY_POLICY, "default-src 'none'; frame-ancestors 'none'"),
        (header::REFERRER_POLICY, "no-referrer"),
    ];
    for (name, value) in defaults {
        headers.entry(name).or_insert(HeaderValue::from_static(value));
    }
    tracing::info!(
        target: "homeward::request",
        method = %method,
        path = %path,
        status = status.as_u16(),
        request_id = %request_id,
        ms = started.elapsed().as_millis() as u64,
        "request"
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_short_printable_tokens() {
        assert!(acceptable_request_id(b"abc-123_X.9"));
        assert!(acceptable_request_id("a".repeat(128).as_bytes()));
        assert!(!acceptable_request_id("a".repeat(129).as_bytes()));
        assert!(!acceptable_request_id(b""));
        assert!(!acceptable_request_id(b"a b"));
        assert!(!acceptable_request_id(b"{\"level\":\"error\"}"));
        assert!(!acceptable_request_id("caf\u{e9}".as_bytes()));
    }
}
