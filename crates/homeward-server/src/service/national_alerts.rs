//! National alerts received from other authorities, decided as records of
//! the receiving authority: their retention reviews, and what the reviews
//! deleted.

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::http::shapes::{DeletionOut, NationalAlertOut, RetentionReviewOut};
use homeward_access::{Action, RecordFacts, classify};
use homeward_store::{DeletionFilter, NewNationalAlert, RetentionDecision, ReviewFilter};

/// Records an alert in the receiving authority's register, when the caller
/// may write it; `key` makes a retry safe. True when it was new.
pub async fn record(state: &AppState, caller: &Caller, new: NewNationalAlert, key: Option<&str>) -> Result<(NationalAlertOut, bool), ApiError> {
    // A malformed authority is the caller's error to fix, not a refusal.
    homeward_core::vocab::check_id(&new.authority, "authority id").map_err(|m| ApiError::invalid("authority", format!("authority: {m}")))?;
    allow(state, caller, Action::Write, &new.authority)?;
    let (alert, created) = state.store.record_national_alert(&new, &caller.actor(), state.clock.now(), key).await.map_err(|e| match e {
        // The store names its own column; the API calls it `child`.
        homeward_store::StoreError::Invalid { field, message } if field == "child_id" => ApiError::invalid("child", format!("child: {message}")),
        other => other.into(),
    })?;
    Ok((NationalAlertOut::from_record(alert, state), created))
}

/// The register of `authority`, or of every authority the caller may read,
/// newest first.
pub async fn list(state: &AppState, caller: &Caller, authority: Option<String>) -> Result<Vec<NationalAlertOut>, ApiError> {
    let mut rows = Vec::new();
    for authority in readable(state, caller, authority)? {
        rows.extend(state.store.national_alerts(Some(&authority)).await?);
    }
    rows.sort_by(|a, b| b.received_at.cmp(&a.received_at).then_with(|| b.id.cmp(&a.id)));
    Ok(rows.into_iter().map(|a| NationalAlertOut::from_record(a, state)).collect())
}

/// What the retention job deleted from the registers the caller may read
/// (or the one of `authority`), optionally about one child, at most `limit`.
pub async fn deletions(state: &AppState, caller: &Caller, authority: Option<String>, child: Option<String>, limit: i64) -> Result<Vec<DeletionOut>, ApiError> {
    let mut rows = Vec::new();
    for authority in readable(state, caller, authority)? {
        let filter = DeletionFilter { authority: Some(authority), child: child.clone(), limit: Some(limit) };
        rows.extend(state.store.deletions(&filter).await?);
    }
    Ok(rows.into_iter().take(limit as usize).map(DeletionOut::from).collect())
}

/// Reviews of records past their retention period in the registers the
/// caller may read (or the one of `authority`), oldest first: open ones, or
/// every one with its decision.
pub async fn reviews(state: &AppState, caller: &Caller, authority: Option<String>, open: bool, limit: i64) -> Result<Vec<RetentionReviewOut>, ApiError> {
    let mut rows = Vec::new();
    for authority in readable(state, caller, authority)? {
        rows.extend(state.store.retention_reviews(&ReviewFilter { authority: Some(authority), open, limit: Some(limit) }).await?);
    }
    rows.sort_by(|a, b| a.due_at.cmp(&b.due_at).then_with(|| a.record_id.cmp(&b.record_id)));
    Ok(rows.into_iter().take(limit as usize).map(RetentionReviewOut::from).collect())
}

/// Decides the open retention review of national alert `id`: only someone
/// who may write the receiving authority's register and answers for the
/// protocol's `review_by` role (or a role above it); `keep` needs a reason.
pub async fn decide_review(state: &AppState, caller: &Caller, id: &str, decision: &str, reason: Option<&str>) -> Result<RetentionReviewOut, ApiError> {
    let decision = RetentionDecision::parse(decision)?;
    let kind = homeward_core::vocab::RetainedRecord::NationalAlert;
    let alert = state.store.national_alert(id).await?.ok_or_else(|| ApiError::not_found("national alert"))?;
    allow(state, caller, Action::Write, &alert.authority)?;
    caller.audit.set_record("national_alert", id);
    let review =
        state.store.open_retention_review(kind, id).await?.ok_or_else(|| ApiError::not_found("open retention review (the record is not yet due for one)"))?;
    crate::notify::addressee::require(state, caller, &review.protocol, &review.authority, &review.review_by, classify::NATIONAL_ALERTS, "decide it")?;
    let decided = state.store.decide_retention_review(kind, id, decision, reason, &caller.actor(), state.clock.now()).await?;
    Ok(decided.into())
}

/// Whether the caller may `action` the register of `authority` (decided as
/// a record of that authority); the refusal names the rule.
fn allow(state: &AppState, caller: &Caller, action: Action, authority: &str) -> Result<(), ApiError> {
    let facts = RecordFacts { responsible_authority: authority.to_string(), living_in: authority.to_string(), ..RecordFacts::default() };
    caller.audit.set_record("national_alerts", authority);
    crate::access::require(state, caller, action, classify::NATIONAL_ALERTS, &facts).map(|_| ())
}

/// The registers the caller may read: the one asked for, or every one of
/// the authorities their agency serves that the policy opens to them.
fn readable(state: &AppState, caller: &Caller, asked: Option<String>) -> Result<Vec<String>, ApiError> {
    match asked {
        Some(authority) => allow(state, caller, Action::Read, &authority).map(|_| vec![authority]),
        None => {
            let policy = crate::access::policy_at(state, state.clock.now());
            Ok(caller
                .principal
                .authorities
                .iter()
                .filter(|a| {
                    let facts = RecordFacts { responsible_authority: a.to_string(), living_in: a.to_string(), ..RecordFacts::default() };
                    policy.decide(&caller.principal, Action::Read, classify::NATIONAL_ALERTS, &facts).allowed
                })
                .cloned()
                .collect())
        }
    }
}
