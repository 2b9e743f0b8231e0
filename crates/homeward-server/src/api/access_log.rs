//! Who has seen a child's record: the adapter over `service::access_log`.

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::http::shapes::AccessLogOut;
use crate::http::{self, Query};
use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use utoipa::IntoParams;

/// How much of the access log to show.
#[derive(Deserialize, IntoParams)]
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
pub(crate) async fn access_log(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    query: Query<AccessLogQuery>,
) -> Result<Json<Vec<AccessLogOut>>, ApiError> {
    let limit = http::int("limit", &query.params.limit, 1, 10_000)?;
    Ok(Json(crate::service::access_log::list(&state, &caller, &id, limit).await?))
}
