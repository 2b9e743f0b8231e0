//! Account administration for a logged-in administrator (never an API
//! token): agencies, people, roles, access, passwords and API tokens; the
//! adapter over `service::accounts`, where the policy's administration
//! grants decide. An error names the first field at fault (the pages show
//! every one).

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::http::Query;
use crate::http::shapes::TokenOut;
use crate::service::accounts::{self, AgencyOut, NewAgencyIn, NewPersonIn, PersonOut};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAgencyBody {
    /// A short id that never changes (`bolton-childrens-services`).
    pub id: String,
    pub name: String,
    /// A kind of agency the policy has roles for (`police`, `childrens_services`, …).
    pub kind: String,
    /// The authorities it serves (none for a placement provider).
    #[serde(default)]
    pub authorities: Vec<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPersonBody {
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    /// The agency's id: one the caller administers.
    pub agency: String,
    /// A role the policy gives to the agency's kind.
    pub role: String,
    pub team: Option<String>,
    /// A temporary password (at least 12 characters); none: single sign-on or API tokens only.
    pub password: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleBody {
    pub role: String,
    pub team: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisabledBody {
    /// True disables the account (its sessions end, its tokens are refused); false enables it.
    pub disabled: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    /// The temporary password (at least 12 characters); every session of the person ends.
    pub password: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PeopleQuery {
    /// Only this agency's people.
    pub agency: Option<String>,
}

/// The agencies the caller administers.
#[utoipa::path(get, path = "/api/v1/agencies", tag = "accounts", responses((status = 200, body = Vec<AgencyOut>), (status = 403, body = ErrorBody)))]
pub async fn list_agencies(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<AgencyOut>>, ApiError> {
    Ok(Json(accounts::agencies(&state, &caller).await?))
}

/// Add an agency (an administrator of every agency only).
#[utoipa::path(post, path = "/api/v1/agencies", tag = "accounts", request_body = NewAgencyBody,
    responses((status = 201, body = AgencyOut), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_agency(State(state): State<AppState>, caller: Caller, bytes: axum::body::Bytes) -> Result<(StatusCode, Json<AgencyOut>), ApiError> {
    accounts::may_add_agencies(&state, &caller)?;
    let b: NewAgencyBody = crate::http::body(&bytes)?;
    let new = NewAgencyIn { id: b.id, name: b.name, kind: b.kind, authorities: b.authorities };
    Ok((StatusCode::CREATED, Json(accounts::create_agency(&state, &caller, new).await?)))
}

/// The people the caller administers, of one agency or of all.
#[utoipa::path(get, path = "/api/v1/users", tag = "accounts", params(PeopleQuery),
    responses((status = 200, body = Vec<PersonOut>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_users(State(state): State<AppState>, caller: Caller, query: Query<PeopleQuery>) -> Result<Json<Vec<PersonOut>>, ApiError> {
    Ok(Json(accounts::people(&state, &caller, query.params.agency.as_deref()).await?))
}

/// Add a person to an agency the caller administers.
#[utoipa::path(post, path = "/api/v1/users", tag = "accounts", request_body = NewPersonBody,
    responses((status = 201, body = PersonOut), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_user(State(state): State<AppState>, caller: Caller, bytes: axum::body::Bytes) -> Result<(StatusCode, Json<PersonOut>), ApiError> {
    // Refused before the body is read, as the service would.
    accounts::may_administer(&state, &caller)?;
    let b: NewPersonBody = crate::http::body(&bytes)?;
    let new =
        NewPersonIn { username: b.username, display_name: b.display_name, email: b.email, agency: b.agency, role: b.role, team: b.team, password: b.password };
    Ok((StatusCode::CREATED, Json(accounts::create_person(&state, &caller, new).await?)))
}

/// One person the caller administers.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "accounts", params(("id" = String, Path)),
    responses((status = 200, body = PersonOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_user(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<PersonOut>, ApiError> {
    Ok(Json(accounts::person(&state, &caller, &id).await?))
}

/// Give a person another role (of their agency's kind) and team.
#[utoipa::path(put, path = "/api/v1/users/{id}/role", tag = "accounts", params(("id" = String, Path)), request_body = RoleBody,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_role(State(state): State<AppState>, caller: Caller, Path(id): Path<String>, bytes: axum::body::Bytes) -> Result<StatusCode, ApiError> {
    // Refused before the body is read, as the service would.
    accounts::may_administer(&state, &caller)?;
    let b: RoleBody = crate::http::body(&bytes)?;
    accounts::change_role(&state, &caller, &id, &b.role, b.team.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Disable a person's account or enable it again.
#[utoipa::path(put, path = "/api/v1/users/{id}/disabled", tag = "accounts", params(("id" = String, Path)), request_body = DisabledBody,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_disabled(State(state): State<AppState>, caller: Caller, Path(id): Path<String>, bytes: axum::body::Bytes) -> Result<StatusCode, ApiError> {
    // Refused before the body is read, as the service would.
    accounts::may_administer(&state, &caller)?;
    let b: DisabledBody = crate::http::body(&bytes)?;
    accounts::set_disabled(&state, &caller, &id, b.disabled).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Set a temporary password for a person; every session of theirs ends.
#[utoipa::path(put, path = "/api/v1/users/{id}/password", tag = "accounts", params(("id" = String, Path)), request_body = PasswordBody,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_password(State(state): State<AppState>, caller: Caller, Path(id): Path<String>, bytes: axum::body::Bytes) -> Result<StatusCode, ApiError> {
    // Refused before the body is read, as the service would.
    accounts::may_administer(&state, &caller)?;
    let b: PasswordBody = crate::http::body(&bytes)?;
    accounts::reset_password(&state, &caller, &id, b.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A person's API tokens (never the tokens themselves).
#[utoipa::path(get, path = "/api/v1/users/{id}/tokens", tag = "accounts", params(("id" = String, Path)),
    responses((status = 200, body = Vec<TokenOut>), (status = 404, body = ErrorBody)))]
pub async fn list_user_tokens(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<Vec<TokenOut>>, ApiError> {
    Ok(Json(accounts::tokens(&state, &caller, &id).await?))
}

/// Revoke one of a person's API tokens; it stops working at once.
#[utoipa::path(delete, path = "/api/v1/users/{id}/tokens/{token}", tag = "accounts", params(("id" = String, Path), ("token" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn revoke_user_token(State(state): State<AppState>, caller: Caller, Path((id, token)): Path<(String, String)>) -> Result<StatusCode, ApiError> {
    accounts::revoke_token(&state, &caller, &id, &token).await?;
    Ok(StatusCode::NO_CONTENT)
}
