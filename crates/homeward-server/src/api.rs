//! The JSON API under `/api/v1`. Routes and the OpenAPI document come from
//! the same list (`router`), so they cannot drift.

use crate::access::{authorize, may_read, policy_at, visibility};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::AppState;
use homeward_access::{Action, classify};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use homeward_store::{Child, ChildFilter, DutyFilter, DutyRecord, EpisodeRow, EventRecord, MissingChild, NewChild, RecordOptions};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

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
        .routes(routes!(list_children, create_child))
        .routes(routes!(match_children))
        .routes(routes!(get_child))
        .routes(routes!(child_timeline))
        .routes(routes!(record_event))
        .routes(routes!(list_duties))
        .routes(routes!(currently_missing))
        .routes(routes!(import_police_list))
        .routes(routes!(import_placement_notice))
        .routes(routes!(list_notifications))
        .routes(routes!(get_notification))
        .routes(routes!(acknowledge_notification))
        .routes(routes!(notification_calendar))
        .routes(routes!(crate::auth::routes::login, crate::auth::routes::whoami, crate::auth::routes::logout))
        .routes(routes!(crate::auth::routes::create_token, crate::auth::routes::list_tokens))
        .routes(routes!(crate::auth::routes::revoke_token))
        .routes(routes!(list_involvements, add_involvement))
        .routes(routes!(end_involvement))
        .routes(routes!(break_glass))
        .routes(routes!(access_log))
        .routes(routes!(report_episodes))
        .routes(routes!(crate::records::list_national_alerts, crate::records::record_national_alert))
        .routes(routes!(crate::records::list_deletions))
        .routes(routes!(crate::records::list_retention_reviews))
        .routes(routes!(crate::records::decide_retention_review))
}

pub async fn ready(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    state.store.db().ping().await.map_err(homeward_store::StoreError::from)?;
    Ok("ready")
}

// ------------------------------------------------------------------ shapes

pub(crate) fn time(s: i64) -> String {
    Timestamp::from_second(s).map(|t| t.to_string()).unwrap_or_default()
}

#[derive(Serialize, ToSchema)]
pub struct ChildOut {
    pub id: String,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: String,
    pub status: String,
    pub responsible_authority: String,
    pub living_in: String,
    pub flags: Vec<String>,
    pub allocated_worker: Option<String>,
    pub team: Option<String>,
    pub photo_ref: Option<String>,
    pub created_at: String,
    pub created_by: String,
    pub created_agency: String,
    /// The current placement's address, to those allowed to see it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placement_address: Option<String>,
}

impl From<Child> for ChildOut {
    fn from(c: Child) -> Self {
        ChildOut {
            flags: c.flag_list(),
            created_at: time(c.created_at),
            id: c.id,
            given_name: c.given_name,
            family_name: c.family_name,
            date_of_birth: c.date_of_birth,
            status: c.status,
            responsible_authority: c.responsible_authority,
            living_in: c.living_in,
            allocated_worker: c.allocated_worker,
            team: c.team,
            photo_ref: c.photo_ref,
            created_by: c.created_by,
            created_agency: c.created_agency,
            placement_address: None,
        }
    }
}

/// A new child. `status`, `flags` and authority ids use the replay contract's vocabulary.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewChildIn {
    pub given_name: String,
    pub family_name: String,
    /// YYYY-MM-DD
    pub date_of_birth: String,
    /// looked_after, child_protection, child_in_need, early_help, not_known, care_leaver
    pub status: String,
    pub responsible_authority: String,
    /// Where the child lives or is placed; defaults to the responsible authority.
    pub living_in: Option<String>,
    #[serde(default)]
    pub flags: Vec<String>,
    pub allocated_worker: Option<String>,
    pub team: Option<String>,
    pub photo_ref: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DutyOut {
    pub id: String,
    pub child: String,
    pub episode: String,
    pub authority: String,
    pub protocol: String,
    pub rule: String,
    pub kind: String,
    pub what: String,
    pub by: String,
    pub to: Option<String>,
    pub triggered_at: String,
    pub due: String,
    /// done, excepted, overdue, due, upcoming; a prompt: to_consider, then
    /// done (confirmed) or dismissed (lapsed with include_closed)
    pub state: String,
    /// `protocol`: the document sets the deadline; `reading`: it does not
    /// (the protocol sets no timescale) and the deadline is Homeward's
    /// documented reading; null for a duty not evaluated since this was recorded.
    pub due_set_by: Option<String>,
    pub done_at: Option<String>,
    pub late: bool,
    pub prompt: bool,
    pub occurrence: i64,
    pub cite: String,
}

