//! Account administration: agencies, the people in them, their roles,
//! passwords and API tokens. Who may do it, and for which agencies, is the
//! policy's `[[administration]]` grants: a partnership's administrator
//! administers every agency (and adds agencies), a force's or a council's
//! only its own. Every decision names its grant in the audit entry, and
//! every operation's entry names the account (or agency) acted on.
//!
//! Input is checked completely before anything is written: every problem is
//! returned at once, each naming its field ([`AccountError::Problems`]).
//! Where two rows change (disabling ends the person's sessions; a new
//! password ends them too), they change in one transaction.

use crate::AppState;
use crate::access::policy_at;
use crate::auth::password::{MIN_LENGTH, PasswordError};
use crate::auth::{Caller, Via, principal_of};
use crate::error::ApiError;
use crate::http::shapes::TokenOut;
use crate::http::time;
use axum::http::StatusCode;
use homeward_access::{DEFAULT_DENY, Decision, Policy, Principal};
use homeward_store::{Agency, Identity, NewAgency, NewUser, StoreError, User};
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;

/// What an administration decision is about, in the audit entry's fields.
pub const CLASS: &str = "accounts";

/// Longest display name, team, agency name (characters).
const MAX_TEXT: usize = 100;
/// Longest agency id.
const MAX_ID: usize = 64;
/// Longest email address (RFC 5321's path limit).
const MAX_EMAIL: usize = 254;
/// Longest password accepted (a passphrase, not a file).
const MAX_PASSWORD: usize = 200;

/// One problem with the input: the field and what is wrong, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: String,
    pub message: String,
}

fn problem(field: &str, message: impl Into<String>) -> Problem {
    Problem { field: field.to_string(), message: message.into() }
}

/// Why an operation did nothing: problems with the input (every one), or
/// a refusal or failure.
#[derive(Debug)]
pub enum AccountError {
    Problems(Vec<Problem>),
    Refused(ApiError),
}

impl From<ApiError> for AccountError {
    fn from(e: ApiError) -> Self {
        AccountError::Refused(e)
    }
}

impl From<StoreError> for AccountError {
    fn from(e: StoreError) -> Self {
        AccountError::Refused(e.into())
    }
}

/// For the JSON API: the first problem, naming its field.
impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::Refused(e) => e,
            AccountError::Problems(list) => match list.into_iter().next() {
                Some(p) => ApiError::invalid(&p.field, format!("{}: {}", p.field, p.message)),
                None => ApiError::invalid("", "the input was refused"),
            },
        }
    }
}

/// An agency, as administrators see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgencyOut {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub authorities: Vec<String>,
    /// How many accounts it has.
    pub people: usize,
}

/// A person's account (never its password).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PersonOut {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub agency: String,
    pub agency_name: String,
    pub agency_kind: String,
    pub role: String,
    /// The role by the policy's name for it.
    pub role_name: String,
    pub team: Option<String>,
    pub disabled: bool,
    pub created_at: String,
    /// When they last logged in (started a session), if ever.
    pub last_login: Option<String>,
    /// Whether a password is set (else only single sign-on or API tokens).
    pub has_password: bool,
}

/// A role a person may be given.
#[derive(Debug, Clone)]
pub struct RoleOption {
    pub id: String,
    pub name: String,
    /// The agency kinds that have it.
    pub agencies: Vec<String>,
}

/// What the forms offer: the agencies the caller administers, the roles of
/// the policy, the agency kinds, and whether the caller adds agencies.
#[derive(Debug, Clone)]
pub struct Choices {
    pub agencies: Vec<AgencyOut>,
    pub roles: Vec<RoleOption>,
    pub kinds: Vec<String>,
    pub adds_agencies: bool,
}

/// A new agency, as given.
#[derive(Debug, Clone, Default)]
pub struct NewAgencyIn {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub authorities: Vec<String>,
}

