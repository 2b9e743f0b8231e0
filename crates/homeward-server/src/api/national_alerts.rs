//! National alerts received from other authorities: the receiving
//! authority's register, kept as long as its protocol says.

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::http::{self, Query, body, time};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use homeward_access::{Action, RecordFacts, classify};
use homeward_store::{NationalAlert, NewNationalAlert};
use serde::{Deserialize, Serialize};
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

#[derive(Serialize, ToSchema)]
pub struct NationalAlertOut {
    pub id: String,
    pub authority: String,
    pub from_authority: String,
    pub received_at: String,
    pub subject: String,
    pub date_of_birth: Option<String>,
    pub details: Option<String>,
    pub child: Option<String>,
    pub recorded_by: String,
    pub agency: String,
    pub recorded_at: String,
    /// When the retention job may delete it under the receiving authority's
    /// protocol; null when no protocol allows it to be deleted.
    pub kept_until: Option<String>,
    /// The protocol paragraph that says so (`bolton National alerts`).
    pub retention_cite: Option<String>,
}

impl NationalAlertOut {
    fn from_record(a: NationalAlert, state: &AppState) -> Self {
        let made_at = jiff::Timestamp::from_second(a.recorded_at).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        let retained = state.store.registry().retention(&a.authority, homeward_core::vocab::RetainedRecord::NationalAlert, made_at);
        NationalAlertOut {
            kept_until: retained.map(|r| r.keep_until.to_string()),
            retention_cite: retained.map(|r| r.protocol.cite(&r.rule.cite)),
            received_at: time(a.received_at),
            recorded_at: time(a.recorded_at),
            id: a.id,
            authority: a.authority,
            from_authority: a.from_authority,
            subject: a.subject,
            date_of_birth: a.date_of_birth,
            details: a.details,
            child: a.child_id,
            recorded_by: a.recorded_by,
            agency: a.agency,
        }
    }
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
    // A malformed authority is the caller's error to fix, not a refusal.
    homeward_core::vocab::check_id(&input.authority, "authority id").map_err(|m| ApiError::invalid("authority", format!("authority: {m}")))?;
    allow(&state, &caller, Action::Write, &input.authority)?;
    let actor = caller.actor();
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
    let (alert, created) = state.store.record_national_alert(&new, &actor, state.clock.now(), key).await.map_err(|e| match e {
        // The store names its own column; the API calls it `child`.
        homeward_store::StoreError::Invalid { field, message } if field == "child_id" => ApiError::invalid("child", format!("child: {message}")),
        other => other.into(),
    })?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(NationalAlertOut::from_record(alert, &state))))
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
pub(crate) async fn list_national_alerts(State(state): State<AppState>, caller: Caller, query: Query<NationalAlertQuery>) -> Result<Json<Vec<NationalAlertOut>>, ApiError> {
    let mut rows = Vec::new();
    for authority in readable(&state, &caller, http::text(&query.params.authority))? {
        rows.extend(state.store.national_alerts(Some(&authority)).await?);
    }
    rows.sort_by(|a, b| b.received_at.cmp(&a.received_at).then_with(|| b.id.cmp(&a.id)));
    Ok(Json(rows.into_iter().map(|a| NationalAlertOut::from_record(a, &state)).collect()))
}

/// Whether the caller may `action` the register of `authority` (decided as
/// a record of that authority); the refusal names the rule.
fn allow(state: &AppState, caller: &Caller, action: Action, authority: &str) -> Result<(), ApiError> {
    let facts = RecordFacts { responsible_authority: authority.to_string(), living_in: authority.to_string(), ..RecordFacts::default() };
    caller.audit.set_record("national_alerts", authority);
    crate::access::require(state, caller, action, classify::NATIONAL_ALERTS, &facts).map(|_| ())
}

/// The registers the caller may read: the one asked for, or every one of
/// the authorities their agency serves that the policy opens to them.
pub(super) fn readable(state: &AppState, caller: &Caller, asked: Option<String>) -> Result<Vec<String>, ApiError> {
    match asked {
        Some(authority) => allow(state, caller, Action::Read, &authority).map(|_| vec![authority]),
        None => {
            let policy = crate::access::policy_at(state, state.clock.now());
            Ok(caller
                .principal
                .authorities
                .iter()
                .filter(|a| {
                    let facts = RecordFacts { responsible_authority: a.to_string(), living_in: a.to_string(), ..RecordFacts::default() };
                    policy.decide(&caller.principal, Action::Read, classify::NATIONAL_ALERTS, &facts).allowed
                })
                .cloned()
                .collect())
        }
    }
}
