//! Emergency (break-glass) access to a child's record outside the caller's
//! normal access, for a stated reason.

use crate::AppState;
use crate::access::policy_at;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::http::shapes::BreakGlassOut;
use crate::http::time;
use axum::http::StatusCode;
use homeward_access::classify;

/// A break-glass reason has at least this many words of two or more letters…
pub const BREAK_GLASS_REASON_WORDS: usize = 3;
/// …and this many letters in all (after invisible characters are removed).
pub const BREAK_GLASS_REASON_LETTERS: usize = 15;

/// Marks the request's audit entry as a break-glass request on the child.
pub fn audit_as_break_glass(caller: &Caller, child_id: &str) {
    caller.audit.set_action("break_glass");
    caller.audit.set_record("child", child_id);
    caller.audit.set_break_glass();
}

/// Grants the caller read access to the child for as long as the policy's
/// break-glass rule says, for `reason` (words, not a placeholder), and tells
/// the child's managers at once. Only roles that rule names may use it.
pub async fn grant(state: &AppState, caller: &Caller, child_id: &str, reason: &str) -> Result<BreakGlassOut, ApiError> {
    audit_as_break_glass(caller, child_id);
    homeward_core::text::multi_line(reason, 2000).map_err(|m| ApiError::invalid("reason", format!("reason: {m}")))?;
    if !homeward_core::text::has_real_words(reason, BREAK_GLASS_REASON_WORDS, BREAK_GLASS_REASON_LETTERS) {
        return Err(ApiError::invalid(
            "reason",
            format!("reason: say in words why you need this record now (at least {BREAK_GLASS_REASON_WORDS} words, {BREAK_GLASS_REASON_LETTERS} letters)"),
        ));
    }
    let now = state.clock.now();
    // Who may ask, and how long a grant lasts, are the policy's break-glass rule.
    let Some(allowed) = policy_at(state, now).break_glass(&caller.principal.agency_kind, &caller.principal.role) else {
        caller.audit.refused(classify::IDENTITY, homeward_access::DEFAULT_DENY);
        return Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden", "your role may not use break-glass access", None));
    };
    let child = state.store.child(child_id).await?.ok_or_else(|| ApiError::not_found("child"))?;
    let now = now.as_second();
    let grant = state.store.grant_access(&caller.identity.user.id, child_id, reason, now, now + allowed.lasts_hours * 3600).await?;
    caller.audit.add_class(classify::IDENTITY, &allowed.rule.id);
    let notified = crate::notify::break_glass::tell_managers(state, &child, &grant, &caller.identity).await?;
    Ok(BreakGlassOut {
        id: grant.id,
        child: grant.child_id,
        reason: grant.reason,
        granted_at: time(grant.granted_at),
        expires_at: time(grant.expires_at),
        notified,
    })
}

/// Whether the policy lets anyone with the caller's role and agency ask for
/// break-glass access.
pub fn may_use(state: &AppState, caller: &Caller) -> bool {
    lasts_hours(state, caller).is_some()
}

/// How many hours a break-glass grant to the caller would last, when the
/// policy lets them ask for one.
pub fn lasts_hours(state: &AppState, caller: &Caller) -> Option<i64> {
    policy_at(state, state.clock.now()).break_glass(&caller.principal.agency_kind, &caller.principal.role).map(|b| b.lasts_hours)
}
