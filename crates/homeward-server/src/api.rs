//! The JSON API under `/api/v1`. Routes and the OpenAPI document come from
//! the same list (`router`), so they cannot drift.

use crate::error::{ApiError, ErrorBody};
use crate::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use homeward_store::{Actor, Child, ChildFilter, DutyFilter, DutyRecord, EpisodeRow, EventRecord, MissingChild, NewChild, RecordOptions};
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
    components(schemas(ErrorBody))
)]
struct ApiDoc;

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
        .routes(routes!(crate::records::list_national_alerts, crate::records::record_national_alert))
        .routes(routes!(crate::records::list_deletions))
}

pub async fn ready(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    state.store.db().ping().await.map_err(homeward_store::StoreError::from)?;
    Ok("ready")
}

// ------------------------------------------------------------------ identity

/// Who is calling. Until accounts and sessions exist, every request names
/// its user and agency in headers (`X-Homeward-User`, `X-Homeward-Agency`),
/// and every write records them.
pub struct Caller(pub Actor);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let header = |name: &str| {
            parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty()).map(str::to_string)
        };
        let user = header("x-homeward-user");
        let agency = header("x-homeward-agency");
        match (user, agency) {
            (Some(user), Some(agency)) => Ok(Caller(Actor { user, agency })),
            (None, _) => Err(ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", "every request must say who is asking (X-Homeward-User header)", Some("X-Homeward-User"))),
            (_, None) => Err(ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", "every request must say for which agency (X-Homeward-Agency header)", Some("X-Homeward-Agency"))),
        }
    }
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
    /// done, excepted, overdue, due, upcoming (lapsed with include_closed)
    pub state: String,
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
    pub category: String,
    pub risk: String,
    /// Who is responsible for the episode now; null when neither an
    /// `episode_assigned` event nor the child's allocation names anyone.
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
    fn from_row(e: EpisodeRow, responsible_authority: &str) -> Self {
        let owner = (e.owner_worker.is_some() || e.owner_team.is_some()).then(|| OwnerOut {
            worker: e.owner_worker,
            team: e.owner_team,
            authority: responsible_authority.to_string(),
            since: e.owner_since.map(time),
            reason: e.owner_reason,
        });
        EpisodeOut { episode: e.episode, started_at: time(e.started_at), returned_at: e.returned_at.map(time), category: e.category, risk: e.risk, owner }
    }
}

#[derive(Serialize, ToSchema)]
pub struct TimelineOut {
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

    pub(crate) fn only(&self, allowed: &[&str]) -> Result<(), ApiError> {
        match self.0.keys().find(|k| !allowed.contains(&k.as_str())) {
            Some(k) => Err(ApiError::invalid(k, format!("{k}: unknown parameter (expected one of: {})", allowed.join(", ")))),
            None => Ok(()),
        }
    }
}

// ------------------------------------------------------------------ handlers

/// List children, optionally in one authority (as responsible or host).
#[utoipa::path(get, path = "/api/v1/children", tag = "children",
    params(("authority" = Option<String>, Query, description = "authority id"), ("limit" = Option<i64>, Query), ("offset" = Option<i64>, Query)),
    responses((status = 200, body = Vec<ChildOut>), (status = 422, body = ErrorBody)))]
async fn list_children(State(state): State<AppState>, _caller: Caller, Query(q): Query<HashMap<String, String>>) -> Result<Json<Vec<ChildOut>>, ApiError> {
    let q = Params(q);
    q.only(&["authority", "limit", "offset"])?;
    let filter = ChildFilter { authority: q.text("authority"), limit: q.int("limit", 1, 1000)?.unwrap_or(100), offset: q.int("offset", 0, i64::MAX)?.unwrap_or(0) };
    let rows = state.store.children(&filter).await?;
    Ok(Json(rows.into_iter().map(ChildOut::from).collect()))
}