impl DutyOut {
    fn from_record(d: DutyRecord, now: Timestamp) -> Self {
        DutyOut {
            state: d.state_at(now).to_string(),
            due_set_by: d.due_set_by.clone(),
            triggered_at: time(d.triggered_at),
            due: time(d.due),
            done_at: d.done_at.map(time),
            late: d.late != 0,
            prompt: d.prompt != 0,
            id: d.id,
            child: d.child_id,
            episode: d.episode,
            authority: d.authority,
            protocol: d.protocol,
            rule: d.rule,
            kind: d.kind,
            what: d.what,
            by: d.by_role,
            to: d.to_role,
            occurrence: d.occurrence,
            cite: d.cite,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct EventOut {
    pub id: String,
    pub seq: i64,
    pub child: String,
    pub episode: Option<String>,
    #[serde(rename = "type")]
    pub event_type: String,
    pub at: String,
    /// The event as recorded, in the replay contract's shape.
    #[schema(value_type = Object)]
    pub body: Value,
    pub recorded_by: String,
    pub agency: String,
    pub recorded_at: String,
    pub supersedes: Option<String>,
}

impl From<EventRecord> for EventOut {
    fn from(e: EventRecord) -> Self {
        EventOut {
            body: serde_json::from_str(&e.body).unwrap_or(Value::Null),
            at: time(e.at),
            recorded_at: time(e.recorded_at),
            id: e.id,
            seq: e.seq,
            child: e.child_id,
            episode: e.episode,
            event_type: e.event_type,
            recorded_by: e.recorded_by,
            agency: e.agency,
            supersedes: e.supersedes,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RecordedOut {
    pub event: EventOut,
    /// The child's open duties after this event.
    pub duties: Vec<DutyOut>,
    /// False when the idempotency key matched an earlier recording (nothing new was written).
    pub created: bool,
}

#[derive(Serialize, ToSchema)]
pub struct EpisodeOut {
    pub episode: String,
    pub started_at: String,
    pub returned_at: Option<String>,
    /// Absent for readers who may only know that the child was missing.
    pub category: Option<String>,
    pub risk: Option<String>,
    /// Who is responsible for the episode now; null when neither an
    /// `episode_assigned` event nor the child's allocation names anyone, or
    /// when the reader may only know that the child was missing.
    pub owner: Option<OwnerOut>,
}

/// Who owns (is responsible for) an episode.
#[derive(Serialize, ToSchema)]
pub struct OwnerOut {
    /// The allocated worker (a user id); null when only a team is allocated.
    pub worker: Option<String>,
    pub team: Option<String>,
    /// The child's responsible authority.
    pub authority: String,
    /// When the latest `episode_assigned` took effect; null when the owner is
    /// the child's allocated worker and team (no assignment recorded).
    pub since: Option<String>,
    pub reason: Option<String>,
}

impl EpisodeOut {
    /// `details`: the reader may see the episode's category, risk and owner.
    fn from_row(e: EpisodeRow, responsible_authority: &str, details: bool) -> Self {
        let owner = (details && (e.owner_worker.is_some() || e.owner_team.is_some())).then(|| OwnerOut {
            worker: e.owner_worker,
            team: e.owner_team,
            authority: responsible_authority.to_string(),
            since: e.owner_since.map(time),
            reason: e.owner_reason,
        });
        EpisodeOut {
            episode: e.episode,
            started_at: time(e.started_at),
            returned_at: e.returned_at.map(time),
            category: details.then_some(e.category),
            risk: details.then_some(e.risk),
            owner,
        }
    }
}

/// A field class the caller may read on this record, and the rule that allows it.
#[derive(Serialize, ToSchema)]
pub struct AccessOut {
    pub class: String,
    pub rule: String,
}

#[derive(Serialize, ToSchema)]
pub struct TimelineOut {
    /// What the caller may read on this record, and why: every other part is left out.
    pub access: Vec<AccessOut>,
    pub child: ChildOut,
    pub episodes: Vec<EpisodeOut>,
    pub events: Vec<EventOut>,
    /// Every duty, including done, excepted and lapsed ones.
    pub duties: Vec<DutyOut>,
}

#[derive(Serialize, ToSchema)]
pub struct MissingOut {
    pub child: String,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: String,
    pub status: String,
    pub responsible_authority: String,
    pub living_in: String,
    pub episode: String,
    pub missing_since: String,
    pub category: String,
    pub risk: String,
    /// Hours missing at the time of the request.
    pub hours_missing: i64,
    /// The worker and team responsible for the episode.
    pub owner_worker: Option<String>,
    pub owner_team: Option<String>,
}

impl MissingOut {
    fn from_row(m: MissingChild, now: Timestamp) -> Self {
        MissingOut {
            hours_missing: (now.as_second() - m.started_at).max(0) / 3600,
            missing_since: time(m.started_at),
            child: m.child_id,
            given_name: m.given_name,
            family_name: m.family_name,
            date_of_birth: m.date_of_birth,
            status: m.status,
            responsible_authority: m.responsible_authority,
            living_in: m.living_in,
            episode: m.episode,
            category: m.category,
            risk: m.risk,
            owner_worker: m.owner_worker,
            owner_team: m.owner_team,
        }
    }
}

// ------------------------------------------------------------------ input helpers

/// Parses a JSON body, naming the offending field on error.
pub(crate) fn body<T: for<'de> Deserialize<'de>>(bytes: &Bytes) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let message = e.inner().to_string();
        let message = message.split(" at line ").next().unwrap_or(&message).to_string();
        // serde reports a missing or unknown field at the enclosing object; name the field itself.
        let named = message
            .split('`')
            .nth(1)
            .filter(|_| message.starts_with("missing field") || message.starts_with("unknown field"))
            // An unknown field's path already ends with it; a missing one's is the enclosing object.
            .map(|f| if path == "." { f.to_string() } else if path == f || path.ends_with(&format!(".{f}")) { path.clone() } else { format!("{path}.{f}") });
        let path = named.unwrap_or(path);
        let field = if path == "." { "" } else { path.as_str() };
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", if field.is_empty() { message.clone() } else { format!("{field}: {message}") }, Some(field).filter(|f| !f.is_empty()))
    })
}

pub(crate) struct Params(pub(crate) HashMap<String, String>);

impl Params {
    pub(crate) fn text(&self, name: &str) -> Option<String> {
        self.0.get(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
    }

    pub(crate) fn int(&self, name: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
        match self.text(name) {
            None => Ok(None),
            Some(v) => match v.parse::<i64>() {
                Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
                _ => Err(ApiError::invalid(name, format!("{name}: must be a whole number from {min} to {max}"))),
            },
        }
    }

    fn flag(&self, name: &str) -> Result<bool, ApiError> {
        match self.text(name).as_deref() {
            None | Some("false") | Some("0") => Ok(false),
            Some("true") | Some("1") => Ok(true),
            Some(_) => Err(ApiError::invalid(name, format!("{name}: must be true or false"))),
        }
    }

    /// The query as given, sorted, for the audit entry of a list.
    fn describe(&self) -> String {
        let mut pairs: Vec<String> = self.0.iter().map(|(k, v)| format!("{k}={v}")).collect();
        pairs.sort();
        pairs.join("&")
    }

    pub(crate) fn only(&self, allowed: &[&str]) -> Result<(), ApiError> {
        match self.0.keys().find(|k| !allowed.contains(&k.as_str())) {
            Some(k) => Err(ApiError::invalid(k, format!("{k}: unknown parameter (expected one of: {})", allowed.join(", ")))),
            None => Ok(()),
        }
    }
}

// ------------------------------------------------------------------ handlers

/// Children the caller may see, optionally in one authority (as responsible or host).
#[utoipa::path(get, path = "/api/v1/children", tag = "children",
    params(("authority" = Option<String>, Query, description = "authority id"), ("limit" = Option<i64>, Query), ("offset" = Option<i64>, Query)),
    responses((status = 200, body = Vec<ChildOut>), (status = 422, body = ErrorBody)))]
pub(crate) async fn list_children(State(state): State<AppState>, caller: Caller, Query(q): Query<HashMap<String, String>>) -> Result<Json<Vec<ChildOut>>, ApiError> {
    let q = Params(q);
    q.only(&["authority", "limit", "offset"])?;
    caller.audit.set_record("children", &q.describe());
    let filter = ChildFilter {
        authority: q.text("authority"),
        ids: Vec::new(),
        limit: q.int("limit", 1, 1000)?.unwrap_or(100),
        offset: q.int("offset", 0, i64::MAX)?.unwrap_or(0),
        visible: Some(visibility(&state, &caller, Action::Read, classify::IDENTITY)),
    };
    let rows = state.store.children(&filter).await?;
    Ok(Json(rows.into_iter().map(ChildOut::from).collect()))
}

/// Create a child. A record with the same family name and date of birth in
/// the same authority is refused as a likely duplicate (409, naming the
/// matches) unless `allow_duplicate=true`.
#[utoipa::path(post, path = "/api/v1/children", tag = "children", request_body = NewChildIn,
    params(("allow_duplicate" = Option<bool>, Query)),
    responses((status = 201, body = ChildOut), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_child(State(state): State<AppState>, caller: Caller, Query(q): Query<HashMap<String, String>>, bytes: Bytes) -> Result<(StatusCode, Json<ChildOut>), ApiError> {
    let q = Params(q);
    q.only(&["allow_duplicate"])?;
    let input: NewChildIn = body(&bytes)?;
    let now = state.clock.now();
    let prospective = homeward_access::RecordFacts {
        responsible_authority: input.responsible_authority.clone(),
        living_in: input.living_in.clone().unwrap_or_else(|| input.responsible_authority.clone()),
        flags: input.flags.clone(),
        ..Default::default()
    };
    let decision = policy_at(&state, now).decide(&caller.principal, Action::Write, classify::IDENTITY, &prospective);
    if !decision.allowed {
        caller.audit.refused(classify::IDENTITY, &decision.rule);
        return Err(crate::access::forbidden(&decision, Action::Write, classify::IDENTITY));
    }
    caller.audit.add_class(classify::IDENTITY, &decision.rule);
    let new = NewChild {
        given_name: input.given_name,
        family_name: input.family_name,
        date_of_birth: input.date_of_birth,
        status: input.status,
        responsible_authority: input.responsible_authority,
        living_in: input.living_in,
        flags: input.flags,
        allocated_worker: input.allocated_worker,
        team: input.team,
        photo_ref: input.photo_ref,
    };
    let visible = visibility(&state, &caller, Action::Read, classify::IDENTITY);
    let child = state.store.create_child(&new, &caller.actor(), now, q.flag("allow_duplicate")?, Some(&visible)).await?;
    caller.audit.set_record("child", &child.id);
    Ok((StatusCode::CREATED, Json(child.into())))
}

/// Children matching a family name and date of birth, among those the
/// caller may see: check before creating.
#[utoipa::path(get, path = "/api/v1/children/matches", tag = "children",
    params(("family_name" = String, Query), ("date_of_birth" = String, Query), ("authority" = Option<String>, Query)),
    responses((status = 200, body = Vec<ChildOut>), (status = 422, body = ErrorBody)))]
async fn match_children(State(state): State<AppState>, caller: Caller, Query(q): Query<HashMap<String, String>>) -> Result<Json<Vec<ChildOut>>, ApiError> {
    let q = Params(q);
    q.only(&["family_name", "date_of_birth", "authority"])?;
    caller.audit.set_record("children", &q.describe());
    let family = q.text("family_name").ok_or_else(|| ApiError::invalid("family_name", "family_name: is required"))?;
    let dob = q.text("date_of_birth").ok_or_else(|| ApiError::invalid("date_of_birth", "date_of_birth: is required"))?;
    let visible = visibility(&state, &caller, Action::Read, classify::IDENTITY);
    let rows = state.store.find_matches(&family, &dob, q.text("authority").as_deref(), Some(&visible)).await?;
    Ok(Json(rows.into_iter().map(ChildOut::from).collect()))
}

/// The current placement's address, when the caller may read it.
async fn placement_address(state: &AppState, caller: &Caller, child_id: &str, facts: &homeward_access::RecordFacts) -> Result<Option<String>, ApiError> {
    if !may_read(state, caller, facts, classify::PLACEMENT_ADDRESS) {
        return Ok(None);
    }
    let now = state.clock.now().as_second();
    let involvements = state.store.involvements(child_id).await?;
    Ok(involvements
        .into_iter()
        .rev()
        .find(|i| i.relation == "placement" && i.ended_at.is_none_or(|e| e > now) && i.address.is_some())
        .and_then(|i| i.address))
}

#[utoipa::path(get, path = "/api/v1/children/{id}", tag = "children",
    params(("id" = String, Path)),
    responses((status = 200, body = ChildOut), (status = 404, body = ErrorBody)))]
