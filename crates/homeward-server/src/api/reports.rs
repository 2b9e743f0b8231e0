//! Pseudonymised reports: the adapter over `service::reports`.

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::http::shapes::PseudonymousEpisodeOut;
use crate::http::{self, Query};
use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;

/// The report's parameters.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// YYYY-MM-DD
    pub since: Option<String>,
    #[param(value_type = Option<i64>)]
    pub limit: Option<String>,
    #[param(value_type = Option<i64>)]
    pub offset: Option<String>,
}

/// Episodes of the children the caller may report on, pseudonymised: no
/// names, date of birth, photo or address. For partnership analysts, and
/// managers reporting on their own agency's children.
#[utoipa::path(get, path = "/api/v1/reports/episodes", tag = "reports",
    params(ReportQuery),
    responses((status = 200, body = Vec<PseudonymousEpisodeOut>), (status = 422, body = ErrorBody)))]
pub(crate) async fn report_episodes(
    State(state): State<AppState>,
    caller: Caller,
    query: Query<ReportQuery>,
) -> Result<Json<Vec<PseudonymousEpisodeOut>>, ApiError> {
    let q = &query.params;
    caller.audit.set_action("export");
    caller.audit.set_record("report", &query.describe());
    let since = match http::text(&q.since) {
        None => 0,
        Some(d) => d
            .parse::<jiff::civil::Date>()
            .ok()
            .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok())
            .map(|z| z.timestamp().as_second())
            .ok_or_else(|| ApiError::invalid("since", "since: must be a date, YYYY-MM-DD"))?,
    };
    let limit = http::int("limit", &q.limit, 1, 100_000)?.unwrap_or(10_000);
    let offset = http::int("offset", &q.offset, 0, i64::MAX)?.unwrap_or(0);
    Ok(Json(crate::service::reports::episodes(&state, &caller, since, limit, offset).await?))
}
