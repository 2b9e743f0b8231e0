//! What the retention job deleted, and why (no personal details); the
//! adapter over `service::national_alerts::deletions`.

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::http::shapes::DeletionOut;
use crate::http::{self, Query};
use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;

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
    Ok(Json(crate::service::national_alerts::deletions(&state, &caller, http::text(&q.authority), http::text(&q.child), limit).await?))
}