/// Create a child. A record with the same family name and date of birth in
/// the same authority is refused as a likely duplicate (409, naming the
/// matches) unless `allow_duplicate=true`.
#[utoipa::path(post, path = "/api/v1/children", tag = "children", request_body = NewChildIn,
    params(("allow_duplicate" = Option<bool>, Query)),
    responses((status = 201, body = ChildOut), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_child(State(state): State<AppState>, Caller(actor): Caller, Query(q): Query<HashMap<String, String>>, bytes: Bytes) -> Result<(StatusCode, Json<ChildOut>), ApiError> {
    let q = Params(q);
    q.only(&["allow_duplicate"])?;
    let input: NewChildIn = body(&bytes)?;
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
    let child = state.store.create_child(&new, &actor, state.clock.now(), q.flag("allow_duplicate")?).await?;
    Ok((StatusCode::CREATED, Json(child.into())))
}

/// Children matching a family name and date of birth: check before creating.
#[utoipa::path(get, path = "/api/v1/children/matches", tag = "children",
    params(("family_name" = String, Query), ("date_of_birth" = String, Query), ("authority" = Option<String>, Query)),
    responses((status = 200, body = Vec<ChildOut>), (status = 422, body = ErrorBody)))]
async fn match_children(State(state): State<AppState>, _caller: Caller, Query(q): Query<HashMap<String, String>>) -> Result<Json<Vec<ChildOut>>, ApiError> {
    let q = Params(q);
    q.only(&["family_name", "date_of_birth", "authority"])?;
    let family = q.text("family_name").ok_or_else(|| ApiError::invalid("family_name", "family_name: is required"))?;
    let dob = q.text("date_of_birth").ok_or_else(|| ApiError::invalid("date_of_birth", "date_of_birth: is required"))?;
    let rows = state.store.find_matches(&family, &dob, q.text("authority").as_deref()).await?;
    Ok(Json(rows.into_iter().map(ChildOut::from).collect()))
}

#[utoipa::path(get, path = "/api/v1/children/{id}", tag = "children",
    params(("id" = String, Path)),
    responses((status = 200, body = ChildOut), (status = 404, body = ErrorBody)))]
async fn get_child(State(state): State<AppState>, _caller: Caller, Path(id): Path<String>) -> Result<Json<ChildOut>, ApiError> {
    let child = state.store.child(&id).await?.ok_or_else(|| ApiError::not_found("child"))?;
    Ok(Json(child.into()))
}

/// Everything about a child: episodes, every recorded event with who
/// recorded it, and every duty.
#[utoipa::path(get, path = "/api/v1/children/{id}/timeline", tag = "children",
    params(("id" = String, Path)),
    responses((status = 200, body = TimelineOut), (status = 404, body = ErrorBody)))]
async fn child_timeline(State(state): State<AppState>, _caller: Caller, Path(id): Path<String>) -> Result<Json<TimelineOut>, ApiError> {
    let now = state.clock.now();
    let child = state.store.child(&id).await?.ok_or_else(|| ApiError::not_found("child"))?;
    let episodes = state.store.episodes(&id).await?;
    let events = state.store.events(&id).await?;
    let duties = state.store.duties(&DutyFilter { child: Some(id.clone()), include_closed: true, ..DutyFilter::default() }, now).await?;
    let authority = child.responsible_authority.clone();
    Ok(Json(TimelineOut {
        child: child.into(),
        episodes: episodes.into_iter().map(|e| EpisodeOut::from_row(e, &authority)).collect(),
        events: events.into_iter().map(EventOut::from).collect(),
        duties: duties.into_iter().map(|d| DutyOut::from_record(d, now)).collect(),
    }))
}

/// Record one event about a child, in the replay contract's shape (`type`,
/// `at`, `episode` and the type's fields; `child` is taken from the path).
/// The whole history is checked: a bad field is named and nothing is written.
/// An `Idempotency-Key` header makes a retry safe; `supersedes=<event id>`
/// records a correction that replaces an earlier event.
#[utoipa::path(post, path = "/api/v1/children/{id}/events", tag = "events",
    params(("id" = String, Path), ("supersedes" = Option<String>, Query), ("Idempotency-Key" = Option<String>, Header)),
    request_body(content = Object, description = "an event of the replay contract"),
    responses((status = 201, body = RecordedOut), (status = 200, body = RecordedOut, description = "the idempotency key matched an earlier recording"), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn record_event(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: axum::http::HeaderMap,
    bytes: Bytes,
) -> Result<(StatusCode, Json<RecordedOut>), ApiError> {
    let q = Params(q);
    q.only(&["supersedes"])?;
    let event: Value = body(&bytes)?;
    if event.get("child").is_some_and(|c| c.as_str() != Some(id.as_str())) {
        return Err(ApiError::invalid("child", "child: does not match the child in the path"));
    }
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_string);
    let now = state.clock.now();
    let recorded = state.store.record_event(&id, event, &actor, now, RecordOptions { idempotency_key: key, supersedes: q.text("supersedes") }).await?;
    let status = if recorded.created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(RecordedOut {
        created: recorded.created,
        event: recorded.event.into(),
        duties: recorded.duties.into_iter().map(|d| DutyOut::from_record(d, now)).collect(),
    })))
}

