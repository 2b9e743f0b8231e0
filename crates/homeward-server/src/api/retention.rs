//! Retention: records due for review, their decisions, and what the
//! reviews deleted and why (no personal details); adapters over
//! `service::national_alerts`.

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::http::shapes::{DeletionOut, RetentionReviewOut};
use crate::http::{self, Query};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

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

/// What retention reviews deleted, most recent first: which record, under
/// which protocol paragraph, when, and who decided.
#[utoipa::path(get, path = "/api/v1/retention/deletions", tag = "national alerts",
    params(DeletionQuery),
    responses((status = 200, body = Vec<DeletionOut>), (status = 422, body = ErrorBody)))]
pub(crate) async fn list_deletions(State(state): State<AppState>, caller: Caller, query: Query<DeletionQuery>) -> Result<Json<Vec<DeletionOut>>, ApiError> {
    let q = &query.params;
    let limit = http::int("limit", &q.limit, 1, 10_000)?.unwrap_or(500);
    Ok(Json(crate::service::national_alerts::deletions(&state, &caller, http::text(&q.authority), http::text(&q.child), limit).await?))
}

/// The reviews' filters.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReviewQuery {
    pub authority: Option<String>,
    /// only reviews nobody has decided (default true)
    #[param(value_type = Option<bool>)]
    pub open: Option<String>,
    #[param(value_type = Option<i64>)]
    pub limit: Option<String>,
}

/// Records past their retention period, oldest first: open reviews, or
/// (`open=false`) every review with its decision.
#[utoipa::path(get, path = "/api/v1/retention/reviews", tag = "national alerts",
    params(ReviewQuery),
    responses((status = 200, body = Vec<RetentionReviewOut>), (status = 422, body = ErrorBody)))]
pub(crate) async fn list_retention_reviews(
    State(state): State<AppState>,
    caller: Caller,
    query: Query<ReviewQuery>,
) -> Result<Json<Vec<RetentionReviewOut>>, ApiError> {
    let q = &query.params;
    let open = match http::text(&q.open) {
        None => true,
        Some(_) => http::flag("open", &q.open)?,
    };
    let limit = http::int("limit", &q.limit, 1, 10_000)?.unwrap_or(500);
    Ok(Json(crate::service::national_alerts::reviews(&state, &caller, http::text(&q.authority), open, limit).await?))
}

/// A review's decision.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetentionDecisionIn {
    /// `delete`: the record goes (and the deletion is recorded, naming you);
    /// `keep`: it is kept for another retention period.
    pub decision: String,
    /// Why it is kept (required with `keep`).
    pub reason: Option<String>,
}

/// Decide the open retention review of a national alert. Only someone who
/// may write the receiving authority's register and answers for the
/// protocol's `review_by` role (or a role above it) decides; nothing is
/// deleted otherwise.
#[utoipa::path(post, path = "/api/v1/national-alerts/{id}/retention-review", tag = "national alerts",
    params(("id" = String, Path)), request_body = RetentionDecisionIn,
    responses((status = 200, body = RetentionReviewOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn decide_retention_review(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Json<RetentionReviewOut>, ApiError> {
    let input: RetentionDecisionIn = http::body(&bytes)?;
    Ok(Json(crate::service::national_alerts::decide_review(&state, &caller, &id, &input.decision, input.reason.as_deref()).await?))
}
