//! The JSON API under `/api/v1`, one file per resource. Routes and the
//! OpenAPI document come from the same list (`router`), so they cannot drift.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use axum::extract::State;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

mod access_log;
mod accounts;
mod break_glass;
mod children;
mod duties;
mod events;
mod imports;
mod involvements;
mod missing;
mod national_alerts;
mod notifications;
mod profiles;
mod reports;
mod retention;
mod session;
mod tokens;

#[derive(OpenApi)]
#[openapi(
    info(title = "Homeward API", version = "1", description = "Children missing from home or care: records, duties under each partnership's protocol, and what is late."),
    components(schemas(ErrorBody)),
    modifiers(&Security),
    security(("session" = []), ("token" = []))
)]
struct ApiDoc;

/// How callers prove who they are: the session cookie from `POST
/// /api/v1/session` (changes also need `X-CSRF-Token`), or an API token.
struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("session", SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::auth::COOKIE))));
        components.add_security_scheme("token", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(children::list_children, children::create_child))
        .routes(routes!(children::match_children))
        .routes(routes!(children::get_child))
        .routes(routes!(children::child_timeline))
        .routes(routes!(profiles::get_profile, profiles::put_profile))
        .routes(routes!(events::record_event))
        .routes(routes!(duties::list_duties))
        .routes(routes!(missing::currently_missing))
        .routes(routes!(imports::import_police_list))
        .routes(routes!(imports::import_placement_notice))
        .routes(routes!(notifications::list_notifications))
        .routes(routes!(notifications::get_notification))
        .routes(routes!(notifications::acknowledge_notification))
        .routes(routes!(notifications::notification_calendar))
        .routes(routes!(session::login, session::whoami, session::logout))
        .routes(routes!(tokens::create_token, tokens::list_tokens))
        .routes(routes!(tokens::revoke_token))
        .routes(routes!(involvements::list_involvements, involvements::add_involvement))
        .routes(routes!(involvements::end_involvement))
        .routes(routes!(break_glass::break_glass))
        .routes(routes!(access_log::access_log))
        .routes(routes!(reports::report_episodes))
        .routes(routes!(national_alerts::list_national_alerts, national_alerts::record_national_alert))
        .routes(routes!(retention::list_deletions))
        .routes(routes!(retention::list_retention_reviews))
        .routes(routes!(retention::decide_retention_review))
        .routes(routes!(accounts::list_agencies, accounts::create_agency))
        .routes(routes!(accounts::list_users, accounts::create_user))
        .routes(routes!(accounts::get_user))
        .routes(routes!(accounts::set_role))
        .routes(routes!(accounts::set_disabled))
        .routes(routes!(accounts::set_password))
        .routes(routes!(accounts::list_user_tokens))
        .routes(routes!(accounts::revoke_user_token))
}

pub async fn ready(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    state.store.db().ping().await.map_err(homeward_store::StoreError::from)?;
    Ok("ready")
}