async fn get_child(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<ChildOut>, ApiError> {
    let granted = authorize(&state, &caller, &id, Action::Read, classify::IDENTITY).await?;
    let child = state.store.child(&id).await?.ok_or_else(|| ApiError::not_found("child"))?;
    let mut out = ChildOut::from(child);
    out.placement_address = placement_address(&state, &caller, &id, &granted.facts).await?;
    Ok(Json(out))
}

/// Everything about a child the caller may see: episodes, recorded events
/// with who recorded them, and every duty. `access` lists what the caller
/// may read and the rule that allows each; everything else is left out
/// (for example a return interview's content, for a placement).
#[utoipa::path(get, path = "/api/v1/children/{id}/timeline", tag = "children",
    params(("id" = String, Path)),
    responses((status = 200, body = TimelineOut), (status = 404, body = ErrorBody)))]
pub(crate) async fn child_timeline(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<TimelineOut>, ApiError> {
    let now = state.clock.now();
    let granted = authorize(&state, &caller, &id, Action::Read, classify::IDENTITY).await?;
    let facts = &granted.facts;
    let allowed = policy_at(&state, now).classes_allowed(&caller.principal, Action::Read, facts);
    let readable = |class: &str| allowed.iter().any(|(c, _)| c == class);
    let child = state.store.child(&id).await?.ok_or_else(|| ApiError::not_found("child"))?;
    let mut child = ChildOut::from(child);
    child.placement_address = placement_address(&state, &caller, &id, facts).await?;
    let episodes = if may_read(&state, &caller, facts, classify::MISSING_STATUS) {
        let details = may_read(&state, &caller, facts, classify::EPISODE);
        state.store.episodes(&id).await?.into_iter().map(|e| EpisodeOut::from_row(e, &child.responsible_authority, details)).collect()
    } else {
        Vec::new()
    };
    let mut events = Vec::new();
    for e in state.store.events(&id).await? {
        let mut out = EventOut::from(e);
        let kind = out.body.get("kind").and_then(Value::as_str).map(str::to_string);
        if !readable(classify::event_seen_as(&out.event_type, kind.as_deref())) {
            continue;
        }
        let note_class = classify::note_class(&out.event_type, kind.as_deref());
        if let Some(obj) = out.body.as_object_mut() {
            if obj.contains_key("note") && !readable(note_class) {
                obj.remove("note");
            }
        }
        events.push(out);
    }
    for (class, decision) in &allowed {
        caller.audit.add_class(class, &decision.rule);
    }
    let duties = if readable(classify::DUTIES) {
        state.store.duties(&DutyFilter { child: Some(id.clone()), include_closed: true, ..DutyFilter::default() }, now).await?
    } else {
        Vec::new()
    };
    Ok(Json(TimelineOut {
        access: allowed.iter().map(|(class, d)| AccessOut { class: class.clone(), rule: d.rule.clone() }).collect(),
        child,
        episodes,
        events,
        duties: duties.into_iter().map(|d| DutyOut::from_record(d, now)).collect(),
    }))
}

/// Record one event about a child, in the replay contract's shape (`type`,
/// `at`, `episode` and the type's fields; `child` is taken from the path).
/// The whole history is checked: a bad field is named and nothing is written.
/// An `Idempotency-Key` header makes a retry safe; `supersedes=<event id>`
/// records a correction that replaces an earlier event. Who may record
/// what follows the policy: a return interview only by those who may write
/// one, a note only by those who may write notes of its class. A
/// `prompt_considered` without `by` records the caller as the one who decided.
#[utoipa::path(post, path = "/api/v1/children/{id}/events", tag = "events",
    params(("id" = String, Path), ("supersedes" = Option<String>, Query), ("Idempotency-Key" = Option<String>, Header)),
    request_body(content = Object, description = "an event of the replay contract"),
    responses((status = 201, body = RecordedOut), (status = 200, body = RecordedOut, description = "the idempotency key matched an earlier recording"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn record_event(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: axum::http::HeaderMap,
    bytes: Bytes,
) -> Result<(StatusCode, Json<RecordedOut>), ApiError> {
    let q = Params(q);
    q.only(&["supersedes"])?;
    let mut event: Value = body(&bytes)?;
    // Who weighed a prompt is the person recording it, unless they say whom they record it for.
    if event.get("type").and_then(Value::as_str) == Some("prompt_considered") && event.get("by").is_none() {
        if let Some(obj) = event.as_object_mut() {
            obj.insert("by".into(), Value::String(caller.identity.user.display_name.clone()));
        }
    }
    if event.get("child").is_some_and(|c| c.as_str() != Some(id.as_str())) {
        return Err(ApiError::invalid("child", "child: does not match the child in the path"));
    }
    let (event_type, kind) = event_vocabulary(&event)?;
    let granted = authorize(&state, &caller, &id, Action::Write, classify::event_class(&event_type, kind.as_deref())).await?;
    if event.get("note").is_some() {
        // The record's facts are already loaded: decide the note's class on them.
        let class = classify::note_class(&event_type, kind.as_deref());
        let decision = policy_at(&state, state.clock.now()).decide(&caller.principal, Action::Write, class, &granted.facts);
        if !decision.allowed {
            caller.audit.refused(class, &decision.rule);
            return Err(crate::access::forbidden(&decision, Action::Write, class));
        }
        caller.audit.add_class(class, &decision.rule);
    }
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_string);
    let now = state.clock.now();
    let recorded = state.store.record_event(&id, event, &caller.actor(), now, RecordOptions { idempotency_key: key, supersedes: q.text("supersedes") }).await?;
    let status = if recorded.created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(RecordedOut {
        created: recorded.created,
        event: recorded.event.into(),
        duties: recorded.duties.into_iter().map(|d| DutyOut::from_record(d, now)).collect(),
    })))
}