/// A new person, as given.
#[derive(Debug, Clone, Default)]
pub struct NewPersonIn {
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub agency: String,
    pub role: String,
    pub team: Option<String>,
    /// A temporary password; none: they log in through single sign-on only.
    pub password: Option<String>,
}

// ------------------------------------------------------------ decisions

fn policy(state: &AppState) -> &Policy {
    policy_at(state, state.clock.now())
}

fn note(caller: &Caller, decision: &Decision) {
    if decision.allowed {
        caller.audit.add_class(CLASS, &decision.rule);
    } else {
        caller.audit.refused(CLASS, &decision.rule);
    }
}

fn forbidden(decision: &Decision) -> ApiError {
    let mut e = ApiError::new(StatusCode::FORBIDDEN, "forbidden", format!("you may not administer accounts: {}", decision.reason), None);
    e.body.rule = Some(decision.rule.clone());
    e
}

/// Whether the policy in force lets the caller administer accounts at all
/// (no audit: for showing the link to the pages).
pub fn administers(state: &AppState, caller: &Caller) -> bool {
    policy(state).administration(&caller.principal).is_some()
}

/// Refuses an API token: administering accounts (which can hand out a
/// password, and so a session) needs a person logged in.
fn require_person(caller: &Caller) -> Result<(), ApiError> {
    if matches!(caller.via, Via::Token { .. }) {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden", "an API token cannot administer accounts; log in", None));
    }
    Ok(())
}

/// Refuses (403, naming the rule) anyone the policy does not let administer.
fn require_administrator(state: &AppState, caller: &Caller) -> Result<Decision, ApiError> {
    require_person(caller)?;
    let decision = policy(state).decide_administration(&caller.principal);
    note(caller, &decision);
    if decision.allowed { Ok(decision) } else { Err(forbidden(&decision)) }
}

/// Refuses (403, naming the rule) anyone the policy does not let
/// administer accounts at all (before an API body is read).
pub fn may_administer(state: &AppState, caller: &Caller) -> Result<Decision, ApiError> {
    require_administrator(state, caller)
}

/// Whether the caller administers the accounts of `agency_id`, noted in
/// the audit entry either way.
fn reaches(state: &AppState, caller: &Caller, agency_id: &str) -> bool {
    let decision = policy(state).decide_administration_of(&caller.principal, agency_id);
    note(caller, &decision);
    decision.allowed
}

/// The account `id`, when the caller administers its agency. An account of
/// an agency they do not administer is answered as one that does not exist.
async fn account(state: &AppState, caller: &Caller, id: &str) -> Result<Identity, ApiError> {
    caller.audit.set_record("user", id);
    require_administrator(state, caller)?;
    let Some(identity) = state.store.identity_by_id(id).await? else {
        caller.audit.refused(CLASS, DEFAULT_DENY);
        return Err(ApiError::not_found("user"));
    };
    if !reaches(state, caller, &identity.agency.id) {
        return Err(ApiError::not_found("user"));
    }
    Ok(identity)
}

/// The agencies whose accounts the caller administers.
async fn agencies_reached(state: &AppState, caller: &Caller) -> Result<Vec<Agency>, ApiError> {
    let policy = policy(state);
    let all = state.store.agencies().await?;
    Ok(all.into_iter().filter(|a| policy.decide_administration_of(&caller.principal, &a.id).allowed).collect())
}

// ------------------------------------------------------------ shapes

