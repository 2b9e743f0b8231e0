//! Logging in and out, and who the caller is under the policy.

use crate::AppState;
use crate::access::policy_at;
use crate::audit::AuditSlot;
use crate::auth::session::{NewSession, start_session};
use crate::auth::{Caller, Via, principal_of};
use crate::error::ApiError;
use crate::http::shapes::{RuleOut, SessionOut};
use crate::http::time;
use axum::http::StatusCode;

/// Who `caller_identity` is, with every rule of the policy in force that
/// gives them access: why they see what they see.
pub fn session_out(state: &AppState, caller_identity: &homeward_store::Identity, csrf: Option<String>, expires_at: Option<i64>) -> SessionOut {
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

/// Logs in with a username and password, starting a new session. Too many
/// failures lock the username, and too many from one address refuse that
/// address, for a while; the work is the same whether or not the account
/// exists.
pub async fn log_in(state: &AppState, audit: &AuditSlot, username: &str, password: String) -> Result<(SessionOut, NewSession), ApiError> {
    audit.set_action("login");
    let username = username.trim().to_lowercase();
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
        Some(hash) => hashing.verify(password, hash).await,
        // Same work whether or not the account exists.
        None => hashing.verify(password, hashing.decoy().await).await.map(|_| false),
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
    let session = start_session(state, &identity, &source).await?;
    let out = session_out(state, &identity, Some(session.csrf_token.clone()), Some(session.expires_at));
    Ok((out, session))
}

/// Ends the caller's session at once (an API token has none to end).
pub async fn log_out(state: &AppState, caller: &Caller) -> Result<(), ApiError> {
    caller.audit.set_action("logout");
    caller.audit.set_record("user", &caller.identity.user.id);
    if let Via::Session { token_hash, .. } = &caller.via {
        state.store.end_session(token_hash, state.clock.now().as_second()).await?;
    }
    Ok(())
}