/// Duties, ordered by due time. Filters: an authority (my authority), a
/// responsible role (`by`: my role), the episodes a worker owns (`owner`;
/// `owner=me`: the caller's) or a team owns (`team`), a child, a kind, only
/// overdue, or due within the next N hours.
#[utoipa::path(get, path = "/api/v1/duties", tag = "duties",
    params(("authority" = Option<String>, Query), ("by" = Option<String>, Query, description = "the role that must act"),
           ("owner" = Option<String>, Query, description = "only episodes this worker owns; `me` is the caller"),
           ("team" = Option<String>, Query, description = "only episodes this team owns"), ("child" = Option<String>, Query),
           ("kind" = Option<String>, Query), ("overdue" = Option<bool>, Query), ("due_within_hours" = Option<i64>, Query),
           ("include_closed" = Option<bool>, Query), ("limit" = Option<i64>, Query), ("offset" = Option<i64>, Query)),
    responses((status = 200, body = Vec<DutyOut>), (status = 422, body = ErrorBody)))]
async fn list_duties(State(state): State<AppState>, Caller(actor): Caller, Query(q): Query<HashMap<String, String>>) -> Result<Json<Vec<DutyOut>>, ApiError> {
    let q = Params(q);
    q.only(&["authority", "by", "owner", "team", "child", "kind", "overdue", "due_within_hours", "include_closed", "limit", "offset"])?;
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
        owner: q.text("owner").map(|o| if o == "me" { actor.user.clone() } else { o }),
        team: q.text("team"),
        limit: Some(q.int("limit", 1, 10_000)?.unwrap_or(500)),
        offset: q.int("offset", 0, i64::MAX)?.unwrap_or(0),
    };
    let now = state.clock.now();
    let rows = state.store.duties(&filter, now).await?;
    Ok(Json(rows.into_iter().map(|d| DutyOut::from_record(d, now)).collect()))
}

/// Children missing now, most recent first.
#[utoipa::path(get, path = "/api/v1/missing", tag = "children",
    params(("authority" = Option<String>, Query)),
    responses((status = 200, body = Vec<MissingOut>)))]
async fn currently_missing(State(state): State<AppState>, _caller: Caller, Query(q): Query<HashMap<String, String>>) -> Result<Json<Vec<MissingOut>>, ApiError> {
    let q = Params(q);
    q.only(&["authority"])?;
    let now = state.clock.now();
    let rows = state.store.currently_missing(q.text("authority").as_deref()).await?;
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

/// Import the police's list of missing and returned children (CSV, header row;
/// columns: police_reference, given_name, family_name, date_of_birth,
/// authority, reported_at, category, and optionally risk, returned_at,
/// found_by, status). Children are matched or created; importing the same
/// file again creates nothing. `dry_run=true` writes nothing.
#[utoipa::path(post, path = "/api/v1/imports/police-list", tag = "imports",
    params(("dry_run" = Option<bool>, Query)),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = crate::import::ImportReport), (status = 422, body = ErrorBody)))]
async fn import_police_list(State(state): State<AppState>, Caller(actor): Caller, Query(q): Query<HashMap<String, String>>, bytes: Bytes) -> Result<Json<crate::import::ImportReport>, ApiError> {
    let q = Params(q);
    q.only(&["dry_run"])?;
    Ok(Json(crate::import::police_list(&state, csv_text(&bytes)?, &actor, q.flag("dry_run")?).await?))
}

/// Import placement notices of a child going missing or returning (Bolton
/// Figures 1 and 3; columns: notice (missing|returned), given_name,
/// family_name, date_of_birth, authority, went_missing_at, and optionally
/// reported_to_police_at, returned_at, where_found, circumstances, intent,
/// contact, child_commentary, placement_changes). The child must be on record.
#[utoipa::path(post, path = "/api/v1/imports/placement-notice", tag = "imports",
    params(("dry_run" = Option<bool>, Query)),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = crate::import::ImportReport), (status = 422, body = ErrorBody)))]
