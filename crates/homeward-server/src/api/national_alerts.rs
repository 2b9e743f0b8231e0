//! National alerts received from other authorities: the receiving
//! authority's register, kept as long as its protocol says; the adapter over
//! `service::national_alerts`.

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::http::shapes::NationalAlertOut;
use crate::http::{self, Query, body};
use crate::service::national_alerts;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use homeward_store::NewNationalAlert;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// A national alert received from another authority, recorded in the
/// receiving authority's register.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NationalAlertIn {
    /// The authority that received it.
    pub authority: String,
    /// The authority that sent it.
    pub from_authority: String,
    /// RFC 3339, not in the future.
    pub received_at: String,
    /// Who is missing, as the alert names them.
    pub subject: String,
    /// YYYY-MM-DD, if the alert gives it.
    pub date_of_birth: Option<String>,
    /// What the alert says and what checks of local systems found.
    pub details: Option<String>,
    /// A local child the checks matched.
    pub child: Option<String>,
}

/// Record a national alert received from another authority. It is kept as
/// long as the receiving authority's protocol says (`kept_until`), then
/// deleted by the retention job, which records the deletion. An
/// `Idempotency-Key` header makes a retry safe.
#[utoipa::path(post, path = "/api/v1/national-alerts", tag = "national alerts", request_body = NationalAlertIn,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 201, body = NationalAlertOut), (status = 200, body = NationalAlertOut, description = "the idempotency key matched an earlier recording"), (status = 422, body = ErrorBody)))]
pub(crate) async fn record_national_alert(
    State(state): State<AppState>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    bytes: Bytes,
) -> Result<(StatusCode, Json<NationalAlertOut>), ApiError> {
    let input: NationalAlertIn = body(&bytes)?;
    let new = NewNationalAlert {
        authority: input.authority,
        from_authority: input.from_authority,
        received_at: input.received_at,
        subject: input.subject,
        date_of_birth: input.date_of_birth,
        details: input.details,
        child_id: input.child,
    };
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok());
    let (alert, created) = national_alerts::record(&state, &caller, new, key).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(alert)))
}

/// The register to list.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NationalAlertQuery {
    /// the receiving authority
    pub authority: Option<String>,
}

/// The register of national alerts received, newest first.
#[utoipa::path(get, path = "/api/v1/national-alerts", tag = "national alerts",
    params(NationalAlertQuery),
    responses((status = 200, body = Vec<NationalAlertOut>), (status = 422, body = ErrorBody)))]
pub(crate) async fn list_national_alerts(
    State(state): State<AppState>,
    caller: Caller,
    query: Query<NationalAlertQuery>,
) -> Result<Json<Vec<NationalAlertOut>>, ApiError> {
    Ok(Json(national_alerts::list(&state, &caller, http::text(&query.params.authority)).await?))
}
