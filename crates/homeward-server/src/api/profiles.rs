//! The child's profile and trigger plan: the adapter over `service::profiles`.

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::http::body;
use crate::service::profiles::{self, ChangeError, Profile};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use serde::Serialize;
use utoipa::ToSchema;

/// The current profile as the caller may see it.
#[derive(Serialize, ToSchema)]
pub struct ProfileApiOut {
    pub child: String,
    /// The current version; null when none has been recorded.
    pub version: Option<i64>,
    pub changed_by: Option<String>,
    pub changed_agency: Option<String>,
    pub changed_at: Option<String>,
    /// Whether the plan's fields (phones, online identity, family, places,
    /// triggers, plans, review date) are shown; else they are empty.
    pub plan_readable: bool,
    pub profile: Profile,
}

/// What a change did.
#[derive(Serialize, ToSchema)]
pub struct ProfileSavedOut {
    /// The version written; null when nothing changed (nothing is written).
    pub version: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/children/{id}/profile", tag = "children",
    params(("id" = String, Path)),
    responses((status = 200, body = ProfileApiOut), (status = 404, body = ErrorBody)))]
pub(crate) async fn get_profile(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<ProfileApiOut>, ApiError> {
    let out = profiles::profile(&state, &caller, &id).await?;
    let v = out.version.as_ref();
    Ok(Json(ProfileApiOut {
        child: id,
        version: v.map(|v| v.version),
        changed_by: v.map(|v| v.changed_by.clone()),
        changed_agency: v.map(|v| v.changed_agency.clone()),
        changed_at: v.and_then(|v| jiff::Timestamp::from_second(v.changed_at).ok()).map(|t| t.to_string()),
        plan_readable: out.plan_readable,
        profile: out.profile,
    }))
}

/// Replace the profile. A version is written only when a field changed, and
/// needs `write` on the class of each field changed. Every problem is listed
/// in the message; `field` names the first. Passwords are never accepted
/// (an unknown field is refused): record who holds them.
#[utoipa::path(put, path = "/api/v1/children/{id}/profile", tag = "children", request_body = Profile,
    params(("id" = String, Path)),
    responses((status = 200, body = ProfileSavedOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn put_profile(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Json<ProfileSavedOut>, ApiError> {
    let input: Profile = body(&bytes)?;
    match profiles::save(&state, &caller, &id, input).await {
        Ok(version) => Ok(Json(ProfileSavedOut { version })),
        Err(ChangeError::Invalid(problems)) => {
            let message = problems.iter().map(|p| format!("{}: {}", p.field, p.message)).collect::<Vec<_>>().join("; ");
            Err(ApiError::invalid(problems.first().map(|p| p.field.as_str()).unwrap_or(""), message))
        }
        Err(ChangeError::Refused(e)) => Err(e),
    }
}
