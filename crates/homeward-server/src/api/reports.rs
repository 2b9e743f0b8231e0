//! Pseudonymised reports.

use crate::AppState;
use crate::access::visibility;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::http::{self, Query, time};
use axum::Json;
use axum::extract::State;
use homeward_access::{Action, classify};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// One episode without names, date of birth or address.
#[derive(Serialize, ToSchema)]
pub struct PseudonymousEpisodeOut {
    /// Stable for one child within this service, meaningless outside it.
    pub child: String,
    pub age_at_start: Option<i64>,
    pub status: String,
    pub responsible_authority: String,
    pub living_in: String,
    pub flags: Vec<String>,
    pub episode: String,
    pub started_at: String,
    pub returned_at: Option<String>,
    pub category: String,
    pub risk: String,
}

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
pub(crate) async fn report_episodes(State(state): State<AppState>, caller: Caller, query: Query<ReportQuery>) -> Result<Json<Vec<PseudonymousEpisodeOut>>, ApiError> {
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
    let visible = visibility(&state, &caller, Action::Read, classify::PSEUDONYMISED);
    let rows = state.store.pseudonymous_episodes(&visible, since, http::int("limit", &q.limit, 1, 100_000)?.unwrap_or(10_000), http::int("offset", &q.offset, 0, i64::MAX)?.unwrap_or(0)).await?;
    let key = &crate::access::pseudonym_key(&state).await?;
    Ok(Json(rows
        .into_iter()
        .map(|r| PseudonymousEpisodeOut {
            child: crate::access::pseudonym(key, &r.child_id),
            age_at_start: age_at(&r.date_of_birth, r.started_at),
            flags: serde_json::from_str(&r.flags).unwrap_or_default(),
            status: r.status,
            responsible_authority: r.responsible_authority,
            living_in: r.living_in,
            episode: crate::access::pseudonym(key, &format!("{}/{}", r.child_id, r.episode)),
            started_at: time(r.started_at),
            returned_at: r.returned_at.map(time),
            category: r.category,
            risk: r.risk,
        })
        .collect()))
}

fn age_at(date_of_birth: &str, at: i64) -> Option<i64> {
    let born: jiff::civil::Date = date_of_birth.parse().ok()?;
    let day = Timestamp::from_second(at).ok()?.to_zoned(jiff::tz::TimeZone::UTC).date();
    let years = i64::from(day.year() - born.year());
    Some(if (day.month(), day.day()) < (born.month(), born.day()) { years - 1 } else { years })
}