/// An event's `type` and `kind`, checked against the contract's lists
/// before anything is decided on them: the class of an event (and so who
/// may write it) depends on both, so an unknown or mis-spelt value is
/// refused with its field named, never filed under a default class.
fn event_vocabulary(event: &Value) -> Result<(String, Option<String>), ApiError> {
    let event_type = match event.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(_) => return Err(ApiError::invalid("type", "type: must be a string")),
        None => return Err(ApiError::invalid("type", "type: is required")),
    };
    let parsed = homeward_core::vocab::EventType::parse(&event_type).map_err(|m| ApiError::invalid("type", format!("type: {m}")))?;
    let kind = match event.get("kind") {
        None | Some(Value::Null) => None,
        Some(Value::String(k)) => Some(k.clone()),
        Some(_) => return Err(ApiError::invalid("kind", "kind: must be a string")),
    };
    if let (Some(k), Some(accepted)) = (&kind, homeward_core::vocab::event_kinds(parsed)) {
        if !accepted.contains(&k.as_str()) {
            return Err(ApiError::invalid("kind", format!("kind: '{k}' is not a kind of {event_type} (expected one of: {})", accepted.join(", "))));
        }
    }
    Ok((event_type, kind))
}

/// Duties of the children the caller may see, ordered by due time.
/// Filters: an authority (my authority), a responsible role (`by`: my role),
/// the episodes a worker owns (`owner`; `owner=me`: the caller's) or a team
/// owns (`team`), a child, a kind, only overdue, or due within the next N hours.
#[utoipa::path(get, path = "/api/v1/duties", tag = "duties",
    params(("authority" = Option<String>, Query), ("by" = Option<String>, Query, description = "the role that must act"),
           ("owner" = Option<String>, Query, description = "only episodes this worker owns; `me` is the caller"),
           ("team" = Option<String>, Query, description = "only episodes this team owns"), ("child" = Option<String>, Query),
           ("kind" = Option<String>, Query), ("overdue" = Option<bool>, Query), ("due_within_hours" = Option<i64>, Query),
           ("include_closed" = Option<bool>, Query),
           ("to_consider" = Option<bool>, Query, description = "only prompts waiting to be considered (confirmed or dismissed with a prompt_considered event)"),
           ("limit" = Option<i64>, Query), ("offset" = Option<i64>, Query)),
    responses((status = 200, body = Vec<DutyOut>), (status = 422, body = ErrorBody)))]
