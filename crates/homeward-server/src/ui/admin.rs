//! Account administration pages (`/admin/…`): the accounts, a person's
//! page with its forms (role and team, disable or enable, a temporary
//! password, API tokens), adding a person, the agencies and adding one.
//! Thin pages over [`crate::service::accounts`], where the policy's
//! administration grants decide and the audit entry names the account.
//! Every form shows all its problems at once and writes nothing on error;
//! what was done is said in a banner on the page the browser is sent to.

use super::view::{local, segment, words};
use super::{Submitted, Viewer, Who, error_page, page, see_other};
use crate::AppState;
use crate::error::ApiError;
use crate::service::accounts::{self, AccountError, AgencyOut, Choices, NewAgencyIn, NewPersonIn, PersonOut, Problem, kind_name};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use std::collections::HashMap;

/// The administration pages' routes.
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/admin/accounts", get(accounts_page))
        .route("/admin/accounts/new", get(new_person_form).post(create_person))
        .route("/admin/accounts/{id}", get(person_page))
        .route("/admin/accounts/{id}/role", post(change_role))
        .route("/admin/accounts/{id}/password", post(reset_password))
        .route("/admin/accounts/{id}/disable", get(disable_form).post(disable))
        .route("/admin/accounts/{id}/enable", post(enable))
        .route("/admin/accounts/{id}/tokens/{token}/revoke", post(revoke_token))
        .route("/admin/agencies", get(agencies_page))
        .route("/admin/agencies/new", get(new_agency_form).post(create_agency))
}

/// What was just done, said in a banner after the redirect (fixed words:
/// nothing from the address is shown).
fn banner(done: Option<&str>) -> Option<&'static str> {
    match done? {
        "created" => Some("The account has been made. Give the person their username and temporary password, and ask them to log in."),
        "role" => Some("The role and team have been changed. They apply from the person's next page."),
        "disabled" => Some("The account is disabled. Every session of theirs has ended and their API tokens are refused."),
        "enabled" => Some("The account is enabled again. They can log in."),
        "password" => Some("The password has been reset. Every session of theirs has ended: give them the temporary password."),
        "revoked" => Some("The API token has been revoked. It no longer works."),
        "agency" => Some("The agency has been added. You can now add its people."),
        _ => None,
    }
}

/// An option of a select or a radio group.
struct Opt {
    value: String,
    label: String,
}

fn csrf(viewer: &Viewer) -> String {
    viewer.who().map(|w| w.csrf_token).unwrap_or_default()
}

/// Every problem's message as a sentence.
fn problems_of(list: Vec<Problem>) -> Vec<Problem> {
    list.into_iter().map(|p| Problem { message: super::view::sentence(&p.message), field: p.field }).collect()
}

/// A person as a row or a summary: times in UK time, names in words.
struct PersonView {
    id: String,
    username: String,
    display_name: String,
    email: String,
    agency: String,
    agency_name: String,
    agency_kind: String,
    role_name: String,
    team: String,
    disabled: bool,
    created_at: String,
    last_login: String,
    has_password: bool,
}

impl From<PersonOut> for PersonView {
    fn from(p: PersonOut) -> Self {
        PersonView {
            email: p.email.unwrap_or_default(),
            agency_kind: kind_name(&p.agency_kind),
            team: p.team.unwrap_or_default(),
            created_at: local(&p.created_at),
            last_login: p.last_login.as_deref().map(local).unwrap_or_else(|| "Never".to_string()),
            id: p.id,
            username: p.username,
            display_name: p.display_name,
            agency: p.agency,
            agency_name: p.agency_name,
            role_name: p.role_name,
            disabled: p.disabled,
            has_password: p.has_password,
        }
    }
}

// ------------------------------------------------------------ accounts

#[derive(Template)]
#[template(path = "admin/accounts.html")]
struct AccountsPage {
    who: Option<Who>,
    banner: Option<&'static str>,
    agencies: Vec<Opt>,
    /// The agency shown ("" for all).
    current: String,
    current_name: String,
    people: Vec<PersonView>,
}

