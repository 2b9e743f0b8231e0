//! Who has seen a child's record.

use crate::AppState;
use crate::access::authorize;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::http::shapes::AccessLogOut;
use crate::http::{Params, time};
use axum::Json;
use axum::extract::{Path, Query, State};
use homeward_access::{Action, classify};
use std::collections::HashMap;

/// Who has seen this record: every access to it, newest first (to those
/// allowed to know, such as the team manager).
#[utoipa::path(get, path = "/api/v1/children/{id}/access-log", tag = "access",
    params(("id" = String, Path), ("limit" = Option<i64>, Query)),
    responses((status = 200, body = Vec<AccessLogOut>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn access_log(State(state): State<AppState>, caller: Caller, Path(id): Path<String>, Query(q): Query<HashMap<String, String>>) -> Result<Json<Vec<AccessLogOut>>, ApiError> {
    let q = Params(q);
    q.only(&["limit"])?;
    authorize(&state, &caller, &id, Action::Read, classify::ACCESS_LOG).await?;
    let rows = state.store.audit_for_record("child", &id, q.int("limit", 1, 10_000)?.unwrap_or(500)).await?;
    Ok(Json(rows
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
        .collect()))
}
