//! Who has seen a child's record.

use crate::AppState;
use crate::access::authorize;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::http::shapes::AccessLogOut;
use crate::http::{self, Query, time};
use axum::Json;
use axum::extract::{Path, State};
use homeward_access::{Action, classify};
use serde::Deserialize;
use utoipa::IntoParams;

/// How much of the access log to show.
#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AccessLogQuery {
    #[param(value_type = Option<i64>)]
    pub limit: Option<String>,
}

/// Who has seen this record: every access to it, newest first (to those
/// allowed to know, such as the team manager).
#[utoipa::path(get, path = "/api/v1/children/{id}/access-log", tag = "access",
    params(("id" = String, Path), AccessLogQuery),
    responses((status = 200, body = Vec<AccessLogOut>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn access_log(State(state): State<AppState>, caller: Caller, Path(id): Path<String>, query: Query<AccessLogQuery>) -> Result<Json<Vec<AccessLogOut>>, ApiError> {
    authorize(&state, &caller, &id, Action::Read, classify::ACCESS_LOG).await?;
    let rows = state.store.audit_for_record("child", &id, http::int("limit", &query.params.limit, 1, 10_000)?.unwrap_or(500)).await?;
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