/// A role or kind id in words, "police_mpc" as "Police mpc" (for a role
/// the policy no longer names).
fn words(code: &str) -> String {
    let text = code.replace('_', " ");
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// A kind of agency in words, lower case: "children's services".
pub fn kind_name(kind: &str) -> String {
    match kind {
        "childrens_services" => "children's services".to_string(),
        "return_interview_service" => "return-interview service".to_string(),
        other => other.replace('_', " "),
    }
}

fn role_name(policy: &Policy, role: &str) -> String {
    policy.role(role).map(|r| r.name.clone()).unwrap_or_else(|| words(role))
}

fn person_out(policy: &Policy, user: User, agency: &Agency, last_login: Option<i64>) -> PersonOut {
    PersonOut {
        role_name: role_name(policy, &user.role),
        agency: agency.id.clone(),
        agency_name: agency.name.clone(),
        agency_kind: agency.kind.clone(),
        disabled: user.disabled != 0,
        created_at: time(user.created_at),
        last_login: last_login.map(time),
        has_password: user.password_hash.is_some(),
        id: user.id,
        username: user.username,
        display_name: user.display_name,
        email: user.email,
        role: user.role,
        team: user.team,
    }
}

fn agency_out(agency: Agency, people: usize) -> AgencyOut {
    AgencyOut { authorities: agency.authority_list(), id: agency.id, name: agency.name, kind: agency.kind, people }
}

// ------------------------------------------------------------ agencies

/// The agencies the caller administers, each with how many accounts it has.
pub async fn agencies(state: &AppState, caller: &Caller) -> Result<Vec<AgencyOut>, ApiError> {
    caller.audit.set_record("agencies", "all");
    require_administrator(state, caller)?;
    let reached = agencies_reached(state, caller).await?;
    let users = state.store.users().await?;
    Ok(reached
        .into_iter()
        .map(|a| {
            let people = users.iter().filter(|u| u.agency_id == a.id).count();
            agency_out(a, people)
        })
        .collect())
}

/// What the forms offer the caller (see [`Choices`]).
pub async fn choices(state: &AppState, caller: &Caller) -> Result<Choices, ApiError> {
    require_administrator(state, caller)?;
    let policy = policy(state);
    let agencies = agencies_reached(state, caller).await?.into_iter().map(|a| agency_out(a, 0)).collect();
    let roles = policy.roles.iter().map(|r| RoleOption { id: r.id.clone(), name: r.name.clone(), agencies: r.agencies.clone() }).collect();
    let kinds = policy.agency_kinds().into_iter().map(str::to_string).collect();
    let adds_agencies = policy.decide_adding_agencies(&caller.principal).allowed;
    Ok(Choices { agencies, roles, kinds, adds_agencies })
}

/// Refuses (403, naming the rule) anyone the policy does not let add
/// agencies (only an `all_agencies` grant does).
pub fn may_add_agencies(state: &AppState, caller: &Caller) -> Result<Decision, ApiError> {
    require_person(caller)?;
    let decision = policy(state).decide_adding_agencies(&caller.principal);
    note(caller, &decision);
    if decision.allowed { Ok(decision) } else { Err(forbidden(&decision)) }
}

/// Adds an agency (only an `all_agencies` grant allows it).
pub async fn create_agency(state: &AppState, caller: &Caller, new: NewAgencyIn) -> Result<AgencyOut, AccountError> {
    let id = new.id.trim().to_string();
    // The id as given only when it is one (the audit keeps no junk).
    let well_formed = homeward_core::vocab::check_id(&id, "agency id").is_ok() && id.len() <= MAX_ID;
    caller.audit.set_record("agency", if well_formed { &id } else { "new" });
    may_add_agencies(state, caller)?;
    let policy = policy(state);
    // In the order the form asks.
    let mut problems = Vec::new();
    let name = new.name.trim().to_string();
    if name.is_empty() {
        problems.push(problem("name", "Enter the agency's name"));
    } else if let Err(m) = homeward_core::text::one_line(&name, MAX_TEXT) {
        problems.push(problem("name", format!("The name {m}")));
    }
    if id.is_empty() {
        problems.push(problem("id", "Enter a short id for the agency, for example bolton-childrens-services"));
    } else if let Err(m) = homeward_core::vocab::check_id(&id, "agency id") {
        problems.push(problem("id", m));
    } else if id.len() > MAX_ID {
        problems.push(problem("id", format!("The id must be at most {MAX_ID} characters")));
    } else if state.store.agency(&id).await?.is_some() {
        problems.push(problem("id", format!("There is already an agency '{id}': choose another id")));
    }
    let kinds = policy.agency_kinds();
    if new.kind.is_empty() {
        problems.push(problem("kind", "Choose what kind of agency it is"));
    } else if !kinds.contains(&new.kind.as_str()) {
        problems.push(problem("kind", format!("'{}' is not a kind of agency the policy has roles for ({})", new.kind, kinds.join(", "))));
    }
    let mut authorities: Vec<String> = Vec::new();
    for a in &new.authorities {
        let a = a.trim().to_lowercase();
        if a.is_empty() {
            continue;
        }
        if !state.store.registry().knows_authority(&a) {
            problems.push(problem("authorities", format!("'{a}' is not an authority of England or Wales (write it as the protocols do, for example bolton)")));
        } else if authorities.contains(&a) {
            problems.push(problem("authorities", format!("'{a}' is listed twice")));
        } else {
            authorities.push(a);
        }
    }
    if !problems.is_empty() {
        return Err(AccountError::Problems(problems));
    }
    let agency = match state.store.create_agency(&NewAgency { id: id.clone(), name, kind: new.kind, authorities }, state.clock.now().as_second()).await {
        Ok(a) => a,
        Err(StoreError::Conflict(_)) => {
            return Err(AccountError::Problems(vec![problem("id", format!("There is already an agency '{id}': choose another id"))]));
        }
        Err(e) => return Err(e.into()),
    };
    Ok(agency_out(agency, 0))
}

// ------------------------------------------------------------ people

/// The accounts the caller administers, of one agency or of all of them,
/// by username. An agency they do not administer is answered as unknown.
pub async fn people(state: &AppState, caller: &Caller, agency: Option<&str>) -> Result<Vec<PersonOut>, ApiError> {
    caller.audit.set_record("users", agency.unwrap_or("all"));
    require_administrator(state, caller)?;
    let reached = agencies_reached(state, caller).await?;
    if agency.is_some_and(|wanted| !reached.iter().any(|a| a.id == wanted)) {
        caller.audit.refused(CLASS, DEFAULT_DENY);
        return Err(ApiError::not_found("agency"));
    }
    let policy = policy(state);
    let last: HashMap<String, i64> = state.store.last_logins().await?.into_iter().collect();
    let by_id: HashMap<&str, &Agency> = reached.iter().map(|a| (a.id.as_str(), a)).collect();
    let users = state.store.users().await?;
    Ok(users
        .into_iter()
        .filter(|u| agency.is_none_or(|a| u.agency_id == a))
        .filter_map(|u| {
            let a = by_id.get(u.agency_id.as_str())?;
            let login = last.get(&u.id).copied();
            Some(person_out(policy, u, a, login))
        })
        .collect())
}

/// One account the caller administers.
pub async fn person(state: &AppState, caller: &Caller, id: &str) -> Result<PersonOut, ApiError> {
    let identity = account(state, caller, id).await?;
    let last = state.store.last_logins().await?.into_iter().find(|(u, _)| u == id).map(|(_, t)| t);
    Ok(person_out(policy(state), identity.user, &identity.agency, last))
}

fn check_username(username: &str) -> Option<String> {
    if username.is_empty() {
        return Some("Enter a username, for example sam.smith".into());
    }
    if username.chars().count() > MAX_TEXT {
        return Some(format!("The username must be at most {MAX_TEXT} characters"));
    }
    if !username.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-' | '@')) {
        return Some("The username may use only letters, digits and . _ - @ (no spaces)".into());
    }
    None
}

