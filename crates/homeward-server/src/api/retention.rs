//! What the retention job deleted, and why (no personal details).

use super::national_alerts::readable;
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::http::{self, Query, time};
use axum::Json;
use axum::extract::State;
use homeward_store::{Deletion, DeletionFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The record of one deletion by the retention job (no personal details).
#[derive(Serialize, ToSchema)]
pub struct DeletionOut {
    /// `national_alert`.
    pub record_kind: String,
    pub record_id: String,
    pub authority: String,
    pub child: Option<String>,
    /// When the record was made, and the end of its retention period.
    pub made_at: String,
    pub kept_until: String,
    pub protocol: String,
    pub protocol_version: String,
    /// The `[[retention]]` entry and the paragraph that allows the deletion.
    pub rule: String,
    pub cite: String,
    pub deleted_at: String,
    pub deleted_by: String,
}

impl From<Deletion> for DeletionOut {
    fn from(d: Deletion) -> Self {
        DeletionOut {
            made_at: time(d.made_at),
            kept_until: time(d.kept_until),
            deleted_at: time(d.deleted_at),
            record_kind: d.record_kind,
            record_id: d.record_id,
            authority: d.authority,
            child: d.child_id,
            protocol: d.protocol,
            protocol_version: d.protocol_version,
            rule: d.rule,
            cite: d.cite,
            deleted_by: d.deleted_by,
        }
    }
}

/// The deletions' filters.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeletionQuery {
    pub authority: Option<String>,
    pub child: Option<String>,
    #[param(value_type = Option<i64>)]
    pub limit: Option<String>,
}

/// What the retention job deleted, most recent first: which record, under
/// which protocol paragraph, when, and by which instance.
#[utoipa::path(get, path = "/api/v1/retention/deletions", tag = "national alerts",
    params(DeletionQuery),
    responses((status = 200, body = Vec<DeletionOut>), (status = 422, body = ErrorBody)))]
pub(crate) async fn list_deletions(State(state): State<AppState>, caller: Caller, query: Query<DeletionQuery>) -> Result<Json<Vec<DeletionOut>>, ApiError> {
    let q = &query.params;
    let limit = http::int("limit", &q.limit, 1, 10_000)?.unwrap_or(500);
    let mut rows = Vec::new();
    for authority in readable(&state, &caller, http::text(&q.authority))? {
        let filter = DeletionFilter { authority: Some(authority), child: http::text(&q.child), limit: Some(limit) };
        rows.extend(state.store.deletions(&filter).await?);
    }
    Ok(Json(rows.into_iter().take(limit as usize).map(DeletionOut::from).collect()))
}
