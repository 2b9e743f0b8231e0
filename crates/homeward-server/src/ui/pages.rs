//! The pages: home (what to do now: children missing now, prompts to
//! consider, duties grouped by child and episode with their filters), a
//! duty's actions (mark done, confirm or dismiss a prompt, record an
//! exception), a child's record, "your access", and emergency
//! (break-glass) access.

use super::view::{DutyRow, EpisodeRow, EventRow, MissingRow, local, sentence, words};
use super::{Submitted, Viewer, Who, error_page, page, see_other};
use crate::AppState;
use crate::access::{policy_at, visibility};
use crate::error::ApiError;
use crate::http::shapes::DutyOut;
use crate::http::shapes::SessionOut;
use crate::service;
use crate::service::break_glass::may_use as may_break_glass;
use crate::service::duties::Duties;
use crate::service::notifications::Notifications;
use crate::service::sessions::session_out;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use homeward_access::{Action, classify};
use homeward_store::RecordOptions;
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;

/// Most children missing now listed on the home page.
const HOME_ROWS: usize = 50;
/// Most episodes whose duties the home page shows (the most urgent).
const HOME_GROUPS: usize = 50;
/// Most prompts to consider shown on the home page (the rest are counted,
/// and each is on its episode's page): a long list made the page too slow
/// and too long to use.
const HOME_PROMPTS: usize = 50;
/// Most duties read for each list on the home page.
const HOME_DUTIES: i64 = 500;

/// The home page's filters, as plain GET parameters: whose duties
/// (`owner=me`, `team=…`, neither: every duty of the authorities the
/// viewer may see) and when (`when=overdue|today|week`, absent: all open).
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct HomeQuery {
    owner: Option<String>,
    team: Option<String>,
    when: Option<String>,
    /// What the viewer has just recorded, said in a banner (see [`recorded`]).
    done: Option<String>,
}

/// The banner after a duty's action has been recorded.
pub(super) fn banner(done: Option<&str>) -> Option<&'static str> {
    match done? {
        "done" => Some("Duty marked done. It is on the child's record with your name."),
        "exception" => Some("Exception recorded, with its reason and who authorised it."),
        "confirmed" => Some("Prompt confirmed. It is on the child's record with your name."),
        "dismissed" => Some("Prompt dismissed. It is on the child's record with your name."),
        "recorded" => Some("Recorded. It is on the child's record with your name."),
        _ => None,
    }
}

/// Whose duties the home page lists.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Whose {
    Mine,
    Team,
    Authority,
}

/// When the duties listed fall due.
#[derive(Clone, Copy, PartialEq, Eq)]
enum When {
    Overdue,
    Today,
    Week,
    All,
}

impl When {
    fn parse(value: Option<&str>) -> Result<When, ApiError> {
        match value.map(str::trim).filter(|v| !v.is_empty()) {
            None | Some("all") => Ok(When::All),
            Some("overdue") => Ok(When::Overdue),
            Some("today") => Ok(When::Today),
            Some("week") => Ok(When::Week),
            Some(_) => Err(ApiError::invalid("when", "when: must be overdue, today, week or all")),
        }
    }

    fn param(self) -> &'static str {
        match self {
            When::Overdue => "overdue",
            When::Today => "today",
            When::Week => "week",
            When::All => "all",
        }
    }

    fn label(self) -> &'static str {
        match self {
            When::Overdue => "Overdue",
            When::Today => "Due today",
            When::Week => "Due this week",
            When::All => "All open",
        }
    }

    /// Whether a duty (its state and due time) is one this filter lists;
    /// `end_of_today` and `week` are instants (seconds).
    fn holds(self, d: &DutyRow, end_of_today: i64, week: i64) -> bool {
        let overdue = d.state == "overdue";
        match self {
            When::Overdue => overdue,
            When::Today => !overdue && d.due_at < end_of_today,
            When::Week => !overdue && d.due_at < week,
            When::All => true,
        }
    }
}

/// One choice of a filter: a plain link, with how many duties it lists.
struct FilterLink {
    label: String,
    href: String,
    /// "12", or "at least 12" when the list it counts was cut at its limit.
    count: String,
    current: bool,
}

/// A count of rows of a list read with a limit: exact below it.
fn counted(n: usize, list_len: usize) -> String {
    if list_len >= HOME_DUTIES as usize { format!("at least {n}") } else { n.to_string() }
}

/// A child's episode and the duties of it that the filters list.
struct DutyGroup {
    /// The group's id on the page.
    anchor: String,
    /// Its table's caption, read aloud.
    caption: String,
    child: String,
    child_name: String,
    episode: String,
    /// The episode's risk grade, in words; None when the viewer may not see it.
    risk: Option<String>,
    risk_code: String,
    missing_now: bool,
    overdue: usize,
    duties: Vec<DutyRow>,
}

