//! Logging in and out, who am I, and API tokens.

use super::{COOKIE, Caller, TOKEN_PREFIX, Via, principal_of, random_token, token_hash};
use crate::AppState;
use crate::access::policy_at;
use crate::audit::AuditSlot;
use crate::error::{ApiError, ErrorBody};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

fn time(s: i64) -> String {
    Timestamp::from_second(s).map(|t| t.to_string()).unwrap_or_default()
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginIn {
    pub username: String,
    pub password: String,
}

/// One rule of the policy as it applies to the caller.
#[derive(Serialize, ToSchema)]
pub struct RuleOut {
    pub id: String,
    pub actions: Vec<String>,
    pub classes: Vec<String>,
    pub relations: Vec<String>,
    pub unless_flags: Vec<String>,
    pub reason: String,
    pub cite: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SessionOut {
    pub user: String,
    pub display_name: String,
    pub role: String,
    pub agency: String,
    pub agency_name: String,
    pub agency_kind: String,
    pub authorities: Vec<String>,
    /// Send this in `X-CSRF-Token` with every change made with the session cookie.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csrf_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// The policy version in force, and every rule that gives this user access: why they see what they see.
    pub policy_version: String,
    pub rules: Vec<RuleOut>,
}

pub(crate) fn session_out(state: &AppState, caller_identity: &homeward_store::Identity, csrf: Option<String>, expires_at: Option<i64>) -> SessionOut {
    let principal = principal_of(caller_identity);
    let policy = policy_at(state, state.clock.now());
    let rules = policy
        .rules
        .iter()
        .filter(|r| r.agencies.contains(&principal.agency_kind) && (r.roles.is_empty() || r.roles.contains(&principal.role)))
        .map(|r| RuleOut {
            id: r.id.clone(),
            actions: r.actions.iter().map(|a| a.to_string()).collect(),
            classes: r.classes.clone(),
            relations: r.relations.iter().map(|x| x.to_string()).collect(),
            unless_flags: r.unless_flags.clone(),
            reason: r.reason.clone(),
            cite: r.cite.clone(),
        })
        .collect();
    SessionOut {
        user: caller_identity.user.username.clone(),
        display_name: caller_identity.user.display_name.clone(),
        role: caller_identity.user.role.clone(),
        agency: caller_identity.agency.id.clone(),
        agency_name: caller_identity.agency.name.clone(),
        agency_kind: caller_identity.agency.kind.clone(),
        authorities: principal.authorities,
        csrf_token: csrf,
        expires_at: expires_at.map(time),
        policy_version: policy.version.clone(),
        rules,
    }
}

fn throttled(message: &str) -> ApiError {
    ApiError::new(StatusCode::TOO_MANY_REQUESTS, "throttled", message, None)
}

/// Log in with a username and password. Sets the session cookie (a new one
/// every time) and returns the CSRF token to send with changes.
/// Too many failures lock the username, and too many from one address
/// refuse that address, for a while.
#[utoipa::path(post, path = "/api/v1/session", tag = "session", request_body = LoginIn,
    responses((status = 201, body = SessionOut), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody),
        (status = 503, body = ErrorBody, description = "too many logins at once; retry after the seconds in Retry-After")))]
pub async fn login(
    State(state): State<AppState>,
    Extension(audit): Extension<AuditSlot>,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    audit.set_action("login");
    let input: LoginIn = crate::http::body(&bytes)?;
    let username = input.username.trim().to_lowercase();
    audit.set_attempted_user(&username);
    let source = audit.source().unwrap_or_else(|| "unknown".to_string());
    let now = state.clock.now().as_second();
    let window = now - state.auth.lock_window;
    if state.store.failed_logins_from(&source, window).await? >= state.auth.throttle_after {
        return Err(throttled("too many failed logins from this address; try again later"));
    }
    if state.store.failed_logins_of(&username, window).await? >= state.auth.lock_after {
        state.store.record_login_attempt(&username, &source, now, false).await?;
        return Err(throttled("too many failed logins for this username; it is locked for a while, or ask an administrator"));
    }
    let identity = state.store.identity_by_username(&username).await?;
    let stored = identity.as_ref().and_then(|i| i.user.password_hash.clone());
    let hashing = &state.auth.hashing;
    let matched = match stored {
        Some(hash) => hashing.verify(input.password, hash).await,
        // Same work whether or not the account exists.
        None => hashing.verify(input.password, hashing.decoy().await).await.map(|_| false),
    }
    .map_err(|busy| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", busy.to_string(), None).retry_after(2))?;
    let identity = match identity {
        Some(i) if matched && i.user.disabled == 0 => i,
        _ => {
            state.store.record_login_attempt(&username, &source, now, false).await?;
            return Err(ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", "the username or password is wrong", None));
        }
    };
    state.store.record_login_attempt(&username, &source, now, true).await?;
    audit.set_who(&identity);
    audit.set_record("user", &identity.user.id);
    let session = start_session(&state, &identity, &source).await?;
    let body = session_out(&state, &identity, Some(session.csrf_token), Some(session.expires_at));
    let mut response = (StatusCode::CREATED, Json(body)).into_response();
    response.headers_mut().insert(header::SET_COOKIE, session.cookie);
    Ok(response)
}

/// A session just started, and the cookie that carries it.
pub(crate) struct NewSession {
    pub cookie: HeaderValue,
    pub csrf_token: String,
    pub expires_at: i64,
}

/// Starts a session for `identity` (always a new token: no fixation).
pub(crate) async fn start_session(state: &AppState, identity: &homeward_store::Identity, source: &str) -> Result<NewSession, ApiError> {
    let now = state.clock.now().as_second();
    let token = random_token();
    let csrf_token = random_token();
    let expires_at = now + state.auth.absolute_timeout;
    state.store.create_session(&token_hash(&token), &identity.user.id, &csrf_token, now, expires_at, Some(source)).await?;
    let secure = if state.auth.secure_cookie { "; Secure" } else { "" };
    let cookie = format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}", state.auth.absolute_timeout);
    let cookie = HeaderValue::from_str(&cookie).map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string(), None))?;
    Ok(NewSession { cookie, csrf_token, expires_at })
}

