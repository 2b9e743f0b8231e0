//! Applying the need-to-know policy to API operations.
//!
//! One record: [`authorize`] loads its facts, decides with the policy and
//! records the class and rule in the audit entry; [`require`] does the same
//! on facts already loaded (or a record not yet written): every operation
//! applies the policy through one of them. A record whose identity the caller may not
//! read is answered exactly like one that does not exist (404), so refusals
//! reveal nothing; a record they may know but not use in this way is
//! refused (403) naming the rule. Lists: [`visibility`] gives the store the policy's
//! filter, applied in the query itself.

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use axum::http::StatusCode;
use homeward_access::{Action, DEFAULT_DENY, Decision, Policy, RecordFacts, Relation};
use homeward_store::Visibility;
use jiff::Timestamp;
use jiff::tz::TimeZone;

/// The policy version in force at `now`.
pub fn policy_at(state: &AppState, now: Timestamp) -> &Policy {
    state.policies.at(now.to_zoned(TimeZone::UTC).date())
}

/// What the caller may do with one child's record.
pub struct Granted {
    pub facts: RecordFacts,
    pub decision: Decision,
}

/// Whether the caller may do `action` on `class` of `child_id`.
pub async fn authorize(state: &AppState, caller: &Caller, child_id: &str, action: Action, class: &str) -> Result<Granted, ApiError> {
    let now = state.clock.now();
    let policy = policy_at(state, now);
    caller.audit.set_record("child", child_id);
    let Some(facts) = state.store.record_facts(child_id, &caller.principal, now.as_second()).await? else {
        caller.audit.refused(class, DEFAULT_DENY);
        return Err(ApiError::not_found("child"));
    };
    let decision = policy.decide(&caller.principal, action, class, &facts);
    note(caller, class, &decision);
    if decision.allowed {
        return Ok(Granted { facts, decision });
    }
    // Only someone who may know whose record this is learns that it exists:
    // pseudonymised rows (an analyst's) do not tell a real id from a made-up one.
    if !policy.decide(&caller.principal, Action::Read, homeward_access::classify::IDENTITY, &facts).allowed {
        return Err(ApiError::not_found("child"));
    }
    Err(forbidden(&decision, action, class))
}

/// Whether the caller may do `action` on `class` of a record with these
/// facts, noted in the audit entry either way; a refusal is 403 naming the rule.
pub fn require(state: &AppState, caller: &Caller, action: Action, class: &str, facts: &RecordFacts) -> Result<Decision, ApiError> {
    let decision = policy_at(state, state.clock.now()).decide(&caller.principal, action, class, facts);
    note(caller, class, &decision);
    if decision.allowed { Ok(decision) } else { Err(forbidden(&decision, action, class)) }
}

/// Records a decision in the audit entry: the class and the rule that allowed
/// it (flagging break-glass access), or the refusal.
fn note(caller: &Caller, class: &str, decision: &Decision) {
    if decision.allowed {
        caller.audit.add_class(class, &decision.rule);
        if decision.relation == Some(Relation::BreakGlass) {
            caller.audit.set_break_glass();
        }
    } else {
        caller.audit.refused(class, &decision.rule);
    }
}

pub fn forbidden(decision: &Decision, action: Action, class: &str) -> ApiError {
    let mut e = ApiError::new(StatusCode::FORBIDDEN, "forbidden", format!("you may not {action} {class} of this record: {}", decision.reason), None);
    e.body.rule = Some(decision.rule.clone());
    e
}

/// Whether `class` may be read on a record already authorised, noting it
/// in the audit entry when it is.
pub fn may_read(state: &AppState, caller: &Caller, facts: &RecordFacts, class: &str) -> bool {
    let decision = policy_at(state, state.clock.now()).decide(&caller.principal, Action::Read, class, facts);
    if decision.allowed {
        note(caller, class, &decision);
    }
    decision.allowed
}

/// The list filter for `action` on `class`, recorded in the audit entry.
pub fn visibility(state: &AppState, caller: &Caller, action: Action, class: &str) -> Visibility {
    let now = state.clock.now();
    let filter = policy_at(state, now).filter(&caller.principal, action, class);
    let mut rules: Vec<&str> = filter.clauses.iter().map(|c| c.rule.as_str()).collect();
    rules.dedup();
    let rule = if rules.is_empty() { DEFAULT_DENY.to_string() } else { rules.join(",") };
    caller.audit.add_class(class, &rule);
    Visibility { filter, principal: caller.principal.clone(), now: now.as_second() }
}

/// The key that makes report pseudonyms stable: chosen at random once per
/// database and shared by every instance.
pub async fn pseudonym_key(state: &AppState) -> Result<String, ApiError> {
    let key = state.pseudonym_key.get_or_try_init(|| async { state.store.setting_or_init("pseudonym_key", &crate::auth::random_token()).await }).await?;
    Ok(key.clone())
}

/// A pseudonym for `id`: stable under one key, meaningless without it.
pub fn pseudonym(key: &str, id: &str) -> String {
    use hmac::{KeyInit, Mac};
    let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(id.as_bytes());
    let digest = mac.finalize().into_bytes();
    digest.iter().take(10).map(|b| format!("{b:02x}")).collect()
}
