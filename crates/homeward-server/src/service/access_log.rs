//! Who has seen a child's record.

use crate::AppState;
use crate::access::authorize;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::http::shapes::AccessLogOut;
use crate::http::time;
use homeward_access::{Action, classify};

/// Every access to the child's record, newest first, at most `limit` (500
/// when not given), to those the policy lets read the record's access log.
pub async fn list(state: &AppState, caller: &Caller, child_id: &str, limit: Option<i64>) -> Result<Vec<AccessLogOut>, ApiError> {
    authorize(state, caller, child_id, Action::Read, classify::ACCESS_LOG).await?;
    let rows = state.store.audit_for_record("child", child_id, limit.unwrap_or(500)).await?;
    Ok(rows
        .into_iter()
        .map(|r| AccessLogOut {
            seq: r.seq,
            at: time(r.entry.at),
            user: r.entry.user_id,
            agency: r.entry.agency,
            role: r.entry.role,
            action: r.entry.action,
            operation: r.entry.operation,
            fields: r.entry.fields,
            outcome: r.entry.outcome,
            rule: r.entry.rule,
            break_glass: r.entry.break_glass,
        })
        .collect())
}
