//! The child's profile: description and trigger plan (versioned), photographs,
//! the associates and places linked to the child, and the chronology of
//! episodes with the protocols' repeat-missing flags.
//!
//! Need to know: the description and photographs are of class `identity`
//! (whoever may know the child must be able to recognise them); phones,
//! online identity, family, places frequented, the plan, associates and
//! places are of class `safety_plan`. Each function decides inside and adds
//! to the request's one audit entry.

use crate::AppState;
use crate::access::{authorize, may_read, policy_at, require, visibility};
use crate::auth::Caller;
use crate::error::ApiError;
use axum::http::StatusCode;
use homeward_access::{Action, RecordFacts, classify};
use homeward_store::{Associate, Child, Link, LinkKind, NewAssociate, NewPhoto, NewPlace, PhotoMeta, Place, ProfileVersion};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A phone the child uses.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Phone {
    pub number: String,
    pub make_model: String,
}

/// An online account: never its password, only who holds it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Online {
    pub platform: String,
    pub username: String,
    pub passwords_held_by: String,
}

/// A member of the family or someone important to the child.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Person {
    pub name: String,
    pub relationship: String,
    pub contact: String,
}

/// The child's profile and trigger plan. Every field may be left empty;
/// `legal_status` is one of section_20, interim_care_order, care_order,
/// placement_order, remand, criminal_order, child_protection_plan,
/// child_in_need, care_leaver, not_looked_after.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Profile {
    pub gender: String,
    pub ethnicity: String,
    pub nationality: String,
    pub legal_status: String,
    pub legal_status_detail: String,
    pub height: String,
    pub build: String,
    pub hair: String,
    pub eyes: String,
    pub distinguishing_features: String,
    pub languages_needs: String,
    pub phones: Vec<Phone>,
    pub online: Vec<Online>,
    pub family: Vec<Person>,
    pub places_frequented: Vec<String>,
    pub triggers: String,
    pub plan_when_missing: String,
    pub prevention_plan: String,
    /// YYYY-MM-DD.
    pub next_review: String,
}

/// Legal status beyond the contract's `status` (newham Appendix D "Legal
/// Status"; pan-lancashire Appendix B "Care/ legal status").
pub const LEGAL_STATUSES: &[(&str, &str)] = &[
    ("section_20", "Accommodated (section 20)"),
    ("interim_care_order", "Interim care order"),
    ("care_order", "Care order"),
    ("placement_order", "Placement order"),
    ("remand", "Remanded to local authority accommodation"),
    ("criminal_order", "Subject to a criminal order"),
    ("child_protection_plan", "Child protection plan"),
    ("child_in_need", "Child in need"),
    ("care_leaver", "Care leaver"),
    ("not_looked_after", "Not looked after"),
];

/// Every field: (key, label, class, short enough to show old and new values).
pub const FIELDS: &[(&str, &str, &str, bool)] = &[
    ("gender", "Gender", classify::IDENTITY, true),
    ("ethnicity", "Ethnicity", classify::IDENTITY, true),
    ("nationality", "Nationality", classify::IDENTITY, true),
    ("legal_status", "Legal status", classify::IDENTITY, true),
    ("legal_status_detail", "Legal status in detail", classify::IDENTITY, true),
    ("height", "Height", classify::IDENTITY, true),
    ("build", "Build", classify::IDENTITY, true),
    ("hair", "Hair colour and style", classify::IDENTITY, true),
    ("eyes", "Eye colour", classify::IDENTITY, true),
    ("distinguishing_features", "Distinguishing features", classify::IDENTITY, false),
    ("languages_needs", "Languages and needs", classify::IDENTITY, false),
    ("phones", "Phones", classify::SAFETY_PLAN, false),
    ("online", "Online identity", classify::SAFETY_PLAN, false),
    ("family", "Family and people important to the child", classify::SAFETY_PLAN, false),
    ("places_frequented", "Places frequented", classify::SAFETY_PLAN, false),
    ("triggers", "Triggers", classify::SAFETY_PLAN, false),
    ("plan_when_missing", "Plan when missing", classify::SAFETY_PLAN, false),
    ("prevention_plan", "Prevention plan", classify::SAFETY_PLAN, false),
    ("next_review", "Date of next review", classify::SAFETY_PLAN, true),
];

