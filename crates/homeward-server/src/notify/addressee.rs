//! Who may acknowledge a message (or decide what a protocol asks of a
//! role): the people who answer for the protocol role it is addressed to,
//! or for a role above it on its escalation chain.
//! Acknowledging stops escalation for everyone told about that duty stage,
//! so nobody else may do it on their behalf.

use crate::AppState;
use crate::access::policy_at;
use crate::auth::Caller;
use crate::error::ApiError;
use axum::http::StatusCode;
use homeward_store::NotificationRecord;

/// The policy's name for this check in the audit log and in refusals.
pub const ADDRESSEE: &str = "addressee-or-above";

/// Refuses unless `caller` may acknowledge `n`: they answer for the role it
/// is addressed to, or for one above it on the escalation chain.
pub fn may_acknowledge(state: &AppState, caller: &Caller, n: &NotificationRecord) -> Result<(), ApiError> {
    require(state, caller, &n.protocol, &n.authority, &n.role, homeward_access::classify::NOTIFICATIONS, "acknowledge it")
}

/// Whether `caller` answers for the protocol role `role` of `authority`
/// under `protocol`, or for a role above it on its escalation chain: the
/// one test for acknowledging a message and for deciding what a role must
/// decide (a retention review).
pub fn answers_for(state: &AppState, caller: &Caller, protocol: &str, authority: &str, role: &str) -> bool {
    let policy = policy_at(state, state.clock.now());
    let registry = state.store.registry();
    // The newest version's definition of a role; a role only the directory
    // names (an `escalate_to`) belongs to the addressed role's agency.
    let agency_of =
        |role: &str| registry.versions(protocol).filter_map(|p| p.roles.iter().find(|r| r.id == role)).last().map(|r| r.agency.as_str().to_string());
    let addressed_agency = agency_of(role);
    std::iter::once(role.to_string()).chain(state.store.notifier().managers_above(authority, protocol, role)).any(|role| {
        agency_of(&role)
            .or_else(|| addressed_agency.clone())
            .is_some_and(|agency| policy.answers_for(&caller.principal.role, &caller.principal.agency_kind, &role, &agency))
    })
}

/// Refuses, naming [`ADDRESSEE`] in the refusal and the audit entry, unless
/// `caller` answers for `role` of `authority` (or a role above it): `what`
/// says what the caller tried, for the message ("acknowledge it").
pub fn require(state: &AppState, caller: &Caller, protocol: &str, authority: &str, role: &str, class: &str, what: &str) -> Result<(), ApiError> {
    if answers_for(state, caller, protocol, authority, role) {
        return Ok(());
    }
    caller.audit.refused(class, ADDRESSEE);
    let mut e = ApiError::new(
        StatusCode::FORBIDDEN,
        "forbidden",
        format!("this is for the {role} role of {authority}; only those who answer for that role, or for a role above it on its escalation chain, may {what}"),
        None,
    );
    e.body.rule = Some(ADDRESSEE.to_string());
    Err(e)
}
