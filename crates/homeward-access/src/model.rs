//! What a policy is made of, once loaded and checked.

use jiff::civil::Date;
use serde::Serialize;
use std::fmt;

/// Reading or writing a record's fields of one class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Read,
    Write,
}

impl Action {
    pub const ALL: [Action; 2] = [Action::Read, Action::Write];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Write => "write",
        }
    }

    pub fn parse(text: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == text)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a user's agency stands to a child's record. A rule applies to a
/// record only through one of its relations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// The child's responsible authority is one the agency serves.
    Responsible,
    /// The authority the child lives or is placed in is one the agency serves.
    Host,
    /// The agency is the child's current placement provider.
    Placement,
    /// The child has been referred to the agency for return interviews.
    ReturnInterview,
    /// The agency is the child's school or education setting.
    School,
    /// The agency is the health provider involved with the child.
    Health,
    /// Another partnership's agency involved in one episode (cross-border),
    /// for as long as the involvement lasts.
    CrossBorder,
    /// The user holds a current break-glass grant for this child.
    BreakGlass,
    /// Every record (used only for pseudonymised data).
    Any,
}

impl Relation {
    pub const ALL: [Relation; 9] = [
        Relation::Responsible,
        Relation::Host,
        Relation::Placement,
        Relation::ReturnInterview,
        Relation::School,
        Relation::Health,
        Relation::CrossBorder,
        Relation::BreakGlass,
        Relation::Any,
    ];

    /// Relations recorded as an involvement of an agency with a child.
    pub const INVOLVEMENTS: [Relation; 5] = [Relation::Placement, Relation::ReturnInterview, Relation::School, Relation::Health, Relation::CrossBorder];

    pub fn as_str(self) -> &'static str {
        match self {
            Relation::Responsible => "responsible",
            Relation::Host => "host",
            Relation::Placement => "placement",
            Relation::ReturnInterview => "return_interview",
            Relation::School => "school",
            Relation::Health => "health",
            Relation::CrossBorder => "cross_border",
            Relation::BreakGlass => "break_glass",
            Relation::Any => "any",
        }
    }

    pub fn parse(text: &str) -> Option<Relation> {
        Relation::ALL.into_iter().find(|r| r.as_str() == text)
    }

    pub fn is_involvement(self) -> bool {
        Relation::INVOLVEMENTS.contains(&self)
    }

    /// The kinds of agency that can stand in this relation as an
    /// involvement: a placement is a placement provider, a referral for
    /// return interviews goes to a return-interview service, and so on.
    /// Empty for relations that are not involvements.
    pub fn involvement_agencies(self) -> &'static [&'static str] {
        match self {
            Relation::Placement => &["placement"],
            Relation::ReturnInterview => &["return_interview_service"],
            Relation::School => &["education"],
            Relation::Health => &["health"],
            Relation::CrossBorder => &["childrens_services", "police"],
            Relation::Responsible | Relation::Host | Relation::BreakGlass | Relation::Any => &[],
        }
    }
}

impl fmt::Display for Relation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A named group of fields that are shared or withheld together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldClass {
    pub id: String,
    /// What the class holds, in words.
    pub what: String,
}

/// A role a user can hold, and the kinds of agency that have it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Role {
    pub id: String,
    pub name: String,
    pub agencies: Vec<String>,
    /// The protocol roles (ids used in the protocol files) whose messages a
    /// user with this role answers for: the inbox they stand behind. A
    /// protocol role no policy role lists is answered for by every role of
    /// the protocol role's agency kind (a force's or a home's shared inbox).
    pub answers_for: Vec<String>,
}

/// One permission: these roles of these agencies may do these actions on
/// these field classes of a child's record, when they stand in one of these
/// relations to it, unless the child has one of `unless_flags`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rule {
    pub id: String,
    /// Agency kinds (the replay contract's vocabulary).
    pub agencies: Vec<String>,
    /// Role ids; empty means every role of those agencies.
    pub roles: Vec<String>,
    pub actions: Vec<Action>,
    pub classes: Vec<String>,
    pub relations: Vec<Relation>,
    pub unless_flags: Vec<String>,
    /// Why the rule exists, in words a safeguarding lead can check.
    pub reason: String,
    /// The paragraphs it rests on.
    pub cite: Vec<String>,
    /// For a rule through `break_glass`: how many hours a grant lasts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lasts_hours: Option<i64>,
}

/// Emergency access as the policy allows it to one user: the rule that
/// allows it and how long a grant lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakGlass<'a> {
    pub rule: &'a Rule,
    pub lasts_hours: i64,
}

/// A whole access policy: one reviewed version with its effective date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Policy {
    pub version: String,
    pub effective_from: Date,
    pub classes: Vec<FieldClass>,
    pub roles: Vec<Role>,
    pub rules: Vec<Rule>,
    /// Who may administer accounts, and whose (`[[administration]]`).
    pub administration: Vec<crate::administer::Administration>,
}

impl Policy {
    pub fn role(&self, id: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.id == id)
    }

    /// Whether a user with policy role `role`, in an agency of kind
    /// `agency_kind`, answers for messages addressed to the protocol role
    /// `protocol_role`, which belongs to agencies of kind `protocol_agency`.
    /// The agency kinds must agree; then the policy roles that list the
    /// protocol role in `answers_for` answer for it, or, when none lists it, every
    /// policy role of that agency kind (a shared inbox).
    pub fn answers_for(&self, role: &str, agency_kind: &str, protocol_role: &str, protocol_agency: &str) -> bool {
        if agency_kind != protocol_agency {
            return false;
        }
        let mut holders = self.roles.iter().filter(|r| r.answers_for.iter().any(|h| h == protocol_role)).peekable();
        if holders.peek().is_none() {
            return self.role(role).is_some_and(|r| r.agencies.iter().any(|a| a == agency_kind));
        }
        holders.any(|r| r.id == role)
    }

    pub fn class(&self, id: &str) -> Option<&FieldClass> {
        self.classes.iter().find(|c| c.id == id)
    }

    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// The first rule that would let a user with `role` in an agency of
    /// `agency_kind` read records through break-glass, if any: who may ask
    /// for emergency access, and for how long it is granted.
    pub fn break_glass(&self, agency_kind: &str, role: &str) -> Option<BreakGlass<'_>> {
        self.rules.iter().find_map(|r| {
            let names = r.relations.contains(&Relation::BreakGlass)
                && r.agencies.iter().any(|a| a == agency_kind)
                && (r.roles.is_empty() || r.roles.iter().any(|x| x == role))
                && r.actions.contains(&Action::Read);
            names.then_some(r.lasts_hours.map(|lasts_hours| BreakGlass { rule: r, lasts_hours })).flatten()
        })
    }

    /// Whether `rule` is one that applies through break-glass.
    pub fn is_break_glass_rule(&self, rule: &str) -> bool {
        self.rule(rule).is_some_and(|r| r.relations.contains(&Relation::BreakGlass))
    }
}
