//! The child's profile pages: the profile and trigger plan with its change
//! form and history, photographs, associates and places, the chronology, and
//! a printable trigger plan. Thin pages over `service::profiles`, which
//! decides and audits.

use super::view::{local, words};
use super::{Submitted, Viewer, Who, error_page, page, see_other};
use crate::AppState;
use crate::error::ApiError;
use crate::service::profiles::{self, ChangeError, FieldProblem, LinkInput, Online, Person, Phone, Profile, ProfileOut};
use askama::Template;
use axum::extract::{FromRequestParts, Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use homeward_store::{Child, LinkKind};
use std::collections::HashMap;

fn name_of(c: &Child) -> String {
    format!("{} {}", c.given_name, c.family_name)
}

fn instant(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds).map(|t| local(&t.to_string())).unwrap_or_default()
}

/// "2026-03-01" as "1 March 2026".
fn day(date: &str) -> String {
    date.parse::<jiff::civil::Date>().map(|d| d.strftime("%-d %B %Y").to_string()).unwrap_or_else(|_| date.to_string())
}

fn legal_status_words(key: &str) -> String {
    profiles::LEGAL_STATUSES.iter().find(|(k, _)| *k == key).map(|(_, l)| l.to_string()).unwrap_or_else(|| key.to_string())
}

/// The latest photograph, as the page shows it.
struct PhotoView {
    url: String,
    alt: String,
    taken: String,
    consents: String,
}

fn photo_view(child_id: &str, name: &str, p: &homeward_store::PhotoMeta) -> PhotoView {
    let yes_no = |b: i64| if b != 0 { "yes" } else { "no" };
    PhotoView {
        url: format!("/children/{child_id}/photos/{}", p.id),
        alt: format!("Photograph of {name}, taken {}", day(&p.taken_on)),
        taken: day(&p.taken_on),
        consents: format!(
            "For investigation: {}. For the media: {}. Child's agreement: {}.",
            yes_no(p.consent_investigation),
            yes_no(p.consent_media),
            yes_no(p.child_agreed)
        ),
    }
}

struct LinkRow {
    url: String,
    name: String,
    details: String,
    reason: String,
    linked: String,
}

struct EpisodeLine {
    started: String,
    returned: String,
    category: String,
    risk: String,
    duration: String,
}

fn duration_words(seconds: i64) -> String {
    let hours = seconds / 3600;
    if hours < 1 {
        format!("{} minutes", seconds / 60)
    } else if hours < 48 {
        format!("{hours} hours")
    } else {
        format!("{} days {} hours", hours / 24, hours % 24)
    }
}

#[derive(Template)]
#[template(path = "profile/show.html")]
struct ShowPage {
    who: Option<Who>,
    child_id: String,
    name: String,
    out: ProfileOut,
    legal_status: String,
    next_review: String,
    photo: Option<PhotoView>,
    associates: Vec<LinkRow>,
    places: Vec<LinkRow>,
    show_episodes: bool,
    episodes: Vec<EpisodeLine>,
    chronology: Option<profiles::Chronology>,
    version_line: String,
}

async fn show_page(state: &AppState, viewer: &Viewer, id: &str) -> Result<ShowPage, ApiError> {
    let caller = &viewer.0;
    let out = profiles::profile(state, caller, id).await?;
    let name = name_of(&out.child);
    let (associates, places) = if out.plan_readable { link_rows(state, viewer, id).await? } else { (Vec::new(), Vec::new()) };
    let chronology = profiles::chronology(state, caller, id, &out.facts).await?;
    let show_episodes = crate::access::may_read(state, caller, &out.facts, homeward_access::classify::MISSING_STATUS);
    let details = crate::access::may_read(state, caller, &out.facts, homeward_access::classify::EPISODE);
    let now = state.clock.now().as_second();
    let mut episodes: Vec<EpisodeLine> = if show_episodes {
        state
            .store
            .episodes(id)
            .await?
            .into_iter()
            .map(|e| EpisodeLine {
                started: instant(e.started_at),
                returned: e.returned_at.map(instant).unwrap_or_else(|| "Still missing".to_string()),
                category: if details { words(&e.category) } else { String::new() },
                risk: if details { words(&e.risk) } else { String::new() },
                duration: duration_words(e.returned_at.unwrap_or(now) - e.started_at),
            })
            .collect()
    } else {
        Vec::new()
    };
    episodes.reverse();
    let version_line = match &out.version {
        Some(v) => format!("Version {}, changed {} by {} ({})", v.version, instant(v.changed_at), v.changed_by, v.changed_agency),
        None => "No profile has been recorded yet.".to_string(),
    };
    Ok(ShowPage {
        who: viewer.who(),
        child_id: id.to_string(),
        legal_status: legal_status_words(&out.profile.legal_status),
        next_review: if out.profile.next_review.is_empty() { String::new() } else { day(&out.profile.next_review) },
        photo: out.photo.as_ref().map(|p| photo_view(id, &name, p)),
        name,
        out,
        associates,
        places,
        show_episodes,
        episodes,
        chronology: show_episodes.then_some(chronology),
        version_line,
    })
}

