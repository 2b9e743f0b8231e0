//! Emergency (break-glass) access to a child's record.

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::http::{body, time};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use homeward_access::classify;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BreakGlassIn {
    /// Why the record is needed now (recorded, and told to the child's team manager).
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct BreakGlassOut {
    pub id: String,
    pub child: String,
    pub reason: String,
    pub granted_at: String,
    pub expires_at: String,
    /// Notifications sent to the child's team managers about this access.
    pub notified: usize,
}

/// How long break-glass access lasts.
pub const BREAK_GLASS_SECONDS: i64 = 4 * 3600;
/// A break-glass reason has at least this many words of two or more letters…
pub const BREAK_GLASS_REASON_WORDS: usize = 3;
/// …and this many letters in all (after invisible characters are removed).
pub const BREAK_GLASS_REASON_LETTERS: usize = 15;

/// Emergency access to a child's record outside the caller's normal access,
/// for a stated reason. It lasts four hours, is read-only, flags every
/// access in the audit log, and is told to the child's team manager.
#[utoipa::path(post, path = "/api/v1/children/{id}/break-glass", tag = "access",
    params(("id" = String, Path)), request_body = BreakGlassIn,
    responses((status = 201, body = BreakGlassOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn break_glass(State(state): State<AppState>, caller: Caller, Path(id): Path<String>, bytes: Bytes) -> Result<(StatusCode, Json<BreakGlassOut>), ApiError> {
    caller.audit.set_action("break_glass");
    caller.audit.set_record("child", &id);
    caller.audit.set_break_glass();
    let input: BreakGlassIn = body(&bytes)?;
    homeward_core::text::multi_line(&input.reason, 2000).map_err(|m| ApiError::invalid("reason", format!("reason: {m}")))?;
    if !homeward_core::text::has_real_words(&input.reason, BREAK_GLASS_REASON_WORDS, BREAK_GLASS_REASON_LETTERS) {
        return Err(ApiError::invalid(
            "reason",
            format!("reason: say in words why you need this record now (at least {BREAK_GLASS_REASON_WORDS} words, {BREAK_GLASS_REASON_LETTERS} letters)"),
        ));
    }
    if !crate::auth::routes::may_break_glass(&state, &caller) {
        caller.audit.refused(classify::IDENTITY, homeward_access::DEFAULT_DENY);
        return Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden", "your role may not use break-glass access", None));
    }
    let child = state.store.child(&id).await?.ok_or_else(|| ApiError::not_found("child"))?;
    let now = state.clock.now().as_second();
    let grant = state.store.grant_access(&caller.identity.user.id, &id, &input.reason, now, now + BREAK_GLASS_SECONDS).await?;
    caller.audit.add_class(classify::IDENTITY, "break-glass");
    let notified = crate::notify::break_glass::tell_managers(&state, &child, &grant, &caller.identity).await?;
    Ok((StatusCode::CREATED, Json(BreakGlassOut {
        id: grant.id,
        child: grant.child_id,
        reason: grant.reason,
        granted_at: time(grant.granted_at),
        expires_at: time(grant.expires_at),
        notified,
    })))
}