pub fn label_of(field: &str) -> &str {
    FIELDS.iter().find(|f| f.0 == field).map(|f| f.1).unwrap_or(field)
}

fn class_of(field: &str) -> &'static str {
    FIELDS.iter().find(|f| f.0 == field).map(|f| f.2).unwrap_or(classify::SAFETY_PLAN)
}

/// A problem with one field of a form: the input's id and what is wrong.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

/// Why a change was not made: the fields at fault (every one at once), or
/// a refusal (not found, forbidden).
#[derive(Debug)]
pub enum ChangeError {
    Invalid(Vec<FieldProblem>),
    Refused(ApiError),
}

impl From<ApiError> for ChangeError {
    fn from(e: ApiError) -> Self {
        ChangeError::Refused(e)
    }
}

impl From<homeward_store::StoreError> for ChangeError {
    fn from(e: homeward_store::StoreError) -> Self {
        ChangeError::Refused(e.into())
    }
}

fn problem(problems: &mut Vec<FieldProblem>, field: &str, message: impl Into<String>) {
    problems.push(FieldProblem { field: field.to_string(), message: message.into() });
}

fn one_line(problems: &mut Vec<FieldProblem>, field: &str, label: &str, value: &str, max: usize) {
    if !value.is_empty() {
        if let Err(why) = homeward_core::text::one_line(value, max) {
            problem(problems, field, format!("{label}: {why}"));
        }
    }
}

fn multi_line(problems: &mut Vec<FieldProblem>, field: &str, label: &str, value: &str, max: usize) {
    if !value.is_empty() {
        if let Err(why) = homeward_core::text::multi_line(value, max) {
            problem(problems, field, format!("{label}: {why}"));
        }
    }
}

impl Profile {
    /// Trims every value and drops empty rows of the lists.
    pub fn tidy(mut self) -> Profile {
        for v in [
            &mut self.gender,
            &mut self.ethnicity,
            &mut self.nationality,
            &mut self.legal_status,
            &mut self.legal_status_detail,
            &mut self.height,
            &mut self.build,
            &mut self.hair,
            &mut self.eyes,
            &mut self.distinguishing_features,
            &mut self.languages_needs,
            &mut self.triggers,
            &mut self.plan_when_missing,
            &mut self.prevention_plan,
            &mut self.next_review,
        ] {
            *v = v.trim().to_string();
        }
        for p in &mut self.phones {
            p.number = p.number.trim().to_string();
            p.make_model = p.make_model.trim().to_string();
        }
        self.phones.retain(|p| !(p.number.is_empty() && p.make_model.is_empty()));
        for o in &mut self.online {
            o.platform = o.platform.trim().to_string();
            o.username = o.username.trim().to_string();
            o.passwords_held_by = o.passwords_held_by.trim().to_string();
        }
        self.online.retain(|o| !(o.platform.is_empty() && o.username.is_empty() && o.passwords_held_by.is_empty()));
        for p in &mut self.family {
            p.name = p.name.trim().to_string();
            p.relationship = p.relationship.trim().to_string();
            p.contact = p.contact.trim().to_string();
        }
        self.family.retain(|p| !(p.name.is_empty() && p.relationship.is_empty() && p.contact.is_empty()));
        self.places_frequented = self.places_frequented.iter().map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect();
        self
    }

