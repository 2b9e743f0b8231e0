//! Children missing now.

use crate::AppState;
use crate::access::visibility;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::http::{self, Query};
use crate::http::shapes::MissingOut;
use axum::Json;
use axum::extract::State;
use homeward_access::{Action, classify};
use serde::Deserialize;
use utoipa::IntoParams;

/// The missing list's filter.
#[derive(Deserialize, IntoParams, Default)]
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
    let now = state.clock.now();
    let visible = visibility(&state, &caller, Action::Read, classify::EPISODE);
    let rows = state.store.currently_missing(http::text(&query.params.authority).as_deref(), Some(&visible)).await?;
    Ok(Json(rows.into_iter().map(|m| MissingOut::from_row(m, now)).collect()))
}