pub(crate) async fn list_duties(State(state): State<AppState>, caller: Caller, Query(q): Query<HashMap<String, String>>) -> Result<Json<Vec<DutyOut>>, ApiError> {
    let q = Params(q);
    q.only(&["authority", "by", "owner", "team", "child", "kind", "overdue", "due_within_hours", "include_closed", "to_consider", "limit", "offset"])?;
    caller.audit.set_record("duties", &q.describe());
    if let Some(kind) = q.text("kind") {
        homeward_core::vocab::DutyKind::parse(&kind).map_err(|m| ApiError::invalid("kind", format!("kind: {m}")))?;
    }
    let filter = DutyFilter {
        authority: q.text("authority"),
        child: q.text("child"),
        kind: q.text("kind"),
        by_role: q.text("by"),
        overdue: q.flag("overdue")?,
        due_within_hours: q.int("due_within_hours", 0, 24 * 366)?,
        include_closed: q.flag("include_closed")?,
        to_consider: q.flag("to_consider")?,
        owner: q.text("owner").map(|o| if o == "me" { caller.identity.user.username.clone() } else { o }),
        team: q.text("team"),
        limit: Some(q.int("limit", 1, 10_000)?.unwrap_or(500)),
        offset: q.int("offset", 0, i64::MAX)?.unwrap_or(0),
        visible: Some(visibility(&state, &caller, Action::Read, classify::DUTIES)),
    };
    let now = state.clock.now();
    let rows = state.store.duties(&filter, now).await?;
    Ok(Json(rows.into_iter().map(|d| DutyOut::from_record(d, now)).collect()))
}

/// Children missing now, most recent first, among those whose episodes the caller may see.
#[utoipa::path(get, path = "/api/v1/missing", tag = "children",
    params(("authority" = Option<String>, Query)),
    responses((status = 200, body = Vec<MissingOut>)))]
pub(crate) async fn currently_missing(State(state): State<AppState>, caller: Caller, Query(q): Query<HashMap<String, String>>) -> Result<Json<Vec<MissingOut>>, ApiError> {
    let q = Params(q);
    q.only(&["authority"])?;
    caller.audit.set_record("missing", &q.describe());
    let now = state.clock.now();
    let visible = visibility(&state, &caller, Action::Read, classify::EPISODE);
    let rows = state.store.currently_missing(q.text("authority").as_deref(), Some(&visible)).await?;
    Ok(Json(rows.into_iter().map(|m| MissingOut::from_row(m, now)).collect()))
}

fn csv_text(bytes: &Bytes) -> Result<&str, ApiError> {
    std::str::from_utf8(bytes).map_err(|_| ApiError::invalid("body", "the CSV must be UTF-8 text"))
}

impl From<crate::import::FileError> for ApiError {
    fn from(e: crate::import::FileError) -> Self {
        ApiError::invalid(&e.column.clone(), e.to_string())
    }
}

/// Refuses an import to a caller the policy never lets write episodes.
fn may_import(state: &AppState, caller: &Caller) -> Result<(), ApiError> {
    if policy_at(state, state.clock.now()).may_ever(&caller.principal, Action::Write, classify::EPISODE) {
        return Ok(());
    }
    caller.audit.refused(classify::EPISODE, homeward_access::DEFAULT_DENY);
    Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden", "your role may not record episodes, so it may not import them", None))
}

/// Import the police's list of missing and returned children (CSV, header row;
/// columns: police_reference, given_name, family_name, date_of_birth,
/// authority, reported_at, category, and optionally risk, returned_at,
/// found_by, status). Children are matched (among those the caller may
/// record for) or created; importing the same file again creates nothing.
/// `dry_run=true` writes nothing.
#[utoipa::path(post, path = "/api/v1/imports/police-list", tag = "imports",
    params(("dry_run" = Option<bool>, Query)),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = crate::import::ImportReport), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn import_police_list(State(state): State<AppState>, caller: Caller, Query(q): Query<HashMap<String, String>>, bytes: Bytes) -> Result<Json<crate::import::ImportReport>, ApiError> {
    let q = Params(q);
    q.only(&["dry_run"])?;
    caller.audit.set_record("import", "police-list");
    may_import(&state, &caller)?;
    Ok(Json(crate::import::police_list(&state, csv_text(&bytes)?, &caller, q.flag("dry_run")?).await?))
}

/// Import placement notices of a child going missing or returning (Bolton
/// Figures 1 and 3; columns: notice (missing|returned), given_name,
/// family_name, date_of_birth, authority, went_missing_at, and optionally
/// reported_to_police_at, returned_at, where_found, circumstances, intent,
/// contact, child_commentary, placement_changes). The child must be on
/// record and one the caller may record for (a placement: its own children).
#[utoipa::path(post, path = "/api/v1/imports/placement-notice", tag = "imports",
    params(("dry_run" = Option<bool>, Query)),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = crate::import::ImportReport), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn import_placement_notice(State(state): State<AppState>, caller: Caller, Query(q): Query<HashMap<String, String>>, bytes: Bytes) -> Result<Json<crate::import::ImportReport>, ApiError> {
    let q = Params(q);
    q.only(&["dry_run"])?;
    caller.audit.set_record("import", "placement-notice");
    may_import(&state, &caller)?;
    Ok(Json(crate::import::placement_notice(&state, csv_text(&bytes)?, &caller, q.flag("dry_run")?).await?))
}

