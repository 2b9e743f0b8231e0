//! Who may administer accounts: the policy's `[[administration]]` grants.
//!
//! A grant lets users with one of its `roles`, in an agency of one of its
//! `agencies` kinds, add people, change their role or team, disable them,
//! reset their passwords and revoke their API tokens, either in every agency
//! (`all_agencies`: the partnership's administrator) or in their own agency
//! only (`own_agency`: a force's or a council's administrator). Only an
//! `all_agencies` grant adds agencies. A policy without grants lets nobody
//! administer over the web. Like a rule, every decision names its grant.

use crate::decide::{DEFAULT_DENY, Decision, Principal};
use crate::model::Policy;
use serde::Serialize;
use std::fmt;

/// Whose accounts a grant reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Every agency's accounts, and adding agencies.
    AllAgencies,
    /// The accounts of the administrator's own agency.
    OwnAgency,
}

impl Scope {
    pub const ALL: [Scope; 2] = [Scope::AllAgencies, Scope::OwnAgency];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::AllAgencies => "all_agencies",
            Scope::OwnAgency => "own_agency",
        }
    }

    pub fn parse(text: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One grant of account administration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Administration {
    pub id: String,
    /// Role ids (at least one: administration is never given to every role).
    pub roles: Vec<String>,
    /// Agency kinds.
    pub agencies: Vec<String>,
    pub scope: Scope,
    /// Why the grant exists, in words.
    pub reason: String,
}

impl Administration {
    /// Whether the grant speaks to this principal at all.
    pub fn covers(&self, who: &Principal) -> bool {
        self.agencies.iter().any(|a| a == &who.agency_kind) && self.roles.iter().any(|r| r == &who.role)
    }

    /// Whether it reaches the accounts of agency `agency_id`.
    pub fn reaches(&self, who: &Principal, agency_id: &str) -> bool {
        match self.scope {
            Scope::AllAgencies => true,
            Scope::OwnAgency => who.agency_id == agency_id,
        }
    }
}

fn allowed(grant: &Administration) -> Decision {
    Decision { allowed: true, rule: grant.id.clone(), relation: None, reason: grant.reason.clone() }
}

impl Policy {
    /// The widest grant that covers `who` (an `all_agencies` one before an
    /// `own_agency` one), if any: whether they administer accounts at all.
    pub fn administration(&self, who: &Principal) -> Option<&Administration> {
        let mut covering = self.administration.iter().filter(|g| g.covers(who));
        let first = covering.clone().find(|g| g.scope == Scope::AllAgencies);
        first.or_else(|| covering.next())
    }

    /// May `who` administer accounts at all (see the people they may
    /// administer)? The decision names the grant, or `default-deny`.
    pub fn decide_administration(&self, who: &Principal) -> Decision {
        match self.administration(who) {
            Some(grant) => allowed(grant),
            None => Decision {
                allowed: false,
                rule: DEFAULT_DENY.to_string(),
                relation: None,
                reason: format!("no administration grant of the policy covers a {} of a {} agency", who.role, who.agency_kind),
            },
        }
    }

    /// May `who` administer the accounts of agency `agency_id`? The first
    /// grant covering them that reaches that agency decides.
    pub fn decide_administration_of(&self, who: &Principal, agency_id: &str) -> Decision {
        match self.administration.iter().find(|g| g.covers(who) && g.reaches(who, agency_id)) {
            Some(grant) => allowed(grant),
            None => Decision {
                allowed: false,
                rule: DEFAULT_DENY.to_string(),
                relation: None,
                reason: format!("no administration grant lets a {} of a {} agency administer the accounts of {agency_id}", who.role, who.agency_kind),
            },
        }
    }

    /// May `who` add agencies? Only an `all_agencies` grant allows it.
    pub fn decide_adding_agencies(&self, who: &Principal) -> Decision {
        match self.administration.iter().find(|g| g.covers(who) && g.scope == Scope::AllAgencies) {
            Some(grant) => allowed(grant),
            None => Decision {
                allowed: false,
                rule: DEFAULT_DENY.to_string(),
                relation: None,
                reason: format!("only an all_agencies administration grant adds agencies, and none covers a {} of a {} agency", who.role, who.agency_kind),
            },
        }
    }

    /// The agency kinds the policy has roles for: the kinds an agency may be.
    pub fn agency_kinds(&self) -> Vec<&str> {
        let mut kinds: Vec<&str> = Vec::new();
        for role in &self.roles {
            for a in &role.agencies {
                if !kinds.contains(&a.as_str()) {
                    kinds.push(a);
                }
            }
        }
        kinds
    }

    /// The roles a person in an agency of kind `agency_kind` may hold.
    pub fn roles_for(&self, agency_kind: &str) -> Vec<&crate::model::Role> {
        self.roles.iter().filter(|r| r.agencies.iter().any(|a| a == agency_kind)).collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::parse;

    const POLICY: &str = r#"
version = "t"
effective_from = "2020-01-01"
[[class]]
id = "identity"
what = "names"
[[role]]
id = "social_worker"
name = "Social worker"
agencies = ["childrens_services"]
[[role]]
id = "system_administrator"
name = "System administrator"
agencies = ["partnership", "childrens_services"]
[[administration]]
id = "own"
roles = ["system_administrator"]
agencies = ["childrens_services"]
scope = "own_agency"
reason = "A council's administrator looks after its own staff's accounts."
[[administration]]
id = "everyone"
roles = ["system_administrator"]
agencies = ["partnership"]
scope = "all_agencies"
reason = "The partnership's administrator looks after every agency's accounts."
"#;

    fn who(agency: &str, kind: &str, role: &str) -> crate::Principal {
        crate::Principal { user_id: "u".into(), agency_id: agency.into(), agency_kind: kind.into(), authorities: vec![], role: role.into() }
    }

    #[test]
    fn each_decision_names_the_grant_and_its_scope_holds() {
        let p = parse(POLICY).unwrap();
        let partnership = who("psp", "partnership", "system_administrator");
        let council = who("bolton-cs", "childrens_services", "system_administrator");
        let worker = who("bolton-cs", "childrens_services", "social_worker");

        assert_eq!(p.decide_administration(&partnership).rule, "everyone");
        assert_eq!(p.decide_administration_of(&partnership, "bolton-cs").rule, "everyone");
        assert!(p.decide_adding_agencies(&partnership).allowed);

        let own = p.decide_administration_of(&council, "bolton-cs");
        assert!(own.allowed);
        assert_eq!(own.rule, "own");
        let other = p.decide_administration_of(&council, "york-cs");
        assert!(!other.allowed);
        assert_eq!(other.rule, crate::DEFAULT_DENY);
        assert!(!p.decide_adding_agencies(&council).allowed, "an own-agency administrator adds no agencies");

        let refused = p.decide_administration(&worker);
        assert!(!refused.allowed);
        assert_eq!(refused.rule, crate::DEFAULT_DENY);
        assert!(refused.reason.contains("social_worker"), "{}", refused.reason);
        assert!(!p.decide_administration_of(&worker, "bolton-cs").allowed);
    }

    #[test]
    fn the_widest_grant_is_the_one_that_says_whether_someone_administers() {
        let text = POLICY.replace("agencies = [\"partnership\"]\nscope", "agencies = [\"childrens_services\"]\nscope");
        let p = parse(&text).unwrap();
        let council = who("bolton-cs", "childrens_services", "system_administrator");
        assert_eq!(p.administration(&council).map(|g| g.id.as_str()), Some("everyone"));
        assert!(p.decide_administration_of(&council, "york-cs").allowed);
    }

    #[test]
    fn without_grants_nobody_administers() {
        let text = POLICY.split("[[administration]]").next().unwrap();
        let p = parse(text).unwrap();
        assert!(p.administration.is_empty());
        assert!(!p.decide_administration(&who("psp", "partnership", "system_administrator")).allowed);
    }

    #[test]
    fn kinds_and_roles_come_from_the_roles() {
        let p = parse(POLICY).unwrap();
        assert_eq!(p.agency_kinds(), vec!["childrens_services", "partnership"]);
        let ids: Vec<&str> = p.roles_for("childrens_services").iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, vec!["social_worker", "system_administrator"]);
        assert!(p.roles_for("police").is_empty());
    }

    #[test]
    fn a_grant_with_mistakes_is_refused_naming_the_grant_and_field() {
        let cases = [
            ("scope = \"own_agency\"", "scope = \"everywhere\"", "administration[own].scope"),
            (
                "roles = [\"system_administrator\"]\nagencies = [\"childrens_services\"]",
                "roles = []\nagencies = [\"childrens_services\"]",
                "administration[own].roles",
            ),
            (
                "roles = [\"system_administrator\"]\nagencies = [\"childrens_services\"]",
                "roles = [\"wizard\"]\nagencies = [\"childrens_services\"]",
                "administration[own].roles",
            ),
            (
                "roles = [\"system_administrator\"]\nagencies = [\"childrens_services\"]",
                "roles = [\"system_administrator\"]\nagencies = []",
                "administration[own].agencies",
            ),
            (
                "roles = [\"system_administrator\"]\nagencies = [\"childrens_services\"]",
                "roles = [\"system_administrator\"]\nagencies = [\"wizards\"]",
                "administration[own].agencies",
            ),
            // The role is not one an agency of these kinds has.
            (
                "roles = [\"system_administrator\"]\nagencies = [\"childrens_services\"]",
                "roles = [\"system_administrator\"]\nagencies = [\"police\"]",
                "administration[own].roles",
            ),
            ("reason = \"A council's administrator looks after its own staff's accounts.\"", "reason = \" \"", "administration[own].reason"),
            ("id = \"everyone\"", "id = \"own\"", "administration[own].id"),
        ];
        for (from, to, path) in cases {
            let text = POLICY.replacen(from, to, 1);
            assert_ne!(text, POLICY, "{from}");
            let e = parse(&text).expect_err(path);
            assert_eq!(e.path, path, "{to}: {e}");
        }
        // A grant id may not be a rule's id: the audit names one or the other.
        let clash = format!(
            "{POLICY}\n[[rule]]\nid = \"own\"\nagencies = [\"childrens_services\"]\nactions = [\"read\"]\nclasses = [\"identity\"]\nrelations = [\"responsible\"]\nreason = \"r\"\n"
        );
        assert_eq!(parse(&clash).expect_err("clash").path, "administration[own].id");
    }
}