#[derive(Deserialize, Default)]
pub struct AccountsQuery {
    agency: Option<String>,
    done: Option<String>,
}

/// Every account the viewer administers, or one agency's.
pub async fn accounts_page(State(state): State<AppState>, viewer: Viewer, Query(q): Query<AccountsQuery>) -> Response {
    let who = viewer.who();
    let current = q.agency.map(|a| a.trim().to_string()).unwrap_or_default();
    let choices = match accounts::choices(&state, &viewer.0).await {
        Ok(c) => c,
        Err(e) => return error_page(e, who),
    };
    let filter = Some(current.as_str()).filter(|a| !a.is_empty());
    match accounts::people(&state, &viewer.0, filter).await {
        Ok(people) => {
            let current_name = choices.agencies.iter().find(|a| a.id == current).map(|a| a.name.clone()).unwrap_or_default();
            let agencies = choices.agencies.into_iter().map(|a| Opt { value: a.id, label: a.name }).collect();
            let people = people.into_iter().map(PersonView::from).collect();
            page(&AccountsPage { who, banner: banner(q.done.as_deref()), agencies, current, current_name, people }, StatusCode::OK)
        }
        Err(e) => error_page(e, who),
    }
}

// ------------------------------------------------------------ a person

struct TokenView {
    id: String,
    name: String,
    scopes: String,
    created_at: String,
    expires_at: String,
    last_used_at: String,
    revoked_at: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/person.html")]
struct PersonPage {
    who: Option<Who>,
    csrf_token: String,
    banner: Option<&'static str>,
    person: PersonView,
    /// The roles of the person's agency's kind.
    roles: Vec<Opt>,
    tokens: Vec<TokenView>,
    /// The viewer is looking at their own account.
    is_self: bool,
    values: HashMap<String, String>,
    problems: Vec<Problem>,
}

impl PersonPage {
    fn value(&self, name: &str) -> &str {
        self.values.get(name).map(String::as_str).unwrap_or("")
    }

