//! Imports: the police list of missing children, and placement notices
//! (CSV); the adapter over `service::imports`.

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::http::{self, Query};
use crate::service::imports;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;

fn csv_text(bytes: &Bytes) -> Result<&str, ApiError> {
    std::str::from_utf8(bytes).map_err(|_| ApiError::invalid("body", "the CSV must be UTF-8 text"))
}

/// An import: whether to check it only, writing nothing.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    #[param(value_type = Option<bool>)]
    pub dry_run: Option<String>,
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
pub(crate) async fn import_police_list(
    State(state): State<AppState>,
    caller: Caller,
    query: Query<ImportQuery>,
    bytes: Bytes,
) -> Result<Json<crate::import::ImportReport>, ApiError> {
    // Refused before the file is read, as the service would.
    imports::may_import(&state, &caller, "police-list")?;
    Ok(Json(imports::police_list(&state, &caller, csv_text(&bytes)?, http::flag("dry_run", &query.params.dry_run)?).await?))
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
pub(crate) async fn import_placement_notice(
    State(state): State<AppState>,
    caller: Caller,
    query: Query<ImportQuery>,
    bytes: Bytes,
) -> Result<Json<crate::import::ImportReport>, ApiError> {
    // Refused before the file is read, as the service would.
    imports::may_import(&state, &caller, "placement-notice")?;
    Ok(Json(imports::placement_notice(&state, &caller, csv_text(&bytes)?, http::flag("dry_run", &query.params.dry_run)?).await?))
}
