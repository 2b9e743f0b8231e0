//! Who is calling: a session (browser, cookie) or an API token (machines).
//!
//! - Sessions: a random 256-bit token in an HttpOnly, SameSite=Lax cookie
//!   (Secure unless the service is told it runs on plain HTTP), stored as
//!   its SHA-256, with an idle and an absolute expiry, and a fresh token at
//!   every login (no fixation). Every state-changing request made with a
//!   session must carry the session's CSRF token in `X-CSRF-Token` (or a
//!   form's `csrf_token` field).
//! - API tokens: `Authorization: Bearer hwt_…`, scoped (`read`, `write`),
//!   revocable, stored as their SHA-256.
//!
//! Either way the caller becomes a [`Caller`]: the account, its agency, and
//! the policy principal every decision is made for.

#[cfg(feature = "oidc")]
pub mod oidc;
pub mod password;
pub mod session;
pub mod sso;

use crate::AppState;
use crate::audit::AuditSlot;
use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, header};
use homeward_access::Principal;
use homeward_store::{Actor, Identity};
use sha2::{Digest, Sha256};

/// The session cookie's name.
pub const COOKIE: &str = "homeward_session";
/// Prefix of API tokens, so that a leaked one is recognisable.
pub const TOKEN_PREFIX: &str = "hwt_";

/// Session, lockout and throttling settings.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// A session unused this long ends (seconds).
    pub idle_timeout: i64,
    /// A session ends this long after login whatever happens (seconds).
    pub absolute_timeout: i64,
    /// Mark the cookie `Secure` (off only for plain-HTTP local use).
    pub secure_cookie: bool,
    /// Failed logins for one username before it is locked.
    pub lock_after: i64,
    /// How long failures count, and how long a lock lasts (seconds).
    pub lock_window: i64,
    /// Failed logins from one address within `lock_window` before the
    /// address is refused.
    pub throttle_after: i64,
    /// The threads that hash passwords, and how long a login waits for one.
    pub hashing: std::sync::Arc<password::Hashing>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            idle_timeout: 30 * 60,
            absolute_timeout: 12 * 3600,
            secure_cookie: true,
            lock_after: 5,
            lock_window: 15 * 60,
            throttle_after: 50,
            hashing: password::Hashing::shared(),
        }
    }
}

/// A random 256-bit value, hex.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    // The operating system's generator does not fail on supported platforms;
    // if it did, an all-zero token must never be issued.
    if getrandom::fill(&mut bytes).is_err() {
        panic!("the operating system's random number generator failed");
    }
    hex(&bytes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What is stored for a token: its SHA-256, hex.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Compares two secrets in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    same_bytes(a.as_bytes(), b.as_bytes())
}

/// Compares two byte strings in time independent of where they differ.
pub fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// How the caller proved who they are.
#[derive(Debug, Clone)]
pub enum Via {
    Session {
        token_hash: String,
        csrf_token: String,
        expires_at: i64,
    },
    Token {
        id: String,
        scopes: Vec<String>,
    },
    /// On the server itself (the command line).
    Local,
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub identity: Identity,
    pub principal: Principal,
    pub via: Via,
    /// This request's audit entry.
    pub audit: AuditSlot,
}

impl Caller {
    /// A caller on the server itself (the command line), acting as `identity`.
    pub fn local(identity: Identity, operation: &str) -> Caller {
        let audit = AuditSlot::local(operation);
        audit.set_who(&identity);
        Caller { principal: principal_of(&identity), identity, via: Via::Local, audit }
    }

    pub fn actor(&self) -> Actor {
        Actor { user: self.identity.user.username.clone(), agency: self.identity.agency.id.clone() }
    }
}

pub fn principal_of(identity: &Identity) -> Principal {
    Principal {
        user_id: identity.user.id.clone(),
        agency_id: identity.agency.id.clone(),
        agency_kind: identity.agency.kind.clone(),
        authorities: identity.agency.authority_list(),
        role: identity.user.role.clone(),
    }
}

fn unauthenticated(message: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", message, None)
}

/// The value of cookie `name` in a request's headers.
pub(crate) fn cookie_value(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}

fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let now = state.clock.now().as_second();
        let slot = parts.extensions.get::<AuditSlot>().cloned();
        let audit = slot.clone().unwrap_or_default();
        let bearer =
            parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")).map(|v| v.trim().to_string());
        let caller = if let Some(token) = bearer {
            let Some((row, identity)) = state.store.token(&token_hash(&token)).await? else {
                return Err(unauthenticated("the API token is not valid or was revoked"));
            };
            if row.expires_at.is_some_and(|e| e <= now) {
                return Err(unauthenticated("the API token has expired"));
            }
            if identity.user.disabled != 0 {
                return Err(unauthenticated("the account is disabled"));
            }
            let scopes = row.scope_list();
            let needed = if changes_state(&parts.method) { "write" } else { "read" };
            if !scopes.iter().any(|s| s == needed) {
                if let Some(slot) = &slot {
                    slot.set_who(&identity);
                }
                let message = format!("this API token may not {needed} (its scopes: {})", scopes.join(", "));
                return Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden", message, None));
            }
            if row.last_used_at.is_none_or(|t| now - t >= 60) {
                state.store.token_used(&row.id, now).await?;
            }
            Caller { principal: principal_of(&identity), identity, via: Via::Token { id: row.id, scopes }, audit }
        } else if let Some(token) = cookie_value(&parts.headers, COOKIE) {
            let hash = token_hash(&token);
            let Some((session, identity)) = state.store.session(&hash).await? else {
                return Err(unauthenticated("you are not logged in (the session ended)"));
            };
            if session.expires_at <= now || session.last_seen_at + state.auth.idle_timeout <= now {
                state.store.end_session(&hash, now).await?;
                return Err(unauthenticated("your session has expired; log in again"));
            }
            if identity.user.disabled != 0 {
                return Err(unauthenticated("the account is disabled"));
            }
            if changes_state(&parts.method) {
                let sent = parts.headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or("");
                if !same_secret(sent, &session.csrf_token) {
                    if let Some(slot) = &slot {
                        slot.set_who(&identity);
                    }
                    return Err(ApiError::new(
                        StatusCode::FORBIDDEN,
                        "csrf",
                        "a change made with a session must carry the session's CSRF token (X-CSRF-Token header)",
                        Some("X-CSRF-Token"),
                    ));
                }
            }
            if now - session.last_seen_at >= 60 {
                state.store.touch_session(&hash, now).await?;
            }
            Caller {
                principal: principal_of(&identity),
                identity,
                via: Via::Session { token_hash: hash, csrf_token: session.csrf_token, expires_at: session.expires_at },
                audit,
            }
        } else {
            return Err(unauthenticated("log in (POST /api/v1/session) or send an API token (Authorization: Bearer …)"));
        };
        caller.audit.set_who(&caller.identity);
        Ok(caller)
    }
}