    fn problem(&self, field: &str) -> Option<&str> {
        self.problems.iter().find(|p| p.field == field).map(|p| p.message.as_str())
    }
}

fn roles_for(choices: &Choices, kind: &str) -> Vec<Opt> {
    choices.roles.iter().filter(|r| r.agencies.iter().any(|a| a == kind)).map(|r| Opt { value: r.id.clone(), label: r.name.clone() }).collect()
}

#[derive(Deserialize, Default)]
pub struct DoneQuery {
    done: Option<String>,
}

/// The person's page, with the problems of a form just sent (none: as it is).
async fn person_view(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    done: Option<&str>,
    values: HashMap<String, String>,
    problems: Vec<Problem>,
) -> Result<PersonPage, ApiError> {
    let person = accounts::person(state, &viewer.0, id).await?;
    let choices = accounts::choices(state, &viewer.0).await?;
    let tokens = accounts::tokens(state, &viewer.0, id)
        .await?
        .into_iter()
        .map(|t| TokenView {
            id: t.id,
            name: t.name,
            scopes: t.scopes.join(", "),
            created_at: local(&t.created_at),
            expires_at: t.expires_at.as_deref().map(local).unwrap_or_else(|| "When revoked".to_string()),
            last_used_at: t.last_used_at.as_deref().map(local).unwrap_or_else(|| "Never".to_string()),
            revoked_at: t.revoked_at.as_deref().map(local),
        })
        .collect();
    let mut values = values;
    values.entry("role".into()).or_insert_with(|| person.role.clone());
    values.entry("team".into()).or_insert_with(|| person.team.clone().unwrap_or_default());
    let roles = roles_for(&choices, &person.agency_kind);
    let is_self = person.id == viewer.0.identity.user.id;
    Ok(PersonPage { who: viewer.who(), csrf_token: csrf(viewer), banner: banner(done), person: person.into(), roles, tokens, is_self, values, problems })
}

pub async fn person_page(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>, Query(q): Query<DoneQuery>) -> Response {
    match person_view(&state, &viewer, &id, q.done.as_deref(), HashMap::new(), Vec::new()).await {
        Ok(p) => page(&p, StatusCode::OK),
        Err(e) => error_page(e, viewer.who()),
    }
}

/// After a form on the person's page: back to it with a banner, or the page
/// again with every problem.
async fn answer(state: &AppState, viewer: &Viewer, id: &str, result: Result<(), AccountError>, done: &str, values: HashMap<String, String>) -> Response {
    match result {
        Ok(()) => see_other(&format!("/admin/accounts/{}?done={done}", segment(id))),
        Err(AccountError::Problems(list)) => match person_view(state, viewer, id, None, values, problems_of(list)).await {
            Ok(p) => page(&p, StatusCode::UNPROCESSABLE_ENTITY),
            Err(e) => error_page(e, viewer.who()),
        },
        Err(AccountError::Refused(e)) => error_page(e, viewer.who()),
    }
}

fn field(form: &HashMap<String, String>, name: &str) -> String {
    form.get(name).map(|v| v.trim().to_string()).unwrap_or_default()
}

pub async fn change_role(State(state): State<AppState>, Path(id): Path<String>, submitted: Submitted<HashMap<String, String>>) -> Response {
    let Submitted { viewer, form } = submitted;
    let team = field(&form, "team");
    let result = accounts::change_role(&state, &viewer.0, &id, &field(&form, "role"), Some(team.as_str())).await;
    let values = [("role", field(&form, "role")), ("team", team)].into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    answer(&state, &viewer, &id, result, "role", values).await
}

pub async fn reset_password(State(state): State<AppState>, Path(id): Path<String>, submitted: Submitted<HashMap<String, String>>) -> Response {
    let Submitted { viewer, form } = submitted;
    // The password as typed (spaces are part of it); never shown again.
    let password = form.get("password").cloned().unwrap_or_default();
    let result = accounts::reset_password(&state, &viewer.0, &id, password).await;
    answer(&state, &viewer, &id, result, "password", HashMap::new()).await
}

pub async fn enable(State(state): State<AppState>, Path(id): Path<String>, submitted: Submitted<HashMap<String, String>>) -> Response {
    let viewer = submitted.viewer;
    let result = accounts::set_disabled(&state, &viewer.0, &id, false).await;
    answer(&state, &viewer, &id, result, "enabled", HashMap::new()).await
}

pub async fn revoke_token(State(state): State<AppState>, Path((id, token)): Path<(String, String)>, submitted: Submitted<HashMap<String, String>>) -> Response {
    let viewer = submitted.viewer;
    match accounts::revoke_token(&state, &viewer.0, &id, &token).await {
        Ok(()) => see_other(&format!("/admin/accounts/{}?done=revoked#tokens", segment(&id))),
        Err(e) => error_page(e, viewer.who()),
    }
}

// ------------------------------------------------------------ disabling

#[derive(Template)]
#[template(path = "admin/disable.html")]
struct DisablePage {
    who: Option<Who>,
    csrf_token: String,
    person: PersonView,
    is_self: bool,
    problems: Vec<Problem>,
}

async fn disable_view(state: &AppState, viewer: &Viewer, id: &str, problems: Vec<Problem>) -> Result<DisablePage, ApiError> {
    let person = accounts::person(state, &viewer.0, id).await?;
    let is_self = person.id == viewer.0.identity.user.id;
    Ok(DisablePage { who: viewer.who(), csrf_token: csrf(viewer), person: person.into(), is_self, problems })
}

/// "Are you sure?": what disabling does, and the button that does it.
pub async fn disable_form(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> Response {
    match disable_view(&state, &viewer, &id, Vec::new()).await {
        Ok(p) => page(&p, StatusCode::OK),
        Err(e) => error_page(e, viewer.who()),
    }
}

pub async fn disable(State(state): State<AppState>, Path(id): Path<String>, submitted: Submitted<HashMap<String, String>>) -> Response {
    let viewer = submitted.viewer;
    match accounts::set_disabled(&state, &viewer.0, &id, true).await {
        Ok(()) => see_other(&format!("/admin/accounts/{}?done=disabled", segment(&id))),
        Err(AccountError::Problems(list)) => match disable_view(&state, &viewer, &id, problems_of(list)).await {
            Ok(p) => page(&p, StatusCode::UNPROCESSABLE_ENTITY),
            Err(e) => error_page(e, viewer.who()),
        },
        Err(AccountError::Refused(e)) => error_page(e, viewer.who()),
    }
}

// ------------------------------------------------------------ adding a person

#[derive(Template)]
#[template(path = "admin/new_person.html")]
struct NewPersonPage {
    who: Option<Who>,
    csrf_token: String,
    agencies: Vec<Opt>,
    /// Each role, with the kinds of agency that have it.
    roles: Vec<Opt>,
    values: HashMap<String, String>,
    problems: Vec<Problem>,
}

impl NewPersonPage {
    fn value(&self, name: &str) -> &str {
        self.values.get(name).map(String::as_str).unwrap_or("")
    }

    fn problem(&self, field: &str) -> Option<&str> {
        self.problems.iter().find(|p| p.field == field).map(|p| p.message.as_str())
    }
}

fn new_person_page(viewer: &Viewer, choices: Choices, values: HashMap<String, String>, problems: Vec<Problem>, status: StatusCode) -> Response {
    let kinds: Vec<&str> = choices.agencies.iter().map(|a| a.kind.as_str()).collect();
    let roles = choices
        .roles
        .iter()
        .filter(|r| r.agencies.iter().any(|a| kinds.contains(&a.as_str())))
        .map(|r| {
            let of: Vec<String> = r.agencies.iter().filter(|a| kinds.contains(&a.as_str())).map(|a| kind_name(a)).collect();
            Opt { value: r.id.clone(), label: format!("{} ({})", r.name, of.join(", ")) }
        })
        .collect();
    let agencies = choices.agencies.iter().map(|a| Opt { value: a.id.clone(), label: format!("{} ({})", a.name, kind_name(&a.kind)) }).collect();
    page(&NewPersonPage { who: viewer.who(), csrf_token: csrf(viewer), agencies, roles, values, problems }, status)
}

#[derive(Deserialize, Default)]
pub struct NewPersonQuery {
    agency: Option<String>,
}

pub async fn new_person_form(State(state): State<AppState>, viewer: Viewer, Query(q): Query<NewPersonQuery>) -> Response {
    viewer.0.audit.set_record("user", "new");
    match accounts::choices(&state, &viewer.0).await {
        Ok(choices) => {
            let values = q.agency.into_iter().map(|a| ("agency".to_string(), a)).collect();
            new_person_page(&viewer, choices, values, Vec::new(), StatusCode::OK)
        }
        Err(e) => error_page(e, viewer.who()),
    }
}

pub async fn create_person(State(state): State<AppState>, submitted: Submitted<HashMap<String, String>>) -> Response {
    let Submitted { viewer, mut form } = submitted;
    let optional = |v: String| Some(v).filter(|v| !v.is_empty());
    let new = NewPersonIn {
        username: field(&form, "username"),
        display_name: field(&form, "display_name"),
        email: optional(field(&form, "email")),
        agency: field(&form, "agency"),
        role: field(&form, "role"),
        team: optional(field(&form, "team")),
        password: form.get("password").cloned().filter(|p| !p.is_empty()),
    };
    // A password is never sent back to the browser.
    form.remove("password");
    form.remove("csrf_token");
    match accounts::create_person(&state, &viewer.0, new).await {
        Ok(person) => see_other(&format!("/admin/accounts/{}?done=created", segment(&person.id))),
        Err(AccountError::Problems(list)) => match accounts::choices(&state, &viewer.0).await {
            Ok(choices) => new_person_page(&viewer, choices, form, problems_of(list), StatusCode::UNPROCESSABLE_ENTITY),
            Err(e) => error_page(e, viewer.who()),
        },
        Err(AccountError::Refused(e)) => error_page(e, viewer.who()),
    }
}

// ------------------------------------------------------------ agencies

struct AgencyView {
    id: String,
    name: String,
    kind: String,
    authorities: String,
    people: usize,
}

impl From<AgencyOut> for AgencyView {
    fn from(a: AgencyOut) -> Self {
        let authorities = if a.authorities.is_empty() { "None".to_string() } else { a.authorities.iter().map(|x| words(x)).collect::<Vec<_>>().join(", ") };
        AgencyView { id: a.id, name: a.name, kind: super::view::sentence(&kind_name(&a.kind)), authorities, people: a.people }
    }
}

#[derive(Template)]
#[template(path = "admin/agencies.html")]
struct AgenciesPage {
    who: Option<Who>,
    banner: Option<&'static str>,
    agencies: Vec<AgencyView>,
    adds_agencies: bool,
}

pub async fn agencies_page(State(state): State<AppState>, viewer: Viewer, Query(q): Query<DoneQuery>) -> Response {
    let who = viewer.who();
    let adds_agencies = match accounts::choices(&state, &viewer.0).await {
        Ok(c) => c.adds_agencies,
        Err(e) => return error_page(e, who),
    };
    match accounts::agencies(&state, &viewer.0).await {
        Ok(list) => page(
            &AgenciesPage { who, banner: banner(q.done.as_deref()), agencies: list.into_iter().map(AgencyView::from).collect(), adds_agencies },
            StatusCode::OK,
        ),
        Err(e) => error_page(e, who),
    }
}

#[derive(Template)]
#[template(path = "admin/new_agency.html")]
struct NewAgencyPage {
    who: Option<Who>,
    csrf_token: String,
    kinds: Vec<Opt>,
    values: HashMap<String, String>,
    problems: Vec<Problem>,
}

impl NewAgencyPage {
    fn value(&self, name: &str) -> &str {
        self.values.get(name).map(String::as_str).unwrap_or("")
    }

    fn problem(&self, field: &str) -> Option<&str> {
        self.problems.iter().find(|p| p.field == field).map(|p| p.message.as_str())
    }
}

fn new_agency_page(viewer: &Viewer, choices: Choices, values: HashMap<String, String>, problems: Vec<Problem>, status: StatusCode) -> Response {
    let kinds = choices.kinds.iter().map(|k| Opt { value: k.clone(), label: super::view::sentence(&kind_name(k)) }).collect();
    page(&NewAgencyPage { who: viewer.who(), csrf_token: csrf(viewer), kinds, values, problems }, status)
}

pub async fn new_agency_form(State(state): State<AppState>, viewer: Viewer) -> Response {
    viewer.0.audit.set_record("agency", "new");
    let ready = async {
        accounts::may_add_agencies(&state, &viewer.0)?;
        accounts::choices(&state, &viewer.0).await
    };
    match ready.await {
        Ok(choices) => new_agency_page(&viewer, choices, HashMap::new(), Vec::new(), StatusCode::OK),
        Err(e) => error_page(e, viewer.who()),
    }
}

pub async fn create_agency(State(state): State<AppState>, submitted: Submitted<HashMap<String, String>>) -> Response {
    let Submitted { viewer, mut form } = submitted;
    form.remove("csrf_token");
    // One authority per line, or separated by commas or spaces.
    let authorities = field(&form, "authorities").split(|c: char| c == ',' || c.is_whitespace()).filter(|a| !a.is_empty()).map(str::to_string).collect();
    let new = NewAgencyIn { id: field(&form, "id"), name: field(&form, "name"), kind: field(&form, "kind"), authorities };
    match accounts::create_agency(&state, &viewer.0, new).await {
        Ok(_) => see_other("/admin/agencies?done=agency"),
        Err(AccountError::Problems(list)) => match accounts::choices(&state, &viewer.0).await {
            Ok(choices) => new_agency_page(&viewer, choices, form, problems_of(list), StatusCode::UNPROCESSABLE_ENTITY),
            Err(e) => error_page(e, viewer.who()),
        },
        Err(AccountError::Refused(e)) => error_page(e, viewer.who()),
    }
}