// ------------------------------------------------------------------ involvements

#[derive(Serialize, ToSchema)]
pub struct InvolvementOut {
    pub id: String,
    pub child: String,
    pub agency: String,
    /// placement, return_interview, school, health, cross_border
    pub relation: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    pub reason: Option<String>,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub recorded_by: String,
    pub ended_by: Option<String>,
}

impl InvolvementOut {
    fn from_row(i: homeward_store::Involvement, show_address: bool) -> Self {
        InvolvementOut {
            address: if show_address { i.address } else { None },
            started_at: time(i.started_at),
            ended_at: i.ended_at.map(time),
            id: i.id,
            child: i.child_id,
            agency: i.agency_id,
            relation: i.relation,
            reason: i.reason,
            recorded_by: i.recorded_by,
            ended_by: i.ended_by,
        }
    }
}

/// A new involvement of an agency with the child.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInvolvementIn {
    pub agency: String,
    /// placement, return_interview, school, health, cross_border
    pub relation: String,
    /// For a placement: its address (shown only to those allowed to see it).
    pub address: Option<String>,
    pub reason: Option<String>,
}

/// Which agencies are involved with the child, current and past. Their
/// involvement is what lets a placement, school, health provider,
/// return-interview service or another partnership see the record.
#[utoipa::path(get, path = "/api/v1/children/{id}/involvements", tag = "access",
    params(("id" = String, Path)),
    responses((status = 200, body = Vec<InvolvementOut>), (status = 404, body = ErrorBody)))]