/// A child missing now, how long for, and what is overdue for the episode.
struct MissingNow {
    row: MissingRow,
    /// The risk grade in words.
    risk: String,
    missing_for: String,
    /// How many duties of the episode are overdue, and the first few of them.
    overdue: usize,
    overdue_first: Vec<String>,
    /// The episode's duties, overdue ones, on this page.
    overdue_href: String,
}

/// The id of a child's episode's group of duties on the home page.
fn group_anchor(child: &str, episode: &str) -> String {
    format!("group-{}-{}", super::view::segment(child), super::view::segment(episode))
}

/// Most overdue duties named for each child missing now (the rest are counted).
const OVERDUE_NAMED: usize = 3;

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    who: Option<Who>,
    csrf_token: String,
    /// When the page was made, in UK time: times missing are as of then.
    as_of: String,
    /// The page's own address with its filters, for the forms to come back to.
    back: String,
    /// The same, encoded as a link's query parameter.
    back_query: String,
    missing: Vec<MissingNow>,
    to_consider: Vec<DutyRow>,
    /// How many prompts wait to be considered ("at least 500" past the read limit).
    prompts_total: String,
    /// Fewer prompts are shown than wait.
    prompts_cut: bool,
    whose: Vec<FilterLink>,
    when: Vec<FilterLink>,
    when_label: String,
    groups: Vec<DutyGroup>,
    /// How many duties the filters list ("at least …" when cut at the limit).
    shown: String,
    one: bool,
    /// The most duties read for a list.
    limit: i64,
    capped: bool,
    /// How many episodes have duties the filters list (more than are shown
    /// when over [`HOME_GROUPS`]).
    episodes: usize,
    most_groups: usize,
    /// Messages not yet acknowledged ("at least …" when cut at the limit).
    waiting_notifications: String,
    one_notification: bool,
    /// What has just been recorded.
    banner: Option<&'static str>,
}

/// The names of `children` that the viewer may know (identity class).
async fn names(state: &AppState, viewer: &Viewer, children: &[&DutyOut]) -> Result<HashMap<String, String>, ApiError> {
    let mut ids: Vec<String> = children.iter().map(|d| d.child.clone()).collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let filter = homeward_store::ChildFilter {
        ids: ids.clone(),
        limit: ids.len() as i64,
        visible: Some(visibility(state, &viewer.0, Action::Read, classify::IDENTITY)),
        ..Default::default()
    };
    let rows = state.store.children(&filter).await?;
    Ok(rows.into_iter().map(|c| (c.id, format!("{} {}", c.given_name, c.family_name))).collect())
}

/// The risk grade of each episode of `children`, for those whose episodes
/// the viewer may see (the same class as the list of children missing now).
async fn risks(state: &AppState, viewer: &Viewer, children: &[String]) -> Result<HashMap<(String, String), String>, ApiError> {
    let mut risks = HashMap::new();
    if children.is_empty() {
        return Ok(risks);
    }
    let visible = visibility(state, &viewer.0, Action::Read, classify::EPISODE);
    for (child, episode, risk) in state.store.episode_risks(children, Some(&visible)).await? {
        risks.insert((child, episode), risk);
    }
    Ok(risks)
}

/// High first; an episode whose grade is not shown last.
fn risk_rank(risk: &str) -> u8 {
    match risk {
        "high" => 0,
        "medium" => 1,
        "low" => 2,
        "no_apparent_risk" => 3,
        _ => 4,
    }
}

/// How long a child has been missing, from whole hours: "2 days 5 hours", "less than an hour".
pub(super) fn missing_for(hours: i64) -> String {
    let plural = |n: i64, one: &str| if n == 1 { format!("1 {one}") } else { format!("{n} {one}s") };
    match (hours / 24, hours % 24) {
        (0, 0) => "less than an hour".to_string(),
        (0, h) => plural(h, "hour"),
        (d, 0) => plural(d, "day"),
        (d, h) => format!("{} {}", plural(d, "day"), plural(h, "hour")),
    }
}

pub async fn home(State(state): State<AppState>, viewer: Viewer, RawQuery(query): RawQuery) -> Response {
    let who = viewer.who();
    let query = match crate::http::Query::<HomeQuery>::parse(query.as_deref().unwrap_or_default()) {
        Ok(q) => q,
        Err(e) => return error_page(e, who),
    };
    match home_page(&state, &viewer, &query).await {
        Ok(home) => page(&Home { who, ..home }, StatusCode::OK),
        Err(e) => error_page(e, who),
    }
}

