//! Whom to tell, and what to say, when a duty reaches a stage.
//!
//! - When a duty triggers, the role to be told (`to`) and the role that must
//!   act (`by`) each get a message.
//! - When it becomes overdue, the role that must act is told again.
//! - A message nobody acknowledges in time is re-sent and escalated to the
//!   role's manager (the directory's `escalate_to` for that inbox, else the
//!   protocol role's `manager`), and so on up; at the top it is re-sent
//!   every window until acknowledged.
//!
//! Messages carry the minimum a practitioner needs to act (the child's given
//! name and family initial, age, Homeward reference, the duty, its deadline
//! and the paragraph that creates it), not the record itself.

use super::directory::Directory;
use super::ics;
use homeward_core::Registry;
use homeward_core::protocol::Role;
use homeward_store::{Alert, Child, NewNotification, NotificationRecord, Notifier, Target};
use jiff::{SignedDuration, Timestamp};
use std::sync::Arc;

/// Escalation stops after this many levels, whatever the protocol's manager
/// chain says (a misconfigured loop must not page forever upwards).
pub const MAX_LEVEL: i64 = 5;

pub struct Planner {
    registry: Arc<Registry>,
    directory: Arc<Directory>,
    /// The service's address as practitioners reach it, for links.
    public_url: String,
}

impl Planner {
    pub fn new(registry: Arc<Registry>, directory: Arc<Directory>, public_url: impl Into<String>) -> Planner {
        Planner { registry, directory, public_url: public_url.into().trim_end_matches('/').to_string() }
    }

    /// The role as the newest version of the protocol defines it.
    fn role(&self, protocol: &str, role: &str) -> Option<&Role> {
        self.registry.versions(protocol).filter_map(|p| p.roles.iter().find(|r| r.id == role)).last()
    }

    fn role_name(&self, protocol: &str, role: &str) -> String {
        self.role(protocol, role).map(|r| r.name.clone()).unwrap_or_else(|| role.to_string())
    }

    fn targets(&self, authority: &str, role: &str) -> (Vec<Target>, SignedDuration) {
        match self.directory.inbox(authority, role) {
            Some(inbox) => {
                let mut targets: Vec<Target> = inbox.email.iter().map(|a| Target { channel: "email".into(), address: a.clone() }).collect();
                targets.extend(inbox.webhooks.iter().map(|w| Target { channel: "webhook".into(), address: w.url.clone() }));
                (targets, inbox.acknowledge_within)
            }
            None => (Vec::new(), self.directory.default_acknowledge_within),
        }
    }

    /// Whom an unacknowledged message to `role` escalates to: the
    /// directory's `escalate_to` for that inbox, else the protocol role's manager.
    fn manager_of(&self, authority: &str, protocol: &str, role: &str) -> Option<String> {
        let configured = self.directory.inbox(authority, role).and_then(|i| i.escalate_to.clone());
        configured.or_else(|| self.role(protocol, role).and_then(|r| r.manager.clone()))
    }

    /// The notification's page: after logging in, it shows the duty and
    /// an Acknowledge button (a mail client can only follow a link).
    fn link(&self, id: &str) -> String {
        format!("{}/notifications/{id}", self.public_url)
    }
}

/// "Amelia S." — enough to recognise, little to leak.
fn short_name(child: &Child) -> String {
    let initial = child.family_name.chars().next().map(|c| format!(" {c}.")).unwrap_or_default();
    format!("{}{initial}", child.given_name)
}

fn age_at(child: &Child, at: Timestamp) -> Option<i16> {
    let dob: jiff::civil::Date = child.date_of_birth.parse().ok()?;
    let today = at.to_zoned(homeward_core::calendar::london().clone()).date();
    let mut age = today.year() - dob.year();
    if (today.month(), today.day()) < (dob.month(), dob.day()) {
        age -= 1;
    }
    Some(age)
}

pub fn local(t: Timestamp) -> String {
    t.to_zoned(homeward_core::calendar::london().clone()).strftime("%a %-d %b %Y %H:%M %Z").to_string()
}

impl Notifier for Planner {
    fn on_alert(&self, a: &Alert, child: &Child) -> Vec<NewNotification> {
        let mut roles: Vec<(&str, &str)> = Vec::new();
        match a.stage.as_str() {
            "triggered" => {
                if let Some(to) = a.to.as_deref() {
                    roles.push((to, "to be told"));
                }
                if !roles.iter().any(|(r, _)| *r == a.by) {
                    roles.push((&a.by, "to act"));
                }
            }
            "overdue" => roles.push((&a.by, "overdue")),
            _ => {}
        }
        let name = short_name(child);
        let age = age_at(child, a.triggered_at).map(|n| format!(", aged {n}")).unwrap_or_default();
        let by = self.role_name(&a.protocol, &a.by);
        let to = a.to.as_deref().map(|r| self.role_name(&a.protocol, r));
        roles
            .into_iter()
            .map(|(role, why)| {
                let id = uuid::Uuid::now_v7().to_string();
                let (targets, ack_within) = self.targets(&a.authority, role);
                let prefix = if why == "overdue" { "OVERDUE: " } else { "" };
                let subject = format!("{prefix}{} — {name} (due {})", a.what, local(a.due));
                let mut body = String::new();
                body.push_str(match why {
                    "to be told" => "Homeward: the protocol says you must be told about this child.\n\n",
                    "overdue" => "Homeward: this duty is now OVERDUE.\n\n",
                    _ => "Homeward: the protocol gives you a duty for this child.\n\n",
                });
                body.push_str(&format!("Child: {name}{age} (Homeward reference {})\n", child.id));
                body.push_str(&format!("Duty: {}\n", a.what));
                body.push_str(&format!("Who must do it: {by}\n"));
                if let Some(to) = &to {
                    body.push_str(&format!("Who is to be told: {to}\n"));
                }
                body.push_str(&format!("Due: {}\n", local(a.due)));
                body.push_str(&format!("Protocol: {}\n", a.cite));
                body.push_str(&format!("Sent to: {} ({})\n\n", self.role_name(&a.protocol, role), a.authority));
                body.push_str(&format!(
                    "Acknowledge within {} that you have seen this, or it will be sent again and escalated:\n{}\n",
                    describe(ack_within),
                    self.link(&id)
                ));
                let calendar = (a.kind == "meeting" && a.stage == "triggered").then(|| {
                    ics::meeting(
                        &format!("{}@homeward", a.duty_id),
                        a.triggered_at,
                        a.due,
                        &format!("{} — {name}", a.what),
                        &format!("{} (Homeward reference {})", a.cite, child.id),
                    )
                });
                NewNotification {
                    id,
                    duty_id: a.duty_id.clone(),
                    stage: a.stage.clone(),
                    child_id: a.child_id.clone(),
                    authority: a.authority.clone(),
                    protocol: a.protocol.clone(),
                    role: role.to_string(),
                    level: 0,
                    escalation_of: None,
                    subject,
                    body,
                    calendar,
                    ack_within,
                    targets,
                }
            })
            .collect()
    }