    /// Every problem with the profile, each naming its form input. Rows
    /// are numbered as given (the form's rows, before empty ones are dropped).
    pub fn problems(&self, today: jiff::civil::Date) -> Vec<FieldProblem> {
        let mut out = Vec::new();
        for (field, value) in [
            ("gender", &self.gender),
            ("ethnicity", &self.ethnicity),
            ("nationality", &self.nationality),
            ("height", &self.height),
            ("build", &self.build),
            ("hair", &self.hair),
            ("eyes", &self.eyes),
        ] {
            one_line(&mut out, field, label_of(field), value, 100);
        }
        if !self.legal_status.is_empty() && !LEGAL_STATUSES.iter().any(|(k, _)| *k == self.legal_status) {
            problem(&mut out, "legal_status", "Choose the child's legal status from the list");
        }
        one_line(&mut out, "legal_status_detail", "Legal status in detail", &self.legal_status_detail, 200);
        for field in ["distinguishing_features", "languages_needs"] {
            let value = if field == "distinguishing_features" { &self.distinguishing_features } else { &self.languages_needs };
            multi_line(&mut out, field, label_of(field), value, 2000);
        }
        for (i, p) in self.phones.iter().enumerate() {
            let field = format!("phone_number_{i}");
            if p.number.is_empty() {
                problem(&mut out, &field, format!("Phone {}: enter the number, or clear the make and model", i + 1));
            } else if !p.number.chars().all(|c| c.is_ascii_digit() || c == ' ' || c == '+')
                || !(7..=15).contains(&p.number.chars().filter(char::is_ascii_digit).count())
            {
                problem(&mut out, &field, format!("Phone {}: enter a phone number of 7 to 15 digits, like 07700 900123", i + 1));
            }
            one_line(&mut out, &format!("phone_make_model_{i}"), &format!("Phone {} make and model", i + 1), &p.make_model, 100);
        }
        for (i, o) in self.online.iter().enumerate() {
            if o.platform.is_empty() {
                problem(&mut out, &format!("online_platform_{i}"), format!("Online account {}: enter the platform", i + 1));
            }
            if o.username.is_empty() {
                problem(&mut out, &format!("online_username_{i}"), format!("Online account {}: enter the username", i + 1));
            }
            one_line(&mut out, &format!("online_platform_{i}"), &format!("Online account {} platform", i + 1), &o.platform, 100);
            one_line(&mut out, &format!("online_username_{i}"), &format!("Online account {} username", i + 1), &o.username, 200);
            one_line(
                &mut out,
                &format!("online_passwords_held_by_{i}"),
                &format!("Online account {}: who holds the passwords", i + 1),
                &o.passwords_held_by,
                200,
            );
        }
        for (i, p) in self.family.iter().enumerate() {
            if p.name.is_empty() {
                problem(&mut out, &format!("family_name_{i}"), format!("Person {}: enter their name", i + 1));
            }
            one_line(&mut out, &format!("family_name_{i}"), &format!("Person {} name", i + 1), &p.name, 200);
            one_line(&mut out, &format!("family_relationship_{i}"), &format!("Person {} relationship", i + 1), &p.relationship, 100);
            one_line(&mut out, &format!("family_contact_{i}"), &format!("Person {} contact", i + 1), &p.contact, 300);
        }
        if self.places_frequented.len() > 50 {
            problem(&mut out, "places_frequented", "Places frequented: list at most 50 places, one a line");
        }
        for place in &self.places_frequented {
            if let Err(why) = homeward_core::text::one_line(place, 300) {
                problem(&mut out, "places_frequented", format!("Places frequented: {why}"));
                break;
            }
        }
        for field in ["triggers", "plan_when_missing", "prevention_plan"] {
            let value = match field {
                "triggers" => &self.triggers,
                "plan_when_missing" => &self.plan_when_missing,
                _ => &self.prevention_plan,
            };
            multi_line(&mut out, field, label_of(field), value, 8000);
        }
        if !self.next_review.is_empty() {
            match self.next_review.parse::<jiff::civil::Date>() {
                Ok(d) if d < today => problem(&mut out, "next_review", "Date of next review must be today or later"),
                Ok(_) => {}
                Err(_) => problem(&mut out, "next_review", "Date of next review must be a real date"),
            }
        }
        out
    }

    fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    fn from_json(v: Value) -> Profile {
        serde_json::from_value(v).unwrap_or_default()
    }

    /// The profile with the fields of `class` taken from `other`.
    fn with_class_from(&self, class: &str, other: &Profile) -> Profile {
        let mut mine = self.to_json();
        let theirs = other.to_json();
        for (field, _, c, _) in FIELDS {
            if *c == class {
                mine[*field] = theirs[*field].clone();
            }
        }
        Profile::from_json(mine)
    }
}