fn check_email(email: &str) -> Option<String> {
    let parts: Vec<&str> = email.split('@').collect();
    let shaped = parts.len() == 2 && !parts[0].is_empty() && parts[1].contains('.') && !parts[1].starts_with('.') && !parts[1].ends_with('.');
    if email.chars().count() > MAX_EMAIL || email.chars().any(|c| c.is_whitespace() || c.is_control()) || !shaped {
        return Some("Enter an email address like name@example.org, or leave it blank".into());
    }
    None
}

fn check_password(password: &str) -> Option<String> {
    let n = password.chars().count();
    if n < MIN_LENGTH {
        return Some(format!("The password must be at least {MIN_LENGTH} characters"));
    }
    if n > MAX_PASSWORD {
        return Some(format!("The password must be at most {MAX_PASSWORD} characters"));
    }
    if password.trim().is_empty() {
        return Some("The password must not be only spaces".into());
    }
    None
}

/// A team: optional, one line.
fn check_team(team: Option<&str>, problems: &mut Vec<Problem>) -> Option<String> {
    let team = team.map(str::trim).filter(|t| !t.is_empty())?;
    if let Err(m) = homeward_core::text::one_line(team, MAX_TEXT) {
        problems.push(problem("team", format!("The team {m}")));
    }
    Some(team.to_string())
}

