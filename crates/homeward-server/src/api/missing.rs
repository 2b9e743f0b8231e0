//! Children missing now: the adapter over `service::missing`.

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::http::shapes::MissingOut;
use crate::http::{self, Query};
use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;

/// The missing list's filter.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MissingQuery {
    pub authority: Option<String>,
}

/// Children missing now, most recent first, among those whose episodes the caller may see.
#[utoipa::path(get, path = "/api/v1/missing", tag = "children",
    params(MissingQuery),
    responses((status = 200, body = Vec<MissingOut>)))]
pub(crate) async fn currently_missing(State(state): State<AppState>, caller: Caller, query: Query<MissingQuery>) -> Result<Json<Vec<MissingOut>>, ApiError> {
    caller.audit.set_record("missing", &query.describe());
    Ok(Json(crate::service::missing::list(&state, &caller, http::text(&query.params.authority).as_deref()).await?))
}