/// A field's value in words, for the history (lists joined, one a line).
pub fn value_in_words(body: &Value, field: &str) -> String {
    match &body[field] {
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => s.clone(),
                Value::Object(o) => o.values().filter_map(Value::as_str).filter(|s| !s.is_empty()).collect::<Vec<_>>().join(", "),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join("; "),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The profile as the caller may see it.
pub struct ProfileOut {
    pub child: Child,
    pub facts: RecordFacts,
    pub profile: Profile,
    pub version: Option<ProfileVersion>,
    /// Whether the caller may read the plan's fields (else they are empty).
    pub plan_readable: bool,
    pub may_write_identity: bool,
    pub may_write_plan: bool,
    pub photo: Option<PhotoMeta>,
}

fn may(state: &AppState, caller: &Caller, action: Action, class: &str, facts: &RecordFacts) -> bool {
    policy_at(state, state.clock.now()).decide(&caller.principal, action, class, facts).allowed
}

/// The child's current profile and latest photograph, as the caller may see them.
pub async fn profile(state: &AppState, caller: &Caller, child_id: &str) -> Result<ProfileOut, ApiError> {
    let granted = authorize(state, caller, child_id, Action::Read, classify::IDENTITY).await?;
    let child = state.store.child(child_id).await?.ok_or_else(|| ApiError::not_found("child"))?;
    let version = state.store.current_profile(child_id).await?;
    let plan_readable = may_read(state, caller, &granted.facts, classify::SAFETY_PLAN);
    let mut profile = version.as_ref().map(|v| Profile::from_json(v.body_json())).unwrap_or_default();
    if !plan_readable {
        profile = profile.with_class_from(classify::SAFETY_PLAN, &Profile::default());
    }
    let photo = state.store.photos(child_id).await?.into_iter().next();
    Ok(ProfileOut {
        may_write_identity: may(state, caller, Action::Write, classify::IDENTITY, &granted.facts),
        may_write_plan: may(state, caller, Action::Write, classify::SAFETY_PLAN, &granted.facts),
        child,
        facts: granted.facts,
        profile,
        version,
        plan_readable,
        photo,
    })
}

/// One change of one field, for the history.
pub struct FieldChange {
    pub field: String,
    pub label: String,
    /// Old and new values, for short fields.
    pub values: Option<(String, String)>,
}

pub struct VersionOut {
    pub version: i64,
    pub changed_by: String,
    pub changed_agency: String,
    pub changed_at: i64,
    pub changes: Vec<FieldChange>,
}

/// Every version of the profile, newest first, with who changed what;
/// the plan's fields are left out for a caller who may not read them.
pub async fn history(state: &AppState, caller: &Caller, child_id: &str) -> Result<(Child, Vec<VersionOut>), ApiError> {
    let granted = authorize(state, caller, child_id, Action::Read, classify::IDENTITY).await?;
    let plan_readable = may_read(state, caller, &granted.facts, classify::SAFETY_PLAN);
    let child = state.store.child(child_id).await?.ok_or_else(|| ApiError::not_found("child"))?;
    let versions = state.store.profile_versions(child_id).await?;
    let mut out = Vec::new();
    let mut before = Profile::default().to_json();
    for v in versions {
        let body = v.body_json();
        let changes = v
            .changed()
            .into_iter()
            .filter(|f| plan_readable || class_of(f) != classify::SAFETY_PLAN)
            .map(|f| {
                let short = FIELDS.iter().find(|d| d.0 == f).is_some_and(|d| d.3);
                FieldChange { label: label_of(&f).to_string(), values: short.then(|| (value_in_words(&before, &f), value_in_words(&body, &f))), field: f }
            })
            .collect();
        out.push(VersionOut { version: v.version, changed_by: v.changed_by, changed_agency: v.changed_agency, changed_at: v.changed_at, changes });
        before = body;
    }
    out.reverse();
    Ok((child, out))
}

/// Saves a change of the profile: every problem at once and nothing written
/// on error; a version only when a field changed. The caller needs `write`
/// on the class of each field changed (identity for the description,
/// safety_plan for the plan); the plan's fields are kept as they were for a
/// caller who may not read them. Returns the new version, if one was written.
pub async fn save(state: &AppState, caller: &Caller, child_id: &str, input: Profile) -> Result<Option<i64>, ChangeError> {
    let granted = authorize(state, caller, child_id, Action::Read, classify::IDENTITY).await?;
    let input = input.tidy();
    let today = homeward_core::calendar::local_date(state.clock.now());
    let problems = input.problems(today);
    if !problems.is_empty() {
        return Err(ChangeError::Invalid(problems));
    }
    let current = state.store.current_profile(child_id).await?.map(|v| Profile::from_json(v.body_json())).unwrap_or_default();
    let input =
        if may(state, caller, Action::Read, classify::SAFETY_PLAN, &granted.facts) { input } else { input.with_class_from(classify::SAFETY_PLAN, &current) };
    let changed = homeward_store::changed_fields(&current.to_json(), &input.to_json());
    let mut classes: Vec<&str> = changed.iter().map(|f| class_of(f)).collect();
    classes.sort();
    classes.dedup();
    for class in classes {
        require(state, caller, Action::Write, class, &granted.facts)?;
    }
    if changed.is_empty() {
        return Ok(None);
    }
    let saved = state.store.save_profile(child_id, &input.to_json(), &Profile::default().to_json(), &caller.actor(), state.clock.now()).await?;
    Ok(saved.map(|v| v.version))
}

// ------------------------------------------------------------ photographs

/// Largest photograph kept.
pub const PHOTO_LIMIT: usize = 5 * 1024 * 1024;

/// The image type the bytes are, by their first bytes (whatever the sender says): JPEG or PNG only.
pub fn image_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else {
        None
    }
}

/// A photograph as uploaded, before checks.
pub struct Upload {
    pub bytes: Vec<u8>,
    /// YYYY-MM-DD, or the problem reading the date.
    pub taken_on: Result<String, String>,
    pub consent_investigation: bool,
    pub consent_media: bool,
    pub child_agreed: bool,
}

/// Keeps a photograph of the child: JPEG or PNG by its bytes, at most
/// [`PHOTO_LIMIT`], a date taken not in the future. Needs `write` on identity.
pub async fn add_photo(state: &AppState, caller: &Caller, child_id: &str, upload: Upload) -> Result<PhotoMeta, ChangeError> {
    let granted = authorize(state, caller, child_id, Action::Read, classify::IDENTITY).await?;
    require(state, caller, Action::Write, classify::IDENTITY, &granted.facts)?;
    let mut problems = Vec::new();
    let content_type = if upload.bytes.is_empty() {
        problem(&mut problems, "photo", "Choose a photograph to upload");
        None
    } else if upload.bytes.len() > PHOTO_LIMIT {
        problem(&mut problems, "photo", "The photograph must be smaller than 5 MB");
        None
    } else {
        let t = image_type(&upload.bytes);
        if t.is_none() {
            problem(&mut problems, "photo", "The photograph must be a JPEG or PNG image");
        }
        t
    };
    let today = homeward_core::calendar::local_date(state.clock.now());
    match &upload.taken_on {
        Ok(d) => match d.parse::<jiff::civil::Date>() {
            Ok(d) if d > today => problem(&mut problems, "taken_day", "The date the photograph was taken must not be in the future"),
            Ok(_) => {}
            Err(_) => problem(&mut problems, "taken_day", "The date the photograph was taken must be a real date"),
        },
        Err(m) => problem(&mut problems, "taken_day", m.clone()),
    }
    let (Some(content_type), true) = (content_type, problems.is_empty()) else {
        return Err(ChangeError::Invalid(problems));
    };
    let photo = NewPhoto {
        content_type: content_type.to_string(),
        bytes: upload.bytes,
        taken_on: upload.taken_on.unwrap_or_default(),
        consent_investigation: upload.consent_investigation,
        consent_media: upload.consent_media,
        child_agreed: upload.child_agreed,
    };
    Ok(state.store.add_photo(child_id, &photo, &caller.actor(), state.clock.now()).await?)
}

/// One photograph and its bytes, for those who may read the child's identity.
pub async fn photo(state: &AppState, caller: &Caller, child_id: &str, photo_id: &str) -> Result<(PhotoMeta, Vec<u8>), ApiError> {
    authorize(state, caller, child_id, Action::Read, classify::IDENTITY).await?;
    caller.audit.set_record("child", child_id);
    state.store.photo(child_id, photo_id).await?.ok_or_else(|| ApiError::not_found("photo"))
}

// ------------------------------------------------------------ associates and places

/// The child's associates and places, for those who may read the plan.
pub async fn links(state: &AppState, caller: &Caller, child_id: &str) -> Result<(Vec<(Associate, Link)>, Vec<(Place, Link)>), ApiError> {
    authorize(state, caller, child_id, Action::Read, classify::SAFETY_PLAN).await?;
    let mut associates = Vec::new();
    for l in state.store.links_of_child(LinkKind::Associate, child_id).await? {
        if let Some(a) = state.store.associate(&l.other_id).await? {
            associates.push((a, l));
        }
    }
    let mut places = Vec::new();
    for l in state.store.links_of_child(LinkKind::Place, child_id).await? {
        if let Some(p) = state.store.place(&l.other_id).await? {
            places.push((p, l));
        }
    }
    Ok((associates, places))
}

/// Markers an associate may carry (pan-lancashire Appendix B: S2/S49 child
/// abduction notices, community protection warnings and notices).
pub const MARKERS: &[(&str, &str)] = &[
    ("cawn", "Child abduction warning notice (CAWN)"),
    ("s2", "Child abduction notice, section 2"),
    ("s49", "Child abduction notice, section 49"),
    ("cpw", "Community protection warning"),
    ("cpn", "Community protection notice"),
];

/// Kinds of place (pan-lancashire Appendix B "frequented / found at"; §5.5.3 hotspots).
pub const PLACE_KINDS: &[(&str, &str)] =
    &[("frequented", "Frequented"), ("found_at", "Address found at"), ("hotspot", "Hotspot"), ("home", "Family or home address"), ("other", "Other")];

/// What a link form asks: a new associate or place, or an existing one, and why.
pub struct LinkInput {
    /// An existing associate's or place's id.
    pub existing: Option<String>,
    pub name: String,
    pub description: String,
    pub markers: Vec<String>,
    pub postcode: String,
    pub kind: String,
    pub reason: String,
}

/// Links the child to an associate or place (made here unless an existing one
/// the caller may see is named). Needs `write` on safety_plan.
pub async fn link(state: &AppState, caller: &Caller, child_id: &str, kind: LinkKind, input: LinkInput) -> Result<String, ChangeError> {
    let granted = authorize(state, caller, child_id, Action::Read, classify::IDENTITY).await?;
    require(state, caller, Action::Write, classify::SAFETY_PLAN, &granted.facts)?;
    let mut problems = Vec::new();
    let existing = input.existing.filter(|e| !e.trim().is_empty());
    let (name, reason, description) = (input.name.trim().to_string(), input.reason.trim().to_string(), input.description.trim().to_string());
    if let Some(id) = &existing {
        let visible = visibility(state, caller, Action::Read, classify::SAFETY_PLAN);
        if state.store.linked_children(kind, id, &visible).await?.is_empty() {
            problem(&mut problems, "existing", "Choose one from the list");
        }
    } else {
        if name.is_empty() {
            problem(&mut problems, "name", if kind == LinkKind::Associate { "Enter the associate's name" } else { "Enter the place's name or address" });
        }
        one_line(&mut problems, "name", "Name", &name, 200);
        multi_line(&mut problems, "description", "Description", &description, 2000);
        if kind == LinkKind::Place {
            let postcode = input.postcode.trim();
            if !postcode.is_empty() && !valid_postcode(postcode) {
                problem(&mut problems, "postcode", "Enter a real postcode, like BB1 7DJ");
            }
            if !PLACE_KINDS.iter().any(|(k, _)| *k == input.kind) {
                problem(&mut problems, "kind", "Choose what kind of place it is");
            }
        }
        if input.markers.iter().any(|m| !MARKERS.iter().any(|(k, _)| k == m)) {
            problem(&mut problems, "markers", "Choose markers from the list");
        }
    }
    if reason.is_empty() {
        problem(&mut problems, "reason", "Enter why they are linked to the child");
    }
    multi_line(&mut problems, "reason", "Reason", &reason, 2000);
    if !problems.is_empty() {
        return Err(ChangeError::Invalid(problems));
    }
    let actor = caller.actor();
    let now = state.clock.now();
    let id = match existing {
        Some(id) => id,
        None if kind == LinkKind::Associate => state.store.create_associate(&NewAssociate { name, description, markers: input.markers }, &actor, now).await?.id,
        None => {
            let place = NewPlace { name, postcode: input.postcode.trim().to_uppercase(), kind: input.kind, description };
            state.store.create_place(&place, &actor, now).await?.id
        }
    };
    state.store.link(kind, child_id, &id, &reason, &actor, now).await?;
    Ok(id)
}

/// A UK postcode's shape: outward code (letters and digits), a space, inward code (digit, two letters).
fn valid_postcode(p: &str) -> bool {
    let p = p.to_uppercase();
    let Some((out, inward)) = p.split_once(' ') else { return false };
    let inward: Vec<char> = inward.chars().collect();
    (2..=4).contains(&out.len())
        && out.chars().all(|c| c.is_ascii_alphanumeric())
        && out.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && inward.len() == 3
        && inward[0].is_ascii_digit()
        && inward[1..].iter().all(|c| c.is_ascii_alphabetic())
}

/// The associates or places linked to children the caller may see (to link another child to one).
pub async fn known(state: &AppState, caller: &Caller, kind: LinkKind) -> Result<Vec<(String, String)>, ApiError> {
    let visible = visibility(state, caller, Action::Read, classify::SAFETY_PLAN);
    Ok(state.store.known_links(kind, &visible).await?)
}

/// An associate and the children linked to it that the caller may see; one
/// linked to none of them is answered as one that does not exist.
pub async fn associate(state: &AppState, caller: &Caller, id: &str) -> Result<(Associate, Vec<(Child, Link)>), ApiError> {
    caller.audit.set_record("associate", id);
    let visible = visibility(state, caller, Action::Read, classify::SAFETY_PLAN);
    let children = state.store.linked_children(LinkKind::Associate, id, &visible).await?;
    let associate = state.store.associate(id).await?;
    match associate {
        Some(a) if !children.is_empty() => Ok((a, children)),
        _ => Err(ApiError::not_found("associate")),
    }
}

/// A place and the children linked to it that the caller may see.
pub async fn place(state: &AppState, caller: &Caller, id: &str) -> Result<(Place, Vec<(Child, Link)>), ApiError> {
    caller.audit.set_record("place", id);
    let visible = visibility(state, caller, Action::Read, classify::SAFETY_PLAN);
    let children = state.store.linked_children(LinkKind::Place, id, &visible).await?;
    let place = state.store.place(id).await?;
    match place {
        Some(p) if !children.is_empty() => Ok((p, children)),
        _ => Err(ApiError::not_found("place")),
    }
}

// ------------------------------------------------------------ chronology

/// A flag the protocol gives the child, in words, with its paragraph.
pub struct FlagOut {
    pub what: String,
    pub cite: String,
    pub since: String,
}

/// The child's repeat-missing position: the protocols' flags (for those who
/// may read the duties), and a plain count of episodes in the last 90 days.
pub struct Chronology {
    pub flags: Vec<FlagOut>,
    pub flags_readable: bool,
    pub last_90_days: usize,
    pub total: usize,
}

pub async fn chronology(state: &AppState, caller: &Caller, child_id: &str, facts: &RecordFacts) -> Result<Chronology, ApiError> {
    let now = state.clock.now();
    if !may_read(state, caller, facts, classify::MISSING_STATUS) {
        return Ok(Chronology { flags: Vec::new(), flags_readable: false, last_90_days: 0, total: 0 });
    }
    let episodes = state.store.episodes(child_id).await?;
    let since = now.as_second() - 90 * 86_400;
    let last_90_days = episodes.iter().filter(|e| e.started_at >= since).count();
    let flags_readable = may_read(state, caller, facts, classify::DUTIES);
    let flags = if flags_readable {
        state.store.protocol_flags(child_id, now).await?.into_iter().map(|f| FlagOut { what: f.what, cite: f.cite, since: f.since.to_string() }).collect()
    } else {
        Vec::new()
    };
    Ok(Chronology { flags, flags_readable, last_90_days, total: episodes.len() })
}

/// Refusal for a request too large to read.
pub fn too_large() -> ApiError {
    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "invalid", "The photograph must be smaller than 5 MB", Some("photo"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_names_its_field() {
        let p = Profile {
            legal_status: "made_up".into(),
            phones: vec![Phone { number: "call me".into(), make_model: String::new() }],
            online: vec![Online { platform: String::new(), username: "kim".into(), passwords_held_by: String::new() }],
            next_review: "2026-02-30".into(),
            ..Profile::default()
        };
        let fields: Vec<String> = p.problems("2026-03-01".parse().unwrap()).into_iter().map(|p| p.field).collect();
        assert_eq!(fields, vec!["legal_status", "phone_number_0", "online_platform_0", "next_review"]);
    }

    #[test]
    fn images_are_known_by_their_bytes() {
        assert_eq!(image_type(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(image_type(b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(image_type(b"<html>not an image"), None);
    }

    #[test]
    fn postcodes_have_their_shape() {
        assert!(valid_postcode("BB1 7DJ"));
        assert!(valid_postcode("e15 4hb"));
        assert!(!valid_postcode("BB17DJ"));
        assert!(!valid_postcode("12 345"));
    }
}