/// Who is logged in, with the policy rules that give them access.
#[utoipa::path(get, path = "/api/v1/session", tag = "session",
    responses((status = 200, body = SessionOut), (status = 401, body = ErrorBody)))]
pub async fn whoami(State(state): State<AppState>, caller: Caller) -> Json<SessionOut> {
    caller.audit.set_record("user", &caller.identity.user.id);
    let (csrf, expires) = match &caller.via {
        Via::Session { csrf_token, expires_at, .. } => (Some(csrf_token.clone()), Some(*expires_at)),
        Via::Token { .. } | Via::Local => (None, None),
    };
    Json(session_out(&state, &caller.identity, csrf, expires))
}

/// Log out: the session ends at once.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session",
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn logout(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    caller.audit.set_action("logout");
    caller.audit.set_record("user", &caller.identity.user.id);
    if let Via::Session { token_hash, .. } = &caller.via {
        state.store.end_session(token_hash, state.clock.now().as_second()).await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_static("homeward_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"));
    Ok(response)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenIn {
    /// What the token is for (e.g. "police list import").
    pub name: String,
    /// `read`, `write`.
    pub scopes: Vec<String>,
    /// Days until it expires; none: until revoked.
    pub expires_in_days: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct TokenOut {
    pub id: String,
    pub name: String,
    pub scopes: Vec<String>,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
    pub last_used_at: Option<String>,
    /// Only when created: the token itself. It is not stored and cannot be shown again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl TokenOut {
    fn from_row(t: homeward_store::TokenRow, token: Option<String>) -> Self {
        TokenOut {
            scopes: t.scope_list(),
            id: t.id,
            name: t.name,
            created_at: time(t.created_at),
            expires_at: t.expires_at.map(time),
            revoked_at: t.revoked_at.map(time),
            last_used_at: t.last_used_at.map(time),
            token,
        }
    }
}

/// Create an API token acting as the caller, for a machine client. Only a
/// logged-in person can create one (not another token).
#[utoipa::path(post, path = "/api/v1/tokens", tag = "session", request_body = NewTokenIn,
    responses((status = 201, body = TokenOut), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_token(State(state): State<AppState>, caller: Caller, bytes: axum::body::Bytes) -> Result<(StatusCode, Json<TokenOut>), ApiError> {
    caller.audit.set_record("user", &caller.identity.user.id);
    if !matches!(caller.via, Via::Session { .. }) {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden", "an API token cannot create tokens; log in", None));
    }
    let input: NewTokenIn = crate::http::body(&bytes)?;
    let now = state.clock.now().as_second();
    let expires_at = match input.expires_in_days {
        None => None,
        Some(d) if (1..=366).contains(&d) => Some(now + d * 86_400),
        Some(_) => return Err(ApiError::invalid("expires_in_days", "expires_in_days: must be from 1 to 366")),
    };
    let token = format!("{TOKEN_PREFIX}{}", random_token());
    let row = state.store.create_token(&token_hash(&token), &caller.identity.user.id, &input.name, &input.scopes, now, expires_at).await?;
    Ok((StatusCode::CREATED, Json(TokenOut::from_row(row, Some(token)))))
}

/// The caller's API tokens (never the tokens themselves).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "session", responses((status = 200, body = Vec<TokenOut>)))]
pub async fn list_tokens(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<TokenOut>>, ApiError> {
    caller.audit.set_record("user", &caller.identity.user.id);
    let rows = state.store.tokens_of(&caller.identity.user.id).await?;
    Ok(Json(rows.into_iter().map(|t| TokenOut::from_row(t, None)).collect()))
}

/// Revoke one of the caller's API tokens; it stops working at once.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "session", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn revoke_token(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    caller.audit.set_record("api_token", &id);
    state.store.revoke_token(&id, &caller.identity.user.id, state.clock.now().as_second()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Whether the policy lets anyone with this principal act through break-glass.
pub fn may_break_glass(state: &AppState, caller: &Caller) -> bool {
    policy_at(state, state.clock.now()).break_glass(&caller.principal.agency_kind, &caller.principal.role).is_some()
}