async fn link_rows(state: &AppState, viewer: &Viewer, id: &str) -> Result<(Vec<LinkRow>, Vec<LinkRow>), ApiError> {
    let (associates, places) = profiles::links(state, &viewer.0, id).await?;
    let associates = associates
        .into_iter()
        .map(|(a, l)| LinkRow {
            url: format!("/associates/{}", a.id),
            details: a.marker_list().iter().map(|m| m.to_uppercase()).collect::<Vec<_>>().join(", "),
            name: a.name,
            reason: l.reason,
            linked: format!("{} by {}", instant(l.linked_at), l.linked_by),
        })
        .collect();
    let places = places
        .into_iter()
        .map(|(p, l)| LinkRow {
            url: format!("/places/{}", p.id),
            details: [words(&p.kind), p.postcode].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(", "),
            name: p.name,
            reason: l.reason,
            linked: format!("{} by {}", instant(l.linked_at), l.linked_by),
        })
        .collect();
    Ok((associates, places))
}

/// The profile page.
pub async fn show(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> Response {
    match show_page(&state, &viewer, &id).await {
        Ok(p) => page(&p, StatusCode::OK),
        Err(e) => error_page(e, viewer.who()),
    }
}

#[derive(Template)]
#[template(path = "profile/print.html")]
struct PrintPage {
    who: Option<Who>,
    title: String,
    show: ShowPage,
    date_of_birth: String,
    printed: String,
}

/// The trigger plan as an A4 page, titled as the child's authority's document calls it.
pub async fn print(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> Response {
    let show = match show_page(&state, &viewer, &id).await {
        Ok(p) => p,
        Err(e) => return error_page(e, viewer.who()),
    };
    let today = homeward_core::calendar::local_date(state.clock.now());
    let protocol = state.store.registry().in_force(&show.out.child.responsible_authority, today).map(|p| p.id.clone()).unwrap_or_default();
    let title = match protocol.as_str() {
        "pan-lancashire" => "Missing from home Trigger Plan & Profile",
        "newham" => "Child and Young Person's Trigger Plan",
        _ => "Missing trigger plan and profile",
    };
    let p = PrintPage {
        who: viewer.who(),
        title: title.to_string(),
        date_of_birth: day(&show.out.child.date_of_birth),
        printed: local(&state.clock.now().to_string()),
        show,
    };
    page(&p, StatusCode::OK)
}

// ------------------------------------------------------------ changing the profile

#[derive(Template)]
#[template(path = "profile/change.html")]
struct ChangePage {
    who: Option<Who>,
    csrf_token: String,
    child_id: String,
    name: String,
    plan_readable: bool,
    profile: Profile,
    groups: Vec<RowGroup>,
    places_frequented: String,
    legal_statuses: &'static [(&'static str, &'static str)],
    review_day: String,
    review_month: String,
    review_year: String,
    problems: Vec<FieldProblem>,
}

impl ChangePage {
    fn problem(&self, field: &str) -> Option<&str> {
        self.problems.iter().find(|p| p.field == field).map(|p| p.message.as_str())
    }

    fn err(&self, field: &str) -> &str {
        if self.problem(field).is_some() { " field-error" } else { "" }
    }
}

/// Rows of a list in the form (phones, online accounts, people).
struct RowGroup {
    title: &'static str,
    hint: &'static str,
    rows: Vec<FormRow>,
}

struct FormRow {
    legend: String,
    /// (input id, label, value)
    fields: Vec<(String, &'static str, String)>,
}

fn change_page(
    viewer: &Viewer,
    child_id: &str,
    name: String,
    plan_readable: bool,
    profile: Profile,
    review: [String; 3],
    problems: Vec<FieldProblem>,
) -> ChangePage {
    let blank = 2;
    let mut phones = profile.phones.clone();
    phones.extend(std::iter::repeat_n(Phone::default(), blank));
    let mut online = profile.online.clone();
    online.extend(std::iter::repeat_n(Online::default(), blank));
    let mut family = profile.family.clone();
    family.extend(std::iter::repeat_n(Person::default(), blank));
    let [review_day, review_month, review_year] = review;
    let row = |legend: String, fields: Vec<(String, &'static str, String)>| FormRow { legend, fields };
    let groups = vec![
        RowGroup {
            title: "Phones",
            hint: "",
            rows: phones
                .into_iter()
                .enumerate()
                .map(|(i, p)| {
                    row(
                        format!("Phone {}", i + 1),
                        vec![(format!("phone_number_{i}"), "Number", p.number), (format!("phone_make_model_{i}"), "Make and model", p.make_model)],
                    )
                })
                .collect(),
        },
        RowGroup {
            title: "Online identity",
            hint: "Never record passwords here: say who holds them.",
            rows: online
                .into_iter()
                .enumerate()
                .map(|(i, o)| {
                    row(
                        format!("Online account {}", i + 1),
                        vec![
                            (format!("online_platform_{i}"), "Platform", o.platform),
                            (format!("online_username_{i}"), "Username", o.username),
                            (format!("online_passwords_held_by_{i}"), "Who holds the passwords", o.passwords_held_by),
                        ],
                    )
                })
                .collect(),
        },
        RowGroup {
            title: "Family and people important to the child",
            hint: "",
            rows: family
                .into_iter()
                .enumerate()
                .map(|(i, p)| {
                    row(
                        format!("Person {}", i + 1),
                        vec![
                            (format!("family_name_{i}"), "Name", p.name),
                            (format!("family_relationship_{i}"), "Relationship to the child", p.relationship),
                            (format!("family_contact_{i}"), "Address, phone or other contact", p.contact),
                        ],
                    )
                })
                .collect(),
        },
    ];
    ChangePage {
        who: viewer.who(),
        csrf_token: viewer.who().map(|w| w.csrf_token).unwrap_or_default(),
        child_id: child_id.to_string(),
        name,
        plan_readable,
        places_frequented: profile.places_frequented.join("\n"),
        profile,
        groups,
        legal_statuses: profiles::LEGAL_STATUSES,
        review_day,
        review_month,
        review_year,
        problems,
    }
}

fn review_parts(date: &str) -> [String; 3] {
    match date.parse::<jiff::civil::Date>() {
        Ok(d) => [d.day().to_string(), d.month().to_string(), d.year().to_string()],
        Err(_) => Default::default(),
    }
}

/// The change form, filled with the current profile.
pub async fn change_form(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> Response {
    match profiles::profile(&state, &viewer.0, &id).await {
        Ok(out) if !out.may_write_identity && !out.may_write_plan => error_page(
            ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "you may read this profile but not change it: no rule of the policy lets your role write it",
                None,
            ),
            viewer.who(),
        ),
        Ok(out) => {
            let review = review_parts(&out.profile.next_review);
            page(&change_page(&viewer, &id, name_of(&out.child), out.plan_readable, out.profile, review, Vec::new()), StatusCode::OK)
        }
        Err(e) => error_page(e, viewer.who()),
    }
}

/// The profile the form describes; the review date's parts as typed, and a
/// problem when they are not a date.
fn profile_of(form: &HashMap<String, String>) -> (Profile, [String; 3], Option<FieldProblem>) {
    let text = |k: &str| form.get(k).cloned().unwrap_or_default();
    let rows = |prefix: &str| (0..50).take_while(|i| form.keys().any(|k| k.starts_with(prefix) && k.ends_with(&format!("_{i}")))).count();
    let phones =
        (0..rows("phone_")).map(|i| Phone { number: text(&format!("phone_number_{i}")), make_model: text(&format!("phone_make_model_{i}")) }).collect();
    let online = (0..rows("online_"))
        .map(|i| Online {
            platform: text(&format!("online_platform_{i}")),
            username: text(&format!("online_username_{i}")),
            passwords_held_by: text(&format!("online_passwords_held_by_{i}")),
        })
        .collect();
    let family = (0..rows("family_"))
        .map(|i| Person {
            name: text(&format!("family_name_{i}")),
            relationship: text(&format!("family_relationship_{i}")),
            contact: text(&format!("family_contact_{i}")),
        })
        .collect();
    let review = [text("review_day").trim().to_string(), text("review_month").trim().to_string(), text("review_year").trim().to_string()];
    let mut problem = None;
    let next_review = if review.iter().all(String::is_empty) {
        String::new()
    } else {
        let n: Vec<Option<i16>> = review.iter().map(|v| v.parse::<i16>().ok()).collect();
        match (n[0], n[1], n[2]) {
            (Some(d), Some(m), Some(y)) if (1..=31).contains(&d) && (1..=12).contains(&m) => match jiff::civil::Date::new(y, m as i8, d as i8) {
                Ok(date) => date.to_string(),
                Err(_) => "not-a-date".to_string(),
            },
            _ => {
                problem = Some(FieldProblem { field: "next_review".into(), message: "Date of next review must be a real date, as day, month and year".into() });
                String::new()
            }
        }
    };
    let profile = Profile {
        gender: text("gender"),
        ethnicity: text("ethnicity"),
        nationality: text("nationality"),
        legal_status: text("legal_status"),
        legal_status_detail: text("legal_status_detail"),
        height: text("height"),
        build: text("build"),
        hair: text("hair"),
        eyes: text("eyes"),
        distinguishing_features: text("distinguishing_features"),
        languages_needs: text("languages_needs"),
        phones,
        online,
        family,
        places_frequented: text("places_frequented").lines().map(str::to_string).collect(),
        triggers: text("triggers"),
        plan_when_missing: text("plan_when_missing"),
        prevention_plan: text("prevention_plan"),
        next_review,
    };
    (profile, review, problem)
}

/// Saves the change, or shows the form again with every problem.
pub async fn change(State(state): State<AppState>, Path(id): Path<String>, submitted: Submitted<HashMap<String, String>>) -> Response {
    let Submitted { viewer, form } = submitted;
    let (profile, review, date_problem) = profile_of(&form);
    let profile = profile.tidy();
    let today = homeward_core::calendar::local_date(state.clock.now());
    let unreadable_date = date_problem.is_some();
    let mut problems: Vec<FieldProblem> = date_problem.into_iter().collect();
    problems.extend(profile.problems(today).into_iter().filter(|p| !(p.field == "next_review" && unreadable_date)));
    let result = if problems.is_empty() { profiles::save(&state, &viewer.0, &id, profile.clone()).await } else { Err(ChangeError::Invalid(problems)) };
    match result {
        Ok(Some(_)) => see_other(&format!("/children/{id}/profile?saved=1")),
        Ok(None) => see_other(&format!("/children/{id}/profile")),
        Err(ChangeError::Invalid(problems)) => match profiles::profile(&state, &viewer.0, &id).await {
            Ok(out) => page(&change_page(&viewer, &id, name_of(&out.child), out.plan_readable, profile, review, problems), StatusCode::UNPROCESSABLE_ENTITY),
            Err(e) => error_page(e, viewer.who()),
        },
        Err(ChangeError::Refused(e)) => error_page(e, viewer.who()),
    }
}

#[derive(Template)]
#[template(path = "profile/history.html")]
struct HistoryPage {
    who: Option<Who>,
    child_id: String,
    name: String,
    versions: Vec<VersionLine>,
}

struct VersionLine {
    version: i64,
    when: String,
    by: String,
    changes: Vec<profiles::FieldChange>,
}

/// Every version of the profile, newest first.
pub async fn history(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> Response {
    match profiles::history(&state, &viewer.0, &id).await {
        Ok((child, versions)) => {
            let versions = versions
                .into_iter()
                .map(|v| VersionLine {
                    version: v.version,
                    when: instant(v.changed_at),
                    by: format!("{} ({})", v.changed_by, v.changed_agency),
                    changes: v.changes,
                })
                .collect();
            page(&HistoryPage { who: viewer.who(), child_id: id, name: name_of(&child), versions }, StatusCode::OK)
        }
        Err(e) => error_page(e, viewer.who()),
    }
}

// ------------------------------------------------------------ photographs

#[derive(Template)]
#[template(path = "profile/photo.html")]
struct PhotoPage {
    who: Option<Who>,
    csrf_token: String,
    child_id: String,
    name: String,
    values: HashMap<String, String>,
    problems: Vec<FieldProblem>,
}

impl PhotoPage {
    fn problem(&self, field: &str) -> Option<&str> {
        self.problems.iter().find(|p| p.field == field).map(|p| p.message.as_str())
    }

    fn value(&self, name: &str) -> &str {
        self.values.get(name).map(String::as_str).unwrap_or("")
    }

    fn checked(&self, name: &str) -> bool {
        self.values.get(name).is_some_and(|v| v == "yes")
    }
}

pub async fn photo_form(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> Response {
    match profiles::profile(&state, &viewer.0, &id).await {
        Ok(out) => {
            let p = PhotoPage {
                who: viewer.who(),
                csrf_token: viewer.who().map(|w| w.csrf_token).unwrap_or_default(),
                child_id: id,
                name: name_of(&out.child),
                values: HashMap::new(),
                problems: Vec::new(),
            };
            page(&p, StatusCode::OK)
        }
        Err(e) => error_page(e, viewer.who()),
    }
}

/// One part of a `multipart/form-data` body.
#[derive(Debug)]
pub(crate) struct Part {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Where `needle` is in `haystack` at or after `from`, in time linear in
/// the haystack (the body is read before the login is checked, so its
/// search must not be a way to make the service work hard).
fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    memchr::memmem::find(haystack.get(from..)?, needle).map(|i| i + from)
}

/// The parts of a `multipart/form-data` body with this boundary; None when
/// the body is not one.
pub(crate) fn multipart(body: &[u8], boundary: &str) -> Option<Vec<Part>> {
    let delimiter = format!("--{boundary}").into_bytes();
    let mut parts = Vec::new();
    let mut at = find(body, &delimiter, 0)? + delimiter.len();
    loop {
        if body.get(at..at + 2) == Some(b"--") {
            return Some(parts);
        }
        at = find(body, b"\r\n", at)? + 2;
        let head_end = find(body, b"\r\n\r\n", at)?;
        let head = std::str::from_utf8(&body[at..head_end]).ok()?;
        let content_start = head_end + 4;
        let mut next_delimiter = b"\r\n".to_vec();
        next_delimiter.extend_from_slice(&delimiter);
        let end = find(body, &next_delimiter, content_start)?;
        let name = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))
            .and_then(|l| l.split(';').map(str::trim).find_map(|p| p.strip_prefix("name=")))
            .map(|n| n.trim_matches('"').to_string())?;
        parts.push(Part { name, bytes: body[content_start..end].to_vec() });
        at = end + next_delimiter.len();
    }
}

/// Keeps an uploaded photograph. The body is read up to the largest
/// photograph and a little more for the other fields; past that nothing is
/// read further and the upload is refused.
pub async fn upload(State(state): State<AppState>, Path(id): Path<String>, request: Request) -> Response {
    let (mut parts, body) = request.into_parts();
    let boundary = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"))
        .and_then(|v| v.split(';').map(str::trim).find_map(|p| p.strip_prefix("boundary=")).map(|b| b.trim_matches('"').to_string()));
    let bytes = axum::body::to_bytes(body, profiles::PHOTO_LIMIT + 64 * 1024).await;
    // Too large: refused before anything else, as nothing can be written
    // (the form's token is somewhere in what was not read).
    if bytes.is_err() {
        return error_page(profiles::too_large(), None);
    }
    let fields = match (&boundary, &bytes) {
        (Some(b), Ok(bytes)) => multipart(bytes, b),
        _ => None,
    };
    let fields = fields.unwrap_or_default();
    let text = |name: &str| fields.iter().find(|p| p.name == name).map(|p| String::from_utf8_lossy(&p.bytes).trim().to_string()).unwrap_or_default();
    parts.headers.remove("x-csrf-token");
    if let Ok(v) = HeaderValue::from_str(&text("csrf_token")) {
        parts.headers.insert("x-csrf-token", v);
    }
    let viewer = match Viewer::from_request_parts(&mut parts, &state).await {
        Ok(v) => v,
        Err(response) => return response,
    };
    if boundary.is_none() || fields.is_empty() {
        return error_page(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", "the form could not be read", None), viewer.who());
    }
    let values: HashMap<String, String> =
        ["taken_day", "taken_month", "taken_year", "consent_investigation", "consent_media", "child_agreed"].iter().map(|k| (k.to_string(), text(k))).collect();
    let n = |k: &str| values.get(k).and_then(|v| v.parse::<i16>().ok());
    let taken_on = match (n("taken_day"), n("taken_month"), n("taken_year")) {
        (Some(d), Some(m), Some(y)) if (1..=31).contains(&d) && (1..=12).contains(&m) => {
            jiff::civil::Date::new(y, m as i8, d as i8).map(|d| d.to_string()).map_err(|_| "The date the photograph was taken must be a real date".to_string())
        }
        _ => Err("Enter the date the photograph was taken (approximately), as day, month and year".to_string()),
    };
    let photo = fields.into_iter().find(|p| p.name == "photo").map(|p| p.bytes).unwrap_or_default();
    let upload = profiles::Upload {
        bytes: photo,
        taken_on,
        consent_investigation: values["consent_investigation"] == "yes",
        consent_media: values["consent_media"] == "yes",
        child_agreed: values["child_agreed"] == "yes",
    };
    match profiles::add_photo(&state, &viewer.0, &id, upload).await {
        Ok(_) => see_other(&format!("/children/{id}/profile")),
        Err(ChangeError::Invalid(problems)) => {
            let name = state.store.child(&id).await.ok().flatten().map(|c| name_of(&c)).unwrap_or_default();
            let p = PhotoPage { who: viewer.who(), csrf_token: viewer.who().map(|w| w.csrf_token).unwrap_or_default(), child_id: id, name, values, problems };
            page(&p, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(ChangeError::Refused(e)) => error_page(e, viewer.who()),
    }
}

/// A photograph's bytes, to those who may know the child.
pub async fn photo(State(state): State<AppState>, viewer: Viewer, Path((id, photo)): Path<(String, String)>) -> Response {
    match profiles::photo(&state, &viewer.0, &id, &photo).await {
        Ok((meta, bytes)) => {
            let mut response = bytes.into_response();
            let h = response.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&meta.content_type) {
                h.insert(header::CONTENT_TYPE, v);
            }
            h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("inline"));
            h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
            response
        }
        Err(e) => error_page(e, viewer.who()),
    }
}

// ------------------------------------------------------------ associates and places

#[derive(Template)]
#[template(path = "profile/link.html")]
struct LinkPage {
    who: Option<Who>,
    csrf_token: String,
    child_id: String,
    name: String,
    associate: bool,
    known: Vec<(String, String)>,
    markers: &'static [(&'static str, &'static str)],
    kinds: &'static [(&'static str, &'static str)],
    values: HashMap<String, String>,
    problems: Vec<FieldProblem>,
}

impl LinkPage {
    fn problem(&self, field: &str) -> Option<&str> {
        self.problems.iter().find(|p| p.field == field).map(|p| p.message.as_str())
    }

    fn value(&self, name: &str) -> &str {
        self.values.get(name).map(String::as_str).unwrap_or("")
    }

    fn has_marker(&self, marker: &str) -> bool {
        self.values.get("markers").is_some_and(|m| m.split(',').any(|x| x == marker))
    }
}

async fn link_page(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    kind: LinkKind,
    values: HashMap<String, String>,
    problems: Vec<FieldProblem>,
) -> Result<LinkPage, ApiError> {
    let out = profiles::profile(state, &viewer.0, id).await?;
    let known = profiles::known(state, &viewer.0, kind).await?;
    Ok(LinkPage {
        who: viewer.who(),
        csrf_token: viewer.who().map(|w| w.csrf_token).unwrap_or_default(),
        child_id: id.to_string(),
        name: name_of(&out.child),
        associate: kind == LinkKind::Associate,
        known,
        markers: profiles::MARKERS,
        kinds: profiles::PLACE_KINDS,
        values,
        problems,
    })
}

pub async fn associate_form(state: State<AppState>, viewer: Viewer, Path(id): Path<String>) -> Response {
    link_form(state, viewer, id, LinkKind::Associate).await
}

pub async fn place_form(state: State<AppState>, viewer: Viewer, Path(id): Path<String>) -> Response {
    link_form(state, viewer, id, LinkKind::Place).await
}

pub async fn link_associate(state: State<AppState>, Path(id): Path<String>, submitted: Submitted<Vec<(String, String)>>) -> Response {
    link(state, id, LinkKind::Associate, submitted).await
}

pub async fn link_place(state: State<AppState>, Path(id): Path<String>, submitted: Submitted<Vec<(String, String)>>) -> Response {
    link(state, id, LinkKind::Place, submitted).await
}

async fn link_form(State(state): State<AppState>, viewer: Viewer, id: String, kind: LinkKind) -> Response {
    match link_page(&state, &viewer, &id, kind, HashMap::new(), Vec::new()).await {
        Ok(p) => page(&p, StatusCode::OK),
        Err(e) => error_page(e, viewer.who()),
    }
}

async fn link(State(state): State<AppState>, id: String, kind: LinkKind, submitted: Submitted<Vec<(String, String)>>) -> Response {
    let Submitted { viewer, form } = submitted;
    let text = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let markers: Vec<String> = form.iter().filter(|(n, _)| n == "markers").map(|(_, v)| v.clone()).collect();
    let input = LinkInput {
        existing: Some(text("existing")),
        name: text("name"),
        description: text("description"),
        markers: markers.clone(),
        postcode: text("postcode"),
        kind: text("kind"),
        reason: text("reason"),
    };
    match profiles::link(&state, &viewer.0, &id, kind, input).await {
        Ok(_) => see_other(&format!("/children/{id}/profile")),
        Err(ChangeError::Invalid(problems)) => {
            let mut values: HashMap<String, String> = form.into_iter().filter(|(k, _)| k != "markers").collect();
            values.insert("markers".into(), markers.join(","));
            match link_page(&state, &viewer, &id, kind, values, problems).await {
                Ok(p) => page(&p, StatusCode::UNPROCESSABLE_ENTITY),
                Err(e) => error_page(e, viewer.who()),
            }
        }
        Err(ChangeError::Refused(e)) => error_page(e, viewer.who()),
    }
}

#[derive(Template)]
#[template(path = "profile/linked.html")]
struct LinkedPage {
    who: Option<Who>,
    what: String,
    name: String,
    facts: Vec<(String, String)>,
    children: Vec<LinkRow>,
}

fn linked_rows(children: Vec<(Child, homeward_store::Link)>) -> Vec<LinkRow> {
    children
        .into_iter()
        .map(|(c, l)| LinkRow {
            url: format!("/children/{}/profile", c.id),
            name: name_of(&c),
            details: format!("born {}, {}", day(&c.date_of_birth), c.responsible_authority),
            reason: l.reason,
            linked: format!("{} by {}", instant(l.linked_at), l.linked_by),
        })
        .collect()
}

/// An associate and the children linked to them that the viewer may see.
pub async fn associate(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> Response {
    match profiles::associate(&state, &viewer.0, &id).await {
        Ok((a, children)) => {
            let markers = a.marker_list();
            let markers = profiles::MARKERS.iter().filter(|(k, _)| markers.iter().any(|m| m == k)).map(|(_, l)| l.to_string()).collect::<Vec<_>>().join("; ");
            let facts = vec![
                ("Description".to_string(), a.description.clone()),
                ("Markers".to_string(), if markers.is_empty() { "None recorded".to_string() } else { markers }),
                ("Recorded".to_string(), format!("{} by {} ({})", instant(a.created_at), a.created_by, a.created_agency)),
            ];
            page(&LinkedPage { who: viewer.who(), what: "Associate".into(), name: a.name, facts, children: linked_rows(children) }, StatusCode::OK)
        }
        Err(e) => error_page(e, viewer.who()),
    }
}

/// A place and the children linked to it that the viewer may see.
pub async fn place(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> Response {
    match profiles::place(&state, &viewer.0, &id).await {
        Ok((p, children)) => {
            let kind = profiles::PLACE_KINDS.iter().find(|(k, _)| *k == p.kind).map(|(_, l)| l.to_string()).unwrap_or_else(|| words(&p.kind));
            let facts = vec![
                ("Kind".to_string(), kind),
                ("Postcode".to_string(), p.postcode.clone()),
                ("Description".to_string(), p.description.clone()),
                ("Recorded".to_string(), format!("{} by {} ({})", instant(p.created_at), p.created_by, p.created_agency)),
            ];
            page(&LinkedPage { who: viewer.who(), what: "Place".into(), name: p.name, facts, children: linked_rows(children) }, StatusCode::OK)
        }
        Err(e) => error_page(e, viewer.who()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_multipart_body_is_read_into_its_parts() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\nabc\r\n--XyZ\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n\x1a\n\r\n--XyZ--\r\n";
        let parts = multipart(body, "XyZ").unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "csrf_token");
        assert_eq!(parts[0].bytes, b"abc");
        assert_eq!(parts[1].name, "photo");
        assert_eq!(parts[1].bytes, b"\x89PNG\r\n\x1a\n");
        assert!(multipart(b"not multipart", "XyZ").is_none());
    }
}