    fn on_break_glass(&self, child: &Child, grant: &homeward_store::AccessGrant, who: &str) -> Vec<NewNotification> {
        let authority = child.responsible_authority.clone();
        let protocol = self.registry.protocol_id_for(&authority).to_string();
        // The child's social worker's manager under the protocol (a team
        // manager, or newham's practice lead), unless the directory says otherwise.
        let manager = self
            .directory
            .inbox(&authority, "social_worker")
            .and_then(|i| i.escalate_to.clone())
            .or_else(|| self.role(&protocol, "social_worker").and_then(|r| r.manager.clone()))
            .unwrap_or_else(|| "team_manager".to_string());
        let id = uuid::Uuid::now_v7().to_string();
        let (targets, ack_within) = self.targets(&authority, &manager);
        let until = Timestamp::from_second(grant.expires_at).map(local).unwrap_or_default();
        let subject = format!("Break-glass access to {}'s record", short_name(child));
        let body = format!(
            "Homeward: {who} used break-glass (emergency) access to the record of {} (Homeward reference {}), \
             which their normal access does not cover.\n\nReason given: {}\nAccess lasts until: {until}\n\n\
             Every read under this access is flagged in the record's access log. If it was not justified, raise it \
             with the person and the partnership's information governance lead.\n\nAcknowledge that you have seen this:\n{}\n",
            short_name(child),
            child.id,
            grant.reason,
            self.link(&id)
        );
        vec![NewNotification {
            id,
            duty_id: format!("break-glass/{}", grant.id),
            stage: homeward_access::classify::BREAK_GLASS_STAGE.to_string(),
            child_id: child.id.clone(),
            authority,
            protocol,
            role: manager,
            level: 0,
            escalation_of: None,
            subject,
            body,
            calendar: None,
            ack_within,
            targets,
        }]
    }

    fn managers_above(&self, authority: &str, protocol: &str, role: &str) -> Vec<String> {
        let mut chain: Vec<String> = Vec::new();
        let mut current = role.to_string();
        while chain.len() < MAX_LEVEL as usize {
            match self.manager_of(authority, protocol, &current) {
                Some(next) if next != role && !chain.contains(&next) => {
                    chain.push(next.clone());
                    current = next;
                }
                _ => break,
            }
        }
        chain
    }

    fn escalate(&self, waiting: &NotificationRecord) -> Option<NewNotification> {
        if waiting.level >= MAX_LEVEL {
            return None;
        }
        let manager = self.manager_of(&waiting.authority, &waiting.protocol, &waiting.role)?;
        let id = uuid::Uuid::now_v7().to_string();
        let (targets, ack_within) = self.targets(&waiting.authority, &manager);
        let told = self.role_name(&waiting.protocol, &waiting.role);
        let subject = format!("NOT ACKNOWLEDGED: {}", waiting.subject.trim_start_matches("NOT ACKNOWLEDGED: "));
        let sent = Timestamp::from_second(waiting.created_at).map(local).unwrap_or_default();
        let body = format!(
            "Homeward: nobody acknowledged this message sent to {told} ({}) at {sent} within {}. \
             You are told as the manager named by the protocol.\n\n{}\n\nAcknowledge that you have seen this:\n{}\n",
            waiting.authority,
            describe(SignedDuration::from_secs(waiting.ack_within)),
            waiting.body.split("\nAcknowledge within").next().unwrap_or(&waiting.body).trim_end(),
            self.link(&id)
        );
        Some(NewNotification {
            id,
            duty_id: waiting.duty_id.clone(),
            stage: waiting.stage.clone(),
            child_id: waiting.child_id.clone(),
            authority: waiting.authority.clone(),
            protocol: waiting.protocol.clone(),
            role: manager,
            level: waiting.level + 1,
            escalation_of: Some(waiting.id.clone()),
            subject,
            body,
            calendar: None,
            ack_within,
            targets,
        })
    }
}

fn describe(d: SignedDuration) -> String {
    let mins = d.as_secs() / 60;
    match (mins / 60, mins % 60) {
        (0, m) => format!("{m} minutes"),
        (1, 0) => "1 hour".to_string(),
        (h, 0) => format!("{h} hours"),
        (h, m) => format!("{h} h {m} min"),
    }
}
