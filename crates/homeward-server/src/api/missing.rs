//! Children missing now.

use crate::AppState;
use crate::access::visibility;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::http::Params;
use crate::http::shapes::MissingOut;
use axum::Json;
use axum::extract::{Query, State};
use homeward_access::{Action, classify};
use std::collections::HashMap;

/// Children missing now, most recent first, among those whose episodes the caller may see.
#[utoipa::path(get, path = "/api/v1/missing", tag = "children",
    params(("authority" = Option<String>, Query)),
    responses((status = 200, body = Vec<MissingOut>)))]
pub(crate) async fn currently_missing(State(state): State<AppState>, caller: Caller, Query(q): Query<HashMap<String, String>>) -> Result<Json<Vec<MissingOut>>, ApiError> {
    let q = Params(q);
    q.only(&["authority"])?;
    caller.audit.set_record("missing", &q.describe());
    let now = state.clock.now();
    let visible = visibility(&state, &caller, Action::Read, classify::EPISODE);
    let rows = state.store.currently_missing(q.text("authority").as_deref(), Some(&visible)).await?;
    Ok(Json(rows.into_iter().map(|m| MissingOut::from_row(m, now)).collect()))
}