/// Whether `role` may be held in an agency of kind `kind`, as a problem
/// with the field `role` if not.
fn check_role(policy: &Policy, role: &str, kind: &str) -> Option<Problem> {
    if role.is_empty() {
        return Some(problem("role", "Choose the person's role"));
    }
    let allowed: Vec<String> = policy.roles_for(kind).iter().map(|r| r.name.clone()).collect();
    match policy.role(role) {
        None => Some(problem("role", format!("'{role}' is not a role of the access policy"))),
        Some(r) if !r.agencies.iter().any(|a| a == kind) => Some(problem(
            "role",
            format!(
                "{} is not a role of a {} agency (its roles: {})",
                r.name,
                kind_name(kind),
                if allowed.is_empty() { "none".to_string() } else { allowed.join(", ") }
            ),
        )),
        Some(_) => None,
    }
}

async fn hash(state: &AppState, password: String) -> Result<String, AccountError> {
    state.auth.hashing.hash(password).await.map_err(|e| match e {
        PasswordError::TooShort => AccountError::Problems(vec![problem("password", format!("The password must be at least {MIN_LENGTH} characters"))]),
        PasswordError::Hash(m) => AccountError::Refused(ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", m, None)),
    })
}

/// Adds a person to an agency the caller administers, with a role of that
/// agency's kind and, if given, a temporary password.
pub async fn create_person(state: &AppState, caller: &Caller, new: NewPersonIn) -> Result<PersonOut, AccountError> {
    let username = new.username.trim().to_lowercase();
    caller.audit.set_record("user", &if check_username(&username).is_none() { format!("username:{username}") } else { "new".to_string() });
    require_administrator(state, caller)?;
    let policy = policy(state);
    let mut problems = Vec::new();
    // In the order the form asks.
    let display_name = new.display_name.trim().to_string();
    if display_name.is_empty() {
        problems.push(problem("display_name", "Enter the person's full name"));
    } else if let Err(m) = homeward_core::text::one_line(&display_name, MAX_TEXT) {
        problems.push(problem("display_name", format!("The name {m}")));
    }
    if let Some(m) = check_username(&username) {
        problems.push(problem("username", m));
    } else if state.store.identity_by_username(&username).await?.is_some() {
        problems.push(problem("username", format!("The username '{username}' is taken: choose another")));
    }
    let email = new.email.as_deref().map(str::trim).filter(|e| !e.is_empty()).map(str::to_string);
    if let Some(m) = email.as_deref().and_then(check_email) {
        problems.push(problem("email", m));
    }
    let agency = match new.agency.trim() {
        "" => {
            problems.push(problem("agency", "Choose the person's agency"));
            None
        }
        id => match state.store.agency(id).await? {
            Some(a) if reaches(state, caller, &a.id) => Some(a),
            _ => {
                problems.push(problem("agency", "Choose one of the agencies you administer"));
                None
            }
        },
    };
    match &agency {
        Some(a) => problems.extend(check_role(policy, new.role.trim(), &a.kind)),
        None if new.role.trim().is_empty() => problems.push(problem("role", "Choose the person's role")),
        None => {}
    }
    let team = check_team(new.team.as_deref(), &mut problems);
    let password = new.password.filter(|p| !p.is_empty());
    if let Some(m) = password.as_deref().and_then(check_password) {
        problems.push(problem("password", m));
    }
    let Some(agency) = agency.filter(|_| problems.is_empty()) else {
        return Err(AccountError::Problems(problems));
    };
    let password_hash = match password {
        Some(p) => Some(hash(state, p).await?),
        None => None,
    };
    let new_user =
        NewUser { username: username.clone(), display_name, email, agency_id: agency.id.clone(), role: new.role.trim().to_string(), team, password_hash };
    let user = match state.store.create_user(&new_user, state.clock.now().as_second()).await {
        Ok(u) => u,
        Err(StoreError::Conflict(_)) => {
            return Err(AccountError::Problems(vec![problem("username", format!("The username '{username}' is taken: choose another"))]));
        }
        Err(e) => return Err(e.into()),
    };
    caller.audit.set_record("user", &user.id);
    Ok(person_out(policy, user, &agency, None))
}

/// Gives a person another role (one of their agency's kind) and team. An
/// administrator cannot take away their own administration.
pub async fn change_role(state: &AppState, caller: &Caller, id: &str, role: &str, team: Option<&str>) -> Result<(), AccountError> {
    let identity = account(state, caller, id).await?;
    let policy = policy(state);
    let role = role.trim();
    let mut problems: Vec<Problem> = check_role(policy, role, &identity.agency.kind).into_iter().collect();
    let team = check_team(team, &mut problems);
    if problems.is_empty() && identity.user.id == caller.identity.user.id {
        let after = Principal { role: role.to_string(), ..principal_of(&identity) };
        if policy.administration(&after).is_none() {
            problems.push(problem("role", "You cannot take away your own administration: ask another administrator to change your role"));
        }
    }
    if !problems.is_empty() {
        return Err(AccountError::Problems(problems));
    }
    state.store.set_role_and_team(id, role, team.as_deref()).await?;
    Ok(())
}

/// Disables a person's account (their sessions end at once, in the same
/// transaction, and their API tokens are refused), or enables it again.
/// An administrator cannot disable themself.
pub async fn set_disabled(state: &AppState, caller: &Caller, id: &str, disabled: bool) -> Result<(), AccountError> {
    account(state, caller, id).await?;
    if disabled && id == caller.identity.user.id {
        return Err(AccountError::Problems(vec![problem("user", "You cannot disable your own account: ask another administrator")]));
    }
    state.store.set_disabled(id, disabled, state.clock.now().as_second()).await?;
    Ok(())
}

/// Sets a temporary password (the password rules apply; hashed on the
/// bounded hashing pool); every session of the person ends, in the same
/// transaction.
pub async fn reset_password(state: &AppState, caller: &Caller, id: &str, password: String) -> Result<(), AccountError> {
    account(state, caller, id).await?;
    if password.is_empty() {
        return Err(AccountError::Problems(vec![problem("password", "Enter a temporary password")]));
    }
    if let Some(m) = check_password(&password) {
        return Err(AccountError::Problems(vec![problem("password", m)]));
    }
    let hash = hash(state, password).await?;
    state.store.reset_password(id, &hash, state.clock.now().as_second()).await?;
    Ok(())
}

/// A person's API tokens (never the tokens themselves), revoked ones included.
pub async fn tokens(state: &AppState, caller: &Caller, id: &str) -> Result<Vec<TokenOut>, ApiError> {
    account(state, caller, id).await?;
    let rows = state.store.tokens_of(id).await?;
    Ok(rows.into_iter().map(|t| TokenOut::from_row(t, None)).collect())
}

/// Revokes one of a person's API tokens; it stops working at once.
pub async fn revoke_token(state: &AppState, caller: &Caller, id: &str, token: &str) -> Result<(), ApiError> {
    account(state, caller, id).await?;
    state.store.revoke_token(token, id, state.clock.now().as_second()).await?;
    Ok(())
}
