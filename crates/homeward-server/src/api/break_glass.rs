//! Emergency (break-glass) access to a child's record: the adapter over `service::break_glass`.

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::http::body;
use crate::http::shapes::BreakGlassOut;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BreakGlassIn {
    /// Why the record is needed now (recorded, and told to the child's team manager).
    pub reason: String,
}

/// Emergency access to a child's record outside the caller's normal access,
/// for a stated reason. It lasts as long as the policy's break-glass rule
/// says (four hours), is read-only, flags every access in the audit log,
/// and is told to the child's team manager.
#[utoipa::path(post, path = "/api/v1/children/{id}/break-glass", tag = "access",
    params(("id" = String, Path)), request_body = BreakGlassIn,
    responses((status = 201, body = BreakGlassOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn break_glass(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<(StatusCode, Json<BreakGlassOut>), ApiError> {
    // Audited as break-glass even when the body cannot be read.
    crate::service::break_glass::audit_as_break_glass(&caller, &id);
    let input: BreakGlassIn = body(&bytes)?;
    Ok((StatusCode::CREATED, Json(crate::service::break_glass::grant(&state, &caller, &id, &input.reason).await?)))
}