async fn home_page(state: &AppState, viewer: &Viewer, query: &crate::http::Query<HomeQuery>) -> Result<Home, ApiError> {
    let caller = &viewer.0;
    let params = &query.params;
    let team = caller.identity.user.team.clone();
    let whose = match (crate::http::text(&params.owner).as_deref(), crate::http::text(&params.team)) {
        (Some("me"), _) => Whose::Mine,
        (Some(_), _) => return Err(ApiError::invalid("owner", "owner: must be me")),
        (None, Some(t)) if Some(&t) == team.as_ref() => Whose::Team,
        (None, Some(_)) => return Err(ApiError::invalid("team", "team: must be your own team")),
        (None, None) => Whose::Authority,
    };
    let when = When::parse(params.when.as_deref())?;
    let limit = Some(HOME_DUTIES);
    let open = |owner: Option<String>, team: Option<String>| Duties { owner, team, limit, ..Duties::default() };

    let missing = service::missing::list(state, caller, None).await?;
    let all = service::duties::list(state, caller, open(None, None)).await?;
    let mine = service::duties::list(state, caller, open(Some("me".to_string()), None)).await?;
    let teams = match &team {
        Some(t) => Some(service::duties::list(state, caller, open(None, Some(t.clone()))).await?),
        None => None,
    };
    let to_consider = service::duties::list(
        state,
        caller,
        Duties {
            to_consider: true,
            limit,
            owner: (whose == Whose::Mine).then(|| "me".to_string()),
            team: (whose == Whose::Team).then(|| team.clone()).flatten(),
            ..Duties::default()
        },
    )
    .await?;
    let waiting = service::notifications::list(state, caller, Notifications { waiting: true, limit: Some(HOME_DUTIES), ..Notifications::default() }).await?;
    // The entry is for the page, not for each list on it.
    caller.audit.set_record("home", &query.describe());

    let everything: Vec<&DutyOut> = all.iter().chain(mine.iter()).chain(teams.iter().flatten()).chain(to_consider.iter()).collect();
    let names = names(state, viewer, &everything).await?;
    let registry = state.store.registry();
    let rows = |list: Vec<DutyOut>| -> Vec<DutyRow> {
        list.into_iter()
            .map(|d| {
                let name = names.get(&d.child).cloned();
                DutyRow::new(d, name, registry)
            })
            .collect()
    };
    let (all, mine, teams) = (rows(all), rows(mine), teams.map(rows));

    let now = state.clock.now();
    let today = homeward_core::calendar::local_date(now);
    let end_of_today = today
        .tomorrow()
        .ok()
        .and_then(|d| d.to_zoned(homeward_core::calendar::london().clone()).ok())
        .map(|z| z.timestamp().as_second())
        .unwrap_or(now.as_second() + 24 * 3600);
    let week = now.as_second() + 7 * 24 * 3600;

    // What is overdue for each child missing now, whoever must act.
    let mut overdue_by_episode: HashMap<(String, String), Vec<String>> = HashMap::new();
    for d in all.iter().filter(|d| d.state == "overdue") {
        overdue_by_episode.entry((d.child.clone(), d.episode.clone())).or_default().push(d.what.clone());
    }
    let missing_now: Vec<MissingNow> = missing
        .into_iter()
        .take(HOME_ROWS)
        .map(|m| {
            let overdue = overdue_by_episode.get(&(m.child.clone(), m.episode.clone())).cloned().unwrap_or_default();
            MissingNow {
                missing_for: missing_for(m.hours_missing),
                overdue: overdue.len(),
                overdue_first: overdue.into_iter().take(OVERDUE_NAMED).collect(),
                overdue_href: format!("/?when=overdue#{}", group_anchor(&m.child, &m.episode)),
                risk: words(&m.risk),
                row: MissingRow::from(m),
            }
        })
        .collect();
    let missing_episodes: std::collections::HashSet<(String, String)> = missing_now.iter().map(|m| (m.row.child.clone(), m.row.episode.clone())).collect();

    let here = |whose: Whose, when: When| -> String {
        let mut params = Vec::new();
        match whose {
            Whose::Mine => params.push("owner=me".to_string()),
            Whose::Team => params.push(format!("team={}", super::login::encode(team.as_deref().unwrap_or_default()))),
            Whose::Authority => {}
        }
        if when != When::All {
            params.push(format!("when={}", when.param()));
        }
        if params.is_empty() { "/".to_string() } else { format!("/?{}", params.join("&")) }
    };
    // How many duties each choice lists, with the other filter as it is.
    let count_of = |list: &[DutyRow]| counted(list.iter().filter(|d| when.holds(d, end_of_today, week)).count(), list.len());
    let mut whose_links =
        vec![FilterLink { label: "My episodes".to_string(), href: here(Whose::Mine, when), count: count_of(&mine), current: whose == Whose::Mine }];
    if let Some(list) = &teams {
        whose_links.push(FilterLink {
            label: format!("My team ({})", team.clone().unwrap_or_default()),
            href: here(Whose::Team, when),
            count: count_of(list),
            current: whose == Whose::Team,
        });
    }
    whose_links.push(FilterLink {
        label: "My authority".to_string(),
        href: here(Whose::Authority, when),
        count: count_of(&all),
        current: whose == Whose::Authority,
    });
    let selected: Vec<DutyRow> = match whose {
        Whose::Mine => mine,
        Whose::Team => teams.unwrap_or_default(),
        Whose::Authority => all,
    };
    let count_when = |w: When| counted(selected.iter().filter(|d| w.holds(d, end_of_today, week)).count(), selected.len());
    let capped = selected.len() >= HOME_DUTIES as usize;
    let when_links = [When::Overdue, When::Today, When::Week, When::All]
        .into_iter()
        .map(|w| FilterLink { label: w.label().to_string(), href: here(whose, w), count: count_when(w), current: w == when })
        .collect();

    let mut chosen: Vec<DutyRow> = selected.into_iter().filter(|d| when.holds(d, end_of_today, week)).collect();
    for d in chosen.iter_mut().filter(|d| d.state == "overdue") {
        d.late_by = Some(super::view::late_by(now.as_second() - d.due_at));
    }
    let shown = if capped { format!("at least {}", chosen.len()) } else { chosen.len().to_string() };
    let one = chosen.len() == 1;
    let mut children: Vec<String> = chosen.iter().map(|d| d.child.clone()).collect();
    children.sort();
    children.dedup();
    let risks = risks(state, viewer, &children).await?;
    let mut groups: Vec<DutyGroup> = Vec::new();
    let mut index: HashMap<(String, String), usize> = HashMap::new();
    for d in chosen {
        let key = (d.child.clone(), d.episode.clone());
        let at = *index.entry(key.clone()).or_insert_with(|| {
            let risk = risks.get(&key).cloned();
            groups.push(DutyGroup {
                anchor: group_anchor(&d.child, &d.episode),
                caption: format!("Duties of {}, episode {}, overdue first", d.child_name, d.episode),
                child: d.child.clone(),
                child_name: d.child_name.clone(),
                episode: d.episode.clone(),
                risk_code: risk.clone().unwrap_or_default(),
                risk: risk.map(|r| words(&r)),
                missing_now: missing_episodes.contains(&key),
                overdue: 0,
                duties: Vec::new(),
            });
            groups.len() - 1
        });
        let group = &mut groups[at];
        group.overdue += usize::from(d.state == "overdue");
        group.duties.push(d);
    }
    // Overdue first, then the episode's risk, then the earliest due time.
    for g in &mut groups {
        g.duties.sort_by_key(|d| (d.state != "overdue", d.due_at));
    }
    groups.sort_by_key(|g| (g.overdue == 0, risk_rank(&g.risk_code), g.duties.first().map(|d| d.due_at).unwrap_or(i64::MAX)));
    let episodes = groups.len();
    groups.truncate(HOME_GROUPS);

    Ok(Home {
        who: None,
        csrf_token: viewer.who().map(|w| w.csrf_token).unwrap_or_default(),
        as_of: local(&now.to_string()),
        back: here(whose, when),
        back_query: super::view::segment(&here(whose, when)),
        missing: missing_now,
        prompts_total: counted(to_consider.len(), to_consider.len()),
        prompts_cut: to_consider.len() > HOME_PROMPTS,
        to_consider: rows(to_consider.into_iter().take(HOME_PROMPTS).collect()),
        whose: whose_links,
        when: when_links,
        when_label: when.label().to_lowercase(),
        groups,
        shown,
        one,
        limit: HOME_DUTIES,
        capped,
        episodes,
        most_groups: HOME_GROUPS,
        waiting_notifications: counted(waiting.len(), waiting.len()),
        one_notification: waiting.len() == 1,
        banner: banner(params.done.as_deref()),
    })
}

