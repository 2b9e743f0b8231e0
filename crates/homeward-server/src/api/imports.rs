//! Imports: the police list of missing children, and placement notices (CSV).

use crate::AppState;
use crate::access::policy_at;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::http::{self, Query};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use homeward_access::{Action, classify};
use serde::Deserialize;
use utoipa::IntoParams;

fn csv_text(bytes: &Bytes) -> Result<&str, ApiError> {
    std::str::from_utf8(bytes).map_err(|_| ApiError::invalid("body", "the CSV must be UTF-8 text"))
}

impl From<crate::import::FileError> for ApiError {
    fn from(e: crate::import::FileError) -> Self {
        ApiError::invalid(&e.column.clone(), e.to_string())
    }
}

/// An import: whether to check it only, writing nothing.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    #[param(value_type = Option<bool>)]
    pub dry_run: Option<String>,
}

/// Refuses an import to a caller the policy never lets write episodes.
fn may_import(state: &AppState, caller: &Caller) -> Result<(), ApiError> {
    if policy_at(state, state.clock.now()).may_ever(&caller.principal, Action::Write, classify::EPISODE) {
        return Ok(());
    }
    caller.audit.refused(classify::EPISODE, homeward_access::DEFAULT_DENY);
    Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden", "your role may not record episodes, so it may not import them", None))
}

/// Import the police's list of missing and returned children (CSV, header row;
/// columns: police_reference, given_name, family_name, date_of_birth,
/// authority, reported_at, category, and optionally risk, returned_at,
/// found_by, status). Children are matched (among those the caller may
/// record for) or created; importing the same file again creates nothing.
/// `dry_run=true` writes nothing.
#[utoipa::path(post, path = "/api/v1/imports/police-list", tag = "imports",
    params(ImportQuery),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = crate::import::ImportReport), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn import_police_list(State(state): State<AppState>, caller: Caller, query: Query<ImportQuery>, bytes: Bytes) -> Result<Json<crate::import::ImportReport>, ApiError> {
    caller.audit.set_record("import", "police-list");
    may_import(&state, &caller)?;
    Ok(Json(crate::import::police_list(&state, csv_text(&bytes)?, &caller, http::flag("dry_run", &query.params.dry_run)?).await?))
}

/// Import placement notices of a child going missing or returning (Bolton
/// Figures 1 and 3; columns: notice (missing|returned), given_name,
/// family_name, date_of_birth, authority, went_missing_at, and optionally
/// reported_to_police_at, returned_at, where_found, circumstances, intent,
/// contact, child_commentary, placement_changes). The child must be on
/// record and one the caller may record for (a placement: its own children).
#[utoipa::path(post, path = "/api/v1/imports/placement-notice", tag = "imports",
    params(ImportQuery),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = crate::import::ImportReport), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn import_placement_notice(State(state): State<AppState>, caller: Caller, query: Query<ImportQuery>, bytes: Bytes) -> Result<Json<crate::import::ImportReport>, ApiError> {
    caller.audit.set_record("import", "placement-notice");
    may_import(&state, &caller)?;
    Ok(Json(crate::import::placement_notice(&state, csv_text(&bytes)?, &caller, http::flag("dry_run", &query.params.dry_run)?).await?))
}