async fn import_placement_notice(State(state): State<AppState>, Caller(actor): Caller, Query(q): Query<HashMap<String, String>>, bytes: Bytes) -> Result<Json<crate::import::ImportReport>, ApiError> {
    let q = Params(q);
    q.only(&["dry_run"])?;
    Ok(Json(crate::import::placement_notice(&state, csv_text(&bytes)?, &actor, q.flag("dry_run")?).await?))
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

/// Notifications, newest first. Filters: a child, a duty, an authority, a
/// role, or only those still waiting for acknowledgement.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications",
    params(("child" = Option<String>, Query), ("duty" = Option<String>, Query), ("authority" = Option<String>, Query),
           ("role" = Option<String>, Query), ("waiting" = Option<bool>, Query), ("limit" = Option<i64>, Query)),
    responses((status = 200, body = Vec<NotificationOut>), (status = 422, body = ErrorBody)))]
async fn list_notifications(State(state): State<AppState>, _caller: Caller, Query(q): Query<HashMap<String, String>>) -> Result<Json<Vec<NotificationOut>>, ApiError> {
    let q = Params(q);
    q.only(&["child", "duty", "authority", "role", "waiting", "limit"])?;
    let filter = homeward_store::NotificationFilter {
        child: q.text("child"),
        duty: q.text("duty"),
        authority: q.text("authority"),
        role: q.text("role"),
        waiting: q.flag("waiting")?,
        limit: q.int("limit", 1, 5000)?,
    };
    let rows = state.store.notifications(&filter).await?;
    Ok(Json(rows.into_iter().map(|n| NotificationOut::from_record(n, None)).collect()))
}

/// One notification with every delivery attempt stream.
#[utoipa::path(get, path = "/api/v1/notifications/{id}", tag = "notifications",
    params(("id" = String, Path)),
    responses((status = 200, body = NotificationOut), (status = 404, body = ErrorBody)))]
async fn get_notification(State(state): State<AppState>, _caller: Caller, Path(id): Path<String>) -> Result<Json<NotificationOut>, ApiError> {
    let n = state.store.notification(&id).await?.ok_or_else(|| ApiError::not_found("notification"))?;
    let deliveries = state.store.deliveries(&id).await?;
    Ok(Json(NotificationOut::from_record(n, Some(deliveries))))
}

/// Acknowledge a notification: the caller has seen it and the duty is in
/// hand. Every message about the same duty stage (to colleagues, or escalated
/// to managers) is acknowledged with it, and escalation stops. Repeating it
/// changes nothing.
#[utoipa::path(post, path = "/api/v1/notifications/{id}/acknowledge", tag = "notifications",
    params(("id" = String, Path)),
    responses((status = 200, body = NotificationOut), (status = 404, body = ErrorBody)))]
async fn acknowledge_notification(State(state): State<AppState>, Caller(actor): Caller, Path(id): Path<String>) -> Result<Json<NotificationOut>, ApiError> {
    let n = state.store.acknowledge(&id, &actor, state.clock.now()).await?;
    let deliveries = state.store.deliveries(&id).await?;
    Ok(Json(NotificationOut::from_record(n, Some(deliveries))))
}

/// The iCalendar invitation offered with a meeting duty's notification.
#[utoipa::path(get, path = "/api/v1/notifications/{id}/calendar.ics", tag = "notifications",
    params(("id" = String, Path)),
    responses((status = 200, content_type = "text/calendar", body = String), (status = 404, body = ErrorBody)))]
async fn notification_calendar(State(state): State<AppState>, _caller: Caller, Path(id): Path<String>) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let n = state.store.notification(&id).await?.ok_or_else(|| ApiError::not_found("notification"))?;
    let ics = n.calendar.ok_or_else(|| ApiError::not_found("calendar invitation (this notification is not about a meeting)"))?;
    Ok(([("content-type", "text/calendar; charset=utf-8; method=PUBLISH"), ("content-disposition", "attachment; filename=\"meeting.ics\"")], ics).into_response())
}