// ------------------------------------------------------------ a child's record

struct ChildView {
    name: String,
    date_of_birth: String,
    status: String,
    responsible_authority: String,
    living_in: String,
    flags: Vec<String>,
    worker: String,
    placement_address: Option<String>,
}

struct AccessRow {
    class: String,
    rule: String,
    reason: String,
}

struct AccessLogRow {
    at: String,
    user: String,
    agency: String,
    operation: String,
    outcome: String,
    rule: String,
    break_glass: bool,
}

#[derive(Template)]
#[template(path = "child.html")]
struct ChildPage {
    who: Option<Who>,
    child_id: String,
    child: ChildView,
    break_glass: Option<String>,
    access: Vec<AccessRow>,
    show_episodes: bool,
    episodes: Vec<EpisodeRow>,
    show_duties: bool,
    duties: Vec<DutyRow>,
    events: Vec<EventRow>,
    access_log: Option<Vec<AccessLogRow>>,
    /// The latest photograph: its address and text alternative.
    photo: Option<(String, String)>,
}

pub async fn child(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> Response {
    let who = viewer.who();
    match child_page(&state, &viewer, &id).await {
        Ok(p) => page(&ChildPage { who, ..p }, StatusCode::OK),
        Err(e) if e.status == StatusCode::NOT_FOUND => not_found(&state, &viewer, &id),
        Err(e) => error_page(e, who),
    }
}

/// Hidden records and records that do not exist look the same; both
/// offer break-glass to those who may use it.
pub(super) fn not_found(state: &AppState, viewer: &Viewer, id: &str) -> Response {
    let offer = super::ErrorPage {
        who: viewer.who(),
        title: "Not found".to_string(),
        message: "There is no record with this reference that you may see.".to_string(),
        rule: None,
        break_glass_for: may_break_glass(state, &viewer.0).then(|| id.to_string()),
    };
    page(&offer, StatusCode::NOT_FOUND)
}

async fn child_page(state: &AppState, viewer: &Viewer, id: &str) -> Result<ChildPage, ApiError> {
    let caller = &viewer.0;
    let timeline = service::children::timeline(state, caller, id).await?;
    let readable = |class: &str| timeline.access.iter().any(|a| a.class == class);
    let policy = policy_at(state, state.clock.now());
    // Read under a break-glass grant: say until when, as the rule that allows it says.
    let under_break_glass = timeline.access.iter().find_map(|a| policy.rule(&a.rule).filter(|r| policy.is_break_glass_rule(&r.id))).map(|r| r.lasts_hours);
    let access = timeline
        .access
        .iter()
        .map(|a| AccessRow {
            class: words(&a.class),
            rule: a.rule.clone(),
            reason: policy
                .rules
                .iter()
                .find(|r| r.id == a.rule)
                .map(|r| r.reason.clone())
                .unwrap_or_else(|| "Emergency (break-glass) access you asked for, with your reason.".to_string()),
        })
        .collect();
    let access_log = if readable(classify::ACCESS_LOG) {
        let log = service::access_log::list(state, caller, id, Some(200)).await?;
        let mut people: HashMap<String, String> = HashMap::new();
        let mut rows = Vec::new();
        for entry in log {
            let user = match entry.user {
                Some(user_id) => match people.get(&user_id) {
                    Some(name) => name.clone(),
                    None => {
                        let name = state.store.identity_by_id(&user_id).await?.map(|i| i.user.display_name).unwrap_or_else(|| user_id.clone());
                        people.insert(user_id, name.clone());
                        name
                    }
                },
                None => "unknown".to_string(),
            };
            rows.push(AccessLogRow {
                at: local(&entry.at),
                user,
                agency: format!("{} · {}", entry.agency.unwrap_or_default(), words(&entry.role.unwrap_or_default())),
                operation: entry.operation,
                outcome: entry.outcome,
                rule: entry.rule.unwrap_or_default(),
                break_glass: entry.break_glass,
            });
        }
        Some(rows)
    } else {
        None
    };
    let c = timeline.child;
    let name = format!("{} {}", c.given_name, c.family_name);
    let photo = state.store.photos(id).await?.into_iter().next().map(|p| {
        (
            format!("/children/{id}/photos/{}", p.id),
            format!(
                "Photograph of {name}, taken {}",
                p.taken_on.parse::<jiff::civil::Date>().map(|d| d.strftime("%-d %B %Y").to_string()).unwrap_or(p.taken_on.clone())
            ),
        )
    });
    let duty_names: HashMap<String, String> = timeline.duties.iter().map(|d| (d.id.clone(), d.what.clone())).collect();
    Ok(ChildPage {
        who: None,
        child_id: c.id.clone(),
        child: ChildView {
            name: name.clone(),
            date_of_birth: c.date_of_birth,
            status: words(&c.status),
            responsible_authority: c.responsible_authority,
            living_in: c.living_in,
            flags: c.flags.iter().map(|f| words(f)).collect(),
            worker: [c.allocated_worker, c.team].into_iter().flatten().collect::<Vec<_>>().join(", "),
            placement_address: c.placement_address,
        },
        break_glass: under_break_glass.map(|hours| match hours {
            Some(h) => format!("{} after it was granted", homeward_core::duration::Duration::Hours(h).describe()),
            None => "when the grant ends".to_string(),
        }),
        access,
        show_episodes: readable(classify::MISSING_STATUS),
        episodes: timeline.episodes.into_iter().map(EpisodeRow::from).collect(),
        show_duties: readable(classify::DUTIES),
        duties: timeline.duties.into_iter().map(|d| DutyRow::new(d, Some(name.clone()), state.store.registry())).collect(),
        events: timeline.events.into_iter().map(|e| event_row(e, &duty_names, &timeline.access)).collect(),
        access_log,
        photo,
    })
}

/// An event as a page shows it; a link to its printable record only for
/// those who may read its content (`access`: what the reader may read).
pub(super) fn event_row(e: crate::http::shapes::EventOut, duty_names: &HashMap<String, String>, access: &[crate::http::shapes::AccessOut]) -> EventRow {
    let content = classify::note_class(&e.event_type, e.body.get("kind").and_then(|k| k.as_str()));
    let printable = access.iter().any(|a| a.class == content);
    let mut row = EventRow::new(e, duty_names);
    row.print &= printable;
    row
}

// ------------------------------------------------------------ your access

struct RuleRow {
    id: String,
    reason: String,
    actions: String,
    classes: String,
    relations: String,
    unless_flags: String,
    cite: String,
}

#[derive(Template)]
#[template(path = "me.html")]
struct Me {
    who: Option<Who>,
    me: SessionOut,
    role: String,
    authorities: String,
    rules: Vec<RuleRow>,
    /// The grant that lets them administer accounts: (id, reason, whose).
    administration: Option<(String, String, &'static str)>,
}

pub async fn me(State(state): State<AppState>, viewer: Viewer) -> Response {
    let caller = &viewer.0;
    caller.audit.set_record("user", &caller.identity.user.id);
    let me = session_out(&state, &caller.identity, None, None);
    let list = |items: &[String]| items.iter().map(|i| words(i)).collect::<Vec<_>>().join(", ");
    let rules = me
        .rules
        .iter()
        .map(|r| RuleRow {
            id: r.id.clone(),
            reason: r.reason.clone(),
            actions: list(&r.actions),
            classes: list(&r.classes),
            relations: list(&r.relations),
            unless_flags: list(&r.unless_flags),
            cite: r.cite.join("; "),
        })
        .collect();
    let authorities = me.authorities.join(", ");
    let role = words(&me.role);
    let administration = crate::access::policy_at(&state, state.clock.now()).administration(&caller.principal).map(|g| {
        let whose = if g.scope == homeward_access::Scope::AllAgencies { "every agency's accounts" } else { "your agency's accounts" };
        (g.id.clone(), g.reason.clone(), whose)
    });
    page(&Me { who: viewer.who(), me, role, authorities, rules, administration }, StatusCode::OK)
}

// ------------------------------------------------------------ break-glass

#[derive(Template)]
#[template(path = "break_glass.html")]
struct BreakGlassPage {
    who: Option<Who>,
    child: String,
    csrf_token: String,
    reason: String,
    error: Option<String>,
    /// How long a grant lasts, as the policy's break-glass rule says ("4 hours").
    lasts: String,
}

/// How long the viewer's break-glass grant would last, in words.
fn grant_lasts(state: &AppState, viewer: &Viewer) -> String {
    service::break_glass::lasts_hours(state, &viewer.0).map(|h| homeward_core::duration::Duration::Hours(h).describe()).unwrap_or_default()
}

fn refused_break_glass(viewer: &Viewer) -> Response {
    viewer.0.audit.refused(classify::IDENTITY, homeward_access::DEFAULT_DENY);
    error_page(ApiError::new(StatusCode::FORBIDDEN, "forbidden", "Your role may not use emergency (break-glass) access.", None), viewer.who())
}

pub async fn break_glass_form(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> Response {
    viewer.0.audit.set_record("child", &id);
    if !may_break_glass(&state, &viewer.0) {
        return refused_break_glass(&viewer);
    }
    let csrf_token = viewer.who().map(|w| w.csrf_token).unwrap_or_default();
    let lasts = grant_lasts(&state, &viewer);
    page(&BreakGlassPage { who: viewer.who(), child: id, csrf_token, reason: String::new(), error: None, lasts }, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct BreakGlassForm {
    #[allow(dead_code)]
    csrf_token: String,
    reason: String,
}

pub async fn break_glass(State(state): State<AppState>, Path(id): Path<String>, submitted: Submitted<BreakGlassForm>) -> Response {
    let Submitted { viewer, form } = submitted;
    if !may_break_glass(&state, &viewer.0) {
        return refused_break_glass(&viewer);
    }
    match service::break_glass::grant(&state, &viewer.0, &id, form.reason.trim()).await {
        Ok(_) => see_other(&format!("/children/{id}")),
        // The reason is the form's one field: show the problem beside it.
        Err(e) if e.body.field.as_deref() == Some("reason") => {
            let csrf_token = viewer.who().map(|w| w.csrf_token).unwrap_or_default();
            let error = Some(format!("Say why you need this record now ({})", e.body.message));
            let lasts = grant_lasts(&state, &viewer);
            page(&BreakGlassPage { who: viewer.who(), child: id, csrf_token, reason: form.reason, error, lasts }, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) if e.status == StatusCode::NOT_FOUND => not_found(&state, &viewer, &id),
        Err(e) => error_page(e, viewer.who()),
    }
}

// ------------------------------------------------------------ a duty's actions

/// Where a duty's form goes back to: the home page with its filters, or
/// an episode's page (`/children/{child}/episodes/{episode}`), never elsewhere.
fn back_to(back: &str) -> &str {
    let home = back == "/" || (back.starts_with("/?") && !back.contains(['\r', '\n']));
    if home || is_episode_page(back) { back } else { "/" }
}

/// Whether `path` is an episode page's path: two plain segments, nothing else.
fn is_episode_page(path: &str) -> bool {
    let plain = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'%' | b'~'));
    let mut parts = path.split('/');
    matches!(
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next()),
        (Some(""), Some("children"), Some(child), Some("episodes"), Some(episode), None) if plain(child) && plain(episode)
    )
}

/// The application's clock, to the second, as events are written.
fn now_text(state: &AppState) -> String {
    let now = state.clock.now();
    jiff::Timestamp::from_second(now.as_second()).unwrap_or(now).to_string()
}

#[derive(Deserialize)]
pub struct DutyForm {
    #[allow(dead_code)]
    csrf_token: String,
    #[serde(default)]
    back: String,
    /// A prompt's decision: `confirmed` or `dismissed`.
    #[serde(default)]
    decision: Option<String>,
}

/// Back to the page a form came from, saying what was recorded (`done`).
fn back_saying(back: &str, done: &str) -> String {
    let back = back_to(back);
    format!("{back}{}done={done}", if back.contains('?') { '&' } else { '?' })
}

/// What recording a duty's event answers with: back to the page it came
/// from, saying what was recorded (`done`), or the problem.
fn recorded(state: &AppState, viewer: &Viewer, child: &str, back: &str, done: &str, result: Result<crate::http::shapes::RecordedOut, ApiError>) -> Response {
    match result {
        Ok(_) => see_other(&back_saying(back, done)),
        Err(e) if e.status == StatusCode::NOT_FOUND => not_found(state, viewer, child),
        Err(e) => error_page(e, viewer.who()),
    }
}

/// "Mark done": records the event that satisfies the duty (`duty_done`).
pub async fn duty_done(State(state): State<AppState>, Path((child, duty)): Path<(String, String)>, submitted: Submitted<DutyForm>) -> Response {
    let Submitted { viewer, form } = submitted;
    let event = json!({"type": "duty_done", "at": now_text(&state), "duty": duty});
    let result = service::events::record(&state, &viewer.0, &child, event, RecordOptions::default()).await;
    recorded(&state, &viewer, &child, &form.back, "done", result)
}

/// A prompt confirmed or dismissed (`prompt_considered`; who decided is the caller).
pub async fn prompt_considered(State(state): State<AppState>, Path((child, duty)): Path<(String, String)>, submitted: Submitted<DutyForm>) -> Response {
    let Submitted { viewer, form } = submitted;
    let decision = form.decision.as_deref().unwrap_or_default();
    if !matches!(decision, "confirmed" | "dismissed") {
        viewer.0.audit.set_record("child", &child);
        return error_page(ApiError::invalid("decision", "decision: must be confirmed or dismissed"), viewer.who());
    }
    let event = json!({"type": "prompt_considered", "at": now_text(&state), "duty": duty, "decision": decision});
    let result = service::events::record(&state, &viewer.0, &child, event, RecordOptions::default()).await;
    recorded(&state, &viewer, &child, &form.back, decision, result)
}

/// A problem with one field of a form, shown in the error summary and beside the field.
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

#[derive(Template)]
#[template(path = "exception.html")]
struct ExceptionPage {
    who: Option<Who>,
    csrf_token: String,
    duty: DutyRow,
    back: String,
    reason: String,
    authorised_by: String,
    errors: Vec<FieldError>,
}

impl ExceptionPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors.iter().find(|e| e.field == field).map(|e| e.message.as_str())
    }
}

/// The open duty `duty` of `child`, as the viewer may see it.
async fn open_duty(state: &AppState, viewer: &Viewer, child: &str, duty: &str) -> Result<DutyRow, ApiError> {
    let caller = &viewer.0;
    caller.audit.set_record("child", child);
    let duties = service::duties::list(state, caller, Duties { child: Some(child.to_string()), limit: Some(10_000), ..Duties::default() }).await?;
    let d = duties.into_iter().find(|d| d.id == duty).ok_or_else(|| ApiError::not_found("open duty"))?;
    let name = names(state, viewer, &[&d]).await?.remove(&d.child);
    Ok(DutyRow::new(d, name, state.store.registry()))
}

#[derive(Deserialize)]
pub struct BackQuery {
    back: Option<String>,
}

/// "Record an exception": the form.
pub async fn exception_form(State(state): State<AppState>, viewer: Viewer, Path((child, duty)): Path<(String, String)>, RawQuery(query): RawQuery) -> Response {
    let back = serde_urlencoded::from_str::<BackQuery>(query.as_deref().unwrap_or_default()).ok().and_then(|q| q.back).unwrap_or_default();
    match open_duty(&state, &viewer, &child, &duty).await {
        Ok(duty) => {
            let csrf_token = viewer.who().map(|w| w.csrf_token).unwrap_or_default();
            let back = back_to(&back).to_string();
            page(
                &ExceptionPage { who: viewer.who(), csrf_token, duty, back, reason: String::new(), authorised_by: String::new(), errors: Vec::new() },
                StatusCode::OK,
            )
        }
        Err(e) => error_page(e, viewer.who()),
    }
}

#[derive(Deserialize)]
pub struct ExceptionForm {
    #[allow(dead_code)]
    csrf_token: String,
    #[serde(default)]
    back: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    authorised_by: String,
}

/// "Record an exception": records `exception` with the reason and who
/// authorised it; with a field missing or refused, the form again with the
/// problems, and nothing written.
pub async fn exception(State(state): State<AppState>, Path((child, duty)): Path<(String, String)>, submitted: Submitted<ExceptionForm>) -> Response {
    let Submitted { viewer, form } = submitted;
    let mut errors = Vec::new();
    if form.reason.trim().is_empty() {
        errors.push(FieldError { field: "reason", message: "Enter the reason for the exception".to_string() });
    }
    if form.authorised_by.trim().is_empty() {
        errors.push(FieldError { field: "authorised_by", message: "Enter who authorised the exception".to_string() });
    }
    if errors.is_empty() {
        let event =
            json!({"type": "exception", "at": now_text(&state), "duty": duty, "reason": form.reason.trim(), "authorised_by": form.authorised_by.trim()});
        match service::events::record(&state, &viewer.0, &child, event, RecordOptions::default()).await {
            Ok(_) => return see_other(&back_saying(&form.back, "exception")),
            Err(e) => {
                let field = e.body.field.as_deref().unwrap_or_default();
                let field = ["reason", "authorised_by"].into_iter().find(|f| field == *f || field.ends_with(&format!(".{f}")));
                match field {
                    Some(field) => errors.push(FieldError { field, message: sentence(&e.body.message) }),
                    None if e.status == StatusCode::NOT_FOUND => return not_found(&state, &viewer, &child),
                    None => return error_page(e, viewer.who()),
                }
            }
        }
    }
    match open_duty(&state, &viewer, &child, &duty).await {
        Ok(duty_row) => {
            let csrf_token = viewer.who().map(|w| w.csrf_token).unwrap_or_default();
            let back = back_to(&form.back).to_string();
            let page_ = ExceptionPage { who: viewer.who(), csrf_token, duty: duty_row, back, reason: form.reason, authorised_by: form.authorised_by, errors };
            page(&page_, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => error_page(e, viewer.who()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_missing_reads_in_days_and_hours() {
        assert_eq!(missing_for(0), "less than an hour");
        assert_eq!(missing_for(1), "1 hour");
        assert_eq!(missing_for(24), "1 day");
        assert_eq!(missing_for(49), "2 days 1 hour");
        assert_eq!(missing_for(24 * 9 + 5), "9 days 5 hours");
    }

    #[test]
    fn a_form_goes_back_to_the_home_page_or_an_episode_page_only() {
        assert_eq!(back_saying("/?when=overdue", "done"), "/?when=overdue&done=done");
        assert_eq!(back_saying("/", "exception"), "/?done=exception");
        assert_eq!(back_saying("https://evil.example/", "done"), "/?done=done");
        assert_eq!(back_saying("//evil.example/", "done"), "/?done=done");
        assert_eq!(back_saying("/children/x", "done"), "/?done=done");
        assert_eq!(back_saying("/children/c-1/episodes/e2", "done"), "/children/c-1/episodes/e2?done=done");
        assert_eq!(back_saying("/children/c-1/episodes/e2/../../x", "done"), "/?done=done");
        assert_eq!(back_saying("/children/c 1/episodes/e2", "done"), "/?done=done");
        assert_eq!(back_saying("/children//episodes/e2", "done"), "/?done=done");
    }

    #[test]
    fn risk_orders_high_first_and_unknown_last() {
        let mut grades = vec!["low", "", "high", "no_apparent_risk", "medium"];
        grades.sort_by_key(|r| risk_rank(r));
        assert_eq!(grades, vec!["high", "medium", "low", "no_apparent_risk", ""]);
    }
}