async fn list_involvements(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<Vec<InvolvementOut>>, ApiError> {
    let granted = authorize(&state, &caller, &id, Action::Read, classify::INVOLVEMENT).await?;
    let show_address = may_read(&state, &caller, &granted.facts, classify::PLACEMENT_ADDRESS);
    let rows = state.store.involvements(&id).await?;
    Ok(Json(rows.into_iter().map(|i| InvolvementOut::from_row(i, show_address)).collect()))
}

/// Record that an agency is involved with the child (a placement, the
/// child's school, a referral to the return-interview service, a health
/// provider, another partnership's police or children's services).
#[utoipa::path(post, path = "/api/v1/children/{id}/involvements", tag = "access",
    params(("id" = String, Path)), request_body = NewInvolvementIn,
    responses((status = 201, body = InvolvementOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_involvement(State(state): State<AppState>, caller: Caller, Path(id): Path<String>, bytes: Bytes) -> Result<(StatusCode, Json<InvolvementOut>), ApiError> {
    let input: NewInvolvementIn = body(&bytes)?;
    let granted = authorize(&state, &caller, &id, Action::Write, classify::INVOLVEMENT).await?;
    if input.address.is_some() {
        authorize(&state, &caller, &id, Action::Write, classify::PLACEMENT_ADDRESS).await?;
    }
    let new = homeward_store::NewInvolvement { agency_id: input.agency, relation: input.relation, address: input.address, reason: input.reason };
    let row = state.store.add_involvement(&id, &new, &caller.identity.user.username, state.clock.now().as_second()).await?;
    let show_address = may_read(&state, &caller, &granted.facts, classify::PLACEMENT_ADDRESS);
    Ok((StatusCode::CREATED, Json(InvolvementOut::from_row(row, show_address))))
}

/// End an involvement: from now on it no longer gives that agency access.
#[utoipa::path(post, path = "/api/v1/children/{id}/involvements/{involvement}/end", tag = "access",
    params(("id" = String, Path), ("involvement" = String, Path)),
    responses((status = 200, body = InvolvementOut), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn end_involvement(State(state): State<AppState>, caller: Caller, Path((id, involvement)): Path<(String, String)>) -> Result<Json<InvolvementOut>, ApiError> {
    let granted = authorize(&state, &caller, &id, Action::Write, classify::INVOLVEMENT).await?;
    let row = state.store.end_involvement(&id, &involvement, &caller.identity.user.username, state.clock.now().as_second()).await?;
    let show_address = may_read(&state, &caller, &granted.facts, classify::PLACEMENT_ADDRESS);
    Ok(Json(InvolvementOut::from_row(row, show_address)))
}

// ------------------------------------------------------------------ break-glass and the access log

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BreakGlassIn {
    /// Why the record is needed now (recorded, and told to the child's team manager).
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct BreakGlassOut {
    pub id: String,
    pub child: String,
    pub reason: String,
    pub granted_at: String,
    pub expires_at: String,
    /// Notifications sent to the child's team managers about this access.
    pub notified: usize,
}

/// How long break-glass access lasts.
pub const BREAK_GLASS_SECONDS: i64 = 4 * 3600;
/// A break-glass reason has at least this many words of two or more letters…
pub const BREAK_GLASS_REASON_WORDS: usize = 3;
/// …and this many letters in all (after invisible characters are removed).
pub const BREAK_GLASS_REASON_LETTERS: usize = 15;

/// Emergency access to a child's record outside the caller's normal access,
/// for a stated reason. It lasts four hours, is read-only, flags every
/// access in the audit log, and is told to the child's team manager.
#[utoipa::path(post, path = "/api/v1/children/{id}/break-glass", tag = "access",
    params(("id" = String, Path)), request_body = BreakGlassIn,
    responses((status = 201, body = BreakGlassOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn break_glass(State(state): State<AppState>, caller: Caller, Path(id): Path<String>, bytes: Bytes) -> Result<(StatusCode, Json<BreakGlassOut>), ApiError> {
    caller.audit.set_action("break_glass");
    caller.audit.set_record("child", &id);
    caller.audit.set_break_glass();
    let input: BreakGlassIn = body(&bytes)?;
    homeward_core::text::multi_line(&input.reason, 2000).map_err(|m| ApiError::invalid("reason", format!("reason: {m}")))?;
    if !homeward_core::text::has_real_words(&input.reason, BREAK_GLASS_REASON_WORDS, BREAK_GLASS_REASON_LETTERS) {
        return Err(ApiError::invalid(
            "reason",
            format!("reason: say in words why you need this record now (at least {BREAK_GLASS_REASON_WORDS} words, {BREAK_GLASS_REASON_LETTERS} letters)"),
        ));
    }
    if !crate::auth::routes::may_break_glass(&state, &caller) {
        caller.audit.refused(classify::IDENTITY, homeward_access::DEFAULT_DENY);
        return Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden", "your role may not use break-glass access", None));
    }
    let child = state.store.child(&id).await?.ok_or_else(|| ApiError::not_found("child"))?;
    let now = state.clock.now().as_second();
    let grant = state.store.grant_access(&caller.identity.user.id, &id, &input.reason, now, now + BREAK_GLASS_SECONDS).await?;
    caller.audit.add_class(classify::IDENTITY, "break-glass");
    let notified = crate::notify::break_glass::tell_managers(&state, &child, &grant, &caller.identity).await?;
    Ok((StatusCode::CREATED, Json(BreakGlassOut {
        id: grant.id,
        child: grant.child_id,
        reason: grant.reason,
        granted_at: time(grant.granted_at),
        expires_at: time(grant.expires_at),
        notified,
    })))
}

#[derive(Serialize, ToSchema)]
pub struct AccessLogOut {
    pub seq: i64,
    pub at: String,
    pub user: Option<String>,
    pub agency: Option<String>,
    pub role: Option<String>,
    pub action: String,
    pub operation: String,
    pub fields: Vec<String>,
    pub outcome: String,
    pub rule: Option<String>,
    pub break_glass: bool,
}

/// Who has seen this record: every access to it, newest first (to those
/// allowed to know, such as the team manager).
#[utoipa::path(get, path = "/api/v1/children/{id}/access-log", tag = "access",
    params(("id" = String, Path), ("limit" = Option<i64>, Query)),
    responses((status = 200, body = Vec<AccessLogOut>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn access_log(State(state): State<AppState>, caller: Caller, Path(id): Path<String>, Query(q): Query<HashMap<String, String>>) -> Result<Json<Vec<AccessLogOut>>, ApiError> {
    let q = Params(q);
    q.only(&["limit"])?;
    authorize(&state, &caller, &id, Action::Read, classify::ACCESS_LOG).await?;
    let rows = state.store.audit_for_record("child", &id, q.int("limit", 1, 10_000)?.unwrap_or(500)).await?;
    Ok(Json(rows
        .into_iter()
        .map(|r| AccessLogOut {
            seq: r.seq,
            at: time(r.entry.at),
            user: r.entry.user_id,
            agency: r.entry.agency,
            role: r.entry.role,
            action: r.entry.action,
            operation: r.entry.operation,
            fields: r.entry.fields,
            outcome: r.entry.outcome,
            rule: r.entry.rule,
            break_glass: r.entry.break_glass,
        })
        .collect()))
}

// ------------------------------------------------------------------ reports

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

/// Episodes of the children the caller may report on, pseudonymised: no
/// names, date of birth, photo or address. For partnership analysts, and
/// managers reporting on their own agency's children.
#[utoipa::path(get, path = "/api/v1/reports/episodes", tag = "reports",
    params(("since" = Option<String>, Query, description = "YYYY-MM-DD"), ("limit" = Option<i64>, Query), ("offset" = Option<i64>, Query)),
    responses((status = 200, body = Vec<PseudonymousEpisodeOut>), (status = 422, body = ErrorBody)))]
async fn report_episodes(State(state): State<AppState>, caller: Caller, Query(q): Query<HashMap<String, String>>) -> Result<Json<Vec<PseudonymousEpisodeOut>>, ApiError> {
    let q = Params(q);
    q.only(&["since", "limit", "offset"])?;
    caller.audit.set_action("export");
    caller.audit.set_record("report", &q.describe());
    let since = match q.text("since") {
        None => 0,
        Some(d) => d
            .parse::<jiff::civil::Date>()
            .ok()
            .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok())
            .map(|z| z.timestamp().as_second())
            .ok_or_else(|| ApiError::invalid("since", "since: must be a date, YYYY-MM-DD"))?,
    };
    let visible = visibility(&state, &caller, Action::Read, classify::PSEUDONYMISED);
    let rows = state.store.pseudonymous_episodes(&visible, since, q.int("limit", 1, 100_000)?.unwrap_or(10_000), q.int("offset", 0, i64::MAX)?.unwrap_or(0)).await?;
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

// ------------------------------------------------------------------ notifications

#[derive(Serialize, ToSchema)]
pub struct DeliveryOut {
    pub id: String,
    /// 0 for the first sending, then 1, 2, … for each re-send.
    pub round: i64,
    /// `email` or `webhook`.
    pub channel: String,
    pub target: String,
    /// `pending`, `sent` or `failed` (given up after every retry).
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: String,
    pub last_error: Option<String>,
    pub sent_at: Option<String>,
}

impl From<homeward_store::DeliveryRecord> for DeliveryOut {
    fn from(d: homeward_store::DeliveryRecord) -> Self {
        DeliveryOut {
            id: d.id,
            round: d.round,
            channel: d.channel,
            target: d.target,
            state: d.state,
            attempts: d.attempts,
            next_attempt_at: time(d.next_attempt_at),
            last_error: d.last_error,
            sent_at: d.sent_at.map(time),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct NotificationOut {
    pub id: String,
    pub duty: String,
    /// `triggered` or `overdue`.
    pub stage: String,
    pub child: String,
    pub authority: String,
    pub protocol: String,
    /// The protocol role told.
    pub role: String,
    /// 0 for the first message; 1 for its escalation to the role's manager, …
    pub level: i64,
    pub escalation_of: Option<String>,
    pub subject: String,
    pub body: String,
    pub has_calendar: bool,
    pub created_at: String,
    pub acknowledge_by: String,
    /// `acknowledged`, `duty_closed` (the duty was done or ended first), or null while waiting.
    pub settled: Option<String>,
    pub acknowledged_at: Option<String>,
    pub acknowledged_by: Option<String>,
    pub acknowledged_agency: Option<String>,
    pub escalated_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deliveries: Option<Vec<DeliveryOut>>,
}

impl NotificationOut {
    fn from_record(n: homeward_store::NotificationRecord, deliveries: Option<Vec<homeward_store::DeliveryRecord>>) -> Self {
        NotificationOut {
            id: n.id,
            duty: n.duty_id,
            stage: n.stage,
            child: n.child_id,
            authority: n.authority,
            protocol: n.protocol,
            role: n.role,
            level: n.level,
            escalation_of: n.escalation_of,
            subject: n.subject,
            body: n.body,
            has_calendar: n.calendar.is_some(),
            created_at: time(n.created_at),
            acknowledge_by: time(n.ack_due_at),
            settled: n.settled,
            acknowledged_at: n.acknowledged_at.map(time),
            acknowledged_by: n.acknowledged_by,
            acknowledged_agency: n.acknowledged_agency,
            escalated_at: n.escalated_at.map(time),
            deliveries: deliveries.map(|d| d.into_iter().map(DeliveryOut::from).collect()),
        }
    }
}

/// A notification the caller may read: its child is one they may see and
/// its content is of a class they may read (a break-glass notice is the
/// record's access log). Any refusal is answered as if it did not exist,
/// so that a real notification and a missing one look alike.
async fn notification_for(state: &AppState, caller: &Caller, id: &str) -> Result<homeward_store::NotificationRecord, ApiError> {
    let n = state.store.notification(id).await?.ok_or_else(|| ApiError::not_found("notification"))?;
    authorize(state, caller, &n.child_id, Action::Read, classify::notification_class(&n.stage)).await.map_err(|_| ApiError::not_found("notification"))?;
    caller.audit.set_record("notification", id);
    Ok(n)
}

/// Notifications about the children the caller may see, newest first. Filters: a child, a duty, an authority, a
/// role, or only those still waiting for acknowledgement.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications",
    params(("child" = Option<String>, Query), ("duty" = Option<String>, Query), ("authority" = Option<String>, Query),
           ("role" = Option<String>, Query), ("waiting" = Option<bool>, Query), ("limit" = Option<i64>, Query)),
    responses((status = 200, body = Vec<NotificationOut>), (status = 422, body = ErrorBody)))]
async fn list_notifications(State(state): State<AppState>, caller: Caller, Query(q): Query<HashMap<String, String>>) -> Result<Json<Vec<NotificationOut>>, ApiError> {
    let q = Params(q);
    q.only(&["child", "duty", "authority", "role", "waiting", "limit"])?;
    caller.audit.set_record("notifications", &q.describe());
    let filter = homeward_store::NotificationFilter {
        child: q.text("child"),
        duty: q.text("duty"),
        authority: q.text("authority"),
        role: q.text("role"),
        waiting: q.flag("waiting")?,
        limit: q.int("limit", 1, 5000)?,
        visible: Some(visibility(&state, &caller, Action::Read, classify::NOTIFICATIONS)),
        break_glass_visible: Some(visibility(&state, &caller, Action::Read, classify::notification_class(classify::BREAK_GLASS_STAGE))),
    };
    let rows = state.store.notifications(&filter).await?;
    Ok(Json(rows.into_iter().map(|n| NotificationOut::from_record(n, None)).collect()))
}

/// One notification with every delivery attempt stream.
#[utoipa::path(get, path = "/api/v1/notifications/{id}", tag = "notifications",
    params(("id" = String, Path)),
    responses((status = 200, body = NotificationOut), (status = 404, body = ErrorBody)))]
async fn get_notification(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<NotificationOut>, ApiError> {
    let n = notification_for(&state, &caller, &id).await?;
    let deliveries = state.store.deliveries(&id).await?;
    Ok(Json(NotificationOut::from_record(n, Some(deliveries))))
}

/// Acknowledge a notification: the caller has seen it and the duty is in
/// hand. Every message about the same duty stage (to colleagues, or escalated
/// to managers) is acknowledged with it, and escalation stops. Repeating it
/// changes nothing. Only those who answer for the role the message is
/// addressed to, or for a role above it on its escalation chain, may
/// acknowledge it (the policy roles' `answers_for`).
#[utoipa::path(post, path = "/api/v1/notifications/{id}/acknowledge", tag = "notifications",
    params(("id" = String, Path)),
    responses((status = 200, body = NotificationOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn acknowledge_notification(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<NotificationOut>, ApiError> {
    let n = notification_for(&state, &caller, &id).await?;
    authorize(&state, &caller, &n.child_id, Action::Write, classify::NOTIFICATIONS).await?;
    if !crate::notify::addressee::may_acknowledge(&state, &caller, &n) {
        caller.audit.refused(classify::NOTIFICATIONS, crate::notify::addressee::ADDRESSEE);
        let mut e = ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("this message is addressed to the {} role of {}; only those who answer for that role, or for a role above it on its escalation chain, may acknowledge it", n.role, n.authority),
            None,
        );
        e.body.rule = Some(crate::notify::addressee::ADDRESSEE.to_string());
        return Err(e);
    }
    let n = state.store.acknowledge(&id, &caller.actor(), state.clock.now()).await?;
    let deliveries = state.store.deliveries(&id).await?;
    Ok(Json(NotificationOut::from_record(n, Some(deliveries))))
}

/// The iCalendar invitation offered with a meeting duty's notification.
#[utoipa::path(get, path = "/api/v1/notifications/{id}/calendar.ics", tag = "notifications",
    params(("id" = String, Path)),
    responses((status = 200, content_type = "text/calendar", body = String), (status = 404, body = ErrorBody)))]
async fn notification_calendar(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let n = notification_for(&state, &caller, &id).await?;
    let ics = n.calendar.ok_or_else(|| ApiError::not_found("calendar invitation (this notification is not about a meeting)"))?;
    Ok(([("content-type", "text/calendar; charset=utf-8; method=PUBLISH"), ("content-disposition", "attachment; filename=\"meeting.ics\"")], ics).into_response())
}
