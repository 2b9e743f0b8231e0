//! The notification directory: who receives messages for each protocol role
//! in each authority, over which channels, and how long they have to
//! acknowledge. It is the partnership's deployment data (addresses change
//! more often than protocols), kept in a TOML file that is validated at start:
//!
//! ```toml
//! [defaults]
//! acknowledge_within = "1h"
//!
//! [[inbox]]
//! authority = "bath-and-north-east-somerset"                 # an authority id, or "*" for every authority
//! role = "police_mpc"                # a role of the protocol covering that authority
//! name = "Avon and Somerset Police MPC team"
//! email = ["mpc@police.example"]
//! webhooks = [{ url = "https://pager.example/homeward", secret_env = "PAGER_SECRET" }]
//! acknowledge_within = "30m"         # optional; overrides the default
//! escalate_to = "police_inspector"   # optional; overrides the protocol role's `manager`
//! ```

use homeward_core::Registry;
use jiff::SignedDuration;
use serde::Deserialize;
use std::collections::HashMap;
use std::path::Path;

/// A directory entry that is wrong, naming the file, the entry and the field.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {entry}: {field}: {message}")]
pub struct DirectoryError {
    pub file: String,
    pub entry: String,
    pub field: String,
    pub message: String,
}

#[derive(Debug, Clone)]
pub struct Webhook {
    pub url: String,
    pub secret: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct Inbox {
    pub authority: String,
    pub role: String,
    pub name: String,
    pub email: Vec<String>,
    pub webhooks: Vec<Webhook>,
    pub acknowledge_within: SignedDuration,
    /// Whom to escalate to instead of the protocol role's `manager` (a
    /// partnership may name a manager where its document does not).
    pub escalate_to: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Directory {
    /// Keyed by (authority or "*", role).
    inboxes: HashMap<(String, String), Inbox>,
    pub default_acknowledge_within: SignedDuration,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDef {
    #[serde(default)]
    defaults: DefaultsDef,
    #[serde(default)]
    inbox: Vec<InboxDef>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct DefaultsDef {
    acknowledge_within: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InboxDef {
    authority: String,
    role: String,
    name: Option<String>,
    #[serde(default)]
    email: Vec<String>,
    #[serde(default)]
    webhooks: Vec<WebhookDef>,
    acknowledge_within: Option<String>,
    escalate_to: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WebhookDef {
    url: String,
    /// The shared secret itself (fine for tests; prefer `secret_env`).
    secret: Option<String>,
    /// The environment variable holding the shared secret.
    secret_env: Option<String>,
}

/// The default time to acknowledge when neither the inbox nor the defaults say.
pub const DEFAULT_ACKNOWLEDGE_WITHIN: SignedDuration = SignedDuration::from_hours(1);

/// Parses an acknowledgement window: whole minutes or hours (`"30m"`, `"2h"`).
pub fn parse_window(text: &str) -> Result<SignedDuration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(|| format!("'{text}' has no unit (use m or h)"))?;
    let (number, unit) = text.split_at(split);
    let n: i64 = number.parse().map_err(|_| format!("'{text}' does not start with a whole number"))?;
    let d = match unit {
        "m" => SignedDuration::from_mins(n),
        "h" => SignedDuration::from_hours(n),
        other => return Err(format!("'{text}' has an unknown unit '{other}' (use m or h)")),
    };
    if d < SignedDuration::from_mins(1) || d > SignedDuration::from_hours(72) {
        return Err(format!("'{text}' must be between 1 minute and 72 hours"));
    }
    Ok(d)
}

impl Directory {
    /// Reads and validates a directory file against the protocols.
    pub fn load(path: &Path, registry: &Registry, env: &dyn Fn(&str) -> Option<String>) -> Result<Directory, DirectoryError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| DirectoryError {
            file: file.clone(),
            entry: "file".into(),
            field: "-".into(),
            message: e.to_string(),
        })?;
        Directory::parse(&file, &text, registry, env)
    }

    pub fn parse(file: &str, text: &str, registry: &Registry, env: &dyn Fn(&str) -> Option<String>) -> Result<Directory, DirectoryError> {
        let err = |entry: String, field: &str, message: String| DirectoryError { file: file.to_string(), entry, field: field.to_string(), message };
        let def: FileDef = toml::from_str(text).map_err(|e| err("file".into(), "-", e.message().to_string()))?;
        let default_acknowledge_within = match &def.defaults.acknowledge_within {
            Some(t) => parse_window(t).map_err(|m| err("defaults".into(), "acknowledge_within", m))?,
            None => DEFAULT_ACKNOWLEDGE_WITHIN,
        };
        let mut inboxes = HashMap::new();
        for (i, d) in def.inbox.iter().enumerate() {
            let entry = format!("inbox {} ({} {})", i + 1, d.authority, d.role);
            if d.authority != "*" && (d.authority.is_empty() || !d.authority.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')) {
                return Err(err(entry, "authority", format!("'{}' is not an authority id (lower case letters, digits and hyphens, or \"*\")", d.authority)));
            }
            let known = |role: &str| {
                registry
                    .all()
                    .iter()
                    .filter(|p| d.authority == "*" || p.authorities.iter().any(|a| a == &d.authority || a == "*"))
                    .any(|p| p.roles.iter().any(|r| r.id == role))
            };
            if !known(&d.role) {
                return Err(err(entry, "role", format!("'{}' is not a role of any protocol covering {}", d.role, d.authority)));
            }
            if let Some(up) = &d.escalate_to {
                if !known(up) || up == &d.role {
                    return Err(err(entry, "escalate_to", format!("'{up}' is not another role of a protocol covering {}", d.authority)));
                }
            }
            for address in &d.email {
                if address.parse::<lettre::Address>().is_err() {
                    return Err(err(entry, "email", format!("'{address}' is not an email address")));
                }
            }
            let mut webhooks = Vec::new();
            for w in &d.webhooks {
                let url = reqwest::Url::parse(&w.url).map_err(|e| err(entry.clone(), "webhooks.url", format!("'{}': {e}", w.url)))?;
                if !matches!(url.scheme(), "https" | "http") {
                    return Err(err(entry, "webhooks.url", format!("'{}' must be http or https", w.url)));
                }
                let secret = match (&w.secret, &w.secret_env) {
                    (Some(s), None) => s.clone(),
                    (None, Some(var)) => {
                        env(var).ok_or_else(|| err(entry.clone(), "webhooks.secret_env", format!("the environment variable {var} is not set")))?
                    }
                    _ => return Err(err(entry, "webhooks.secret", "give exactly one of secret or secret_env".into())),
                };
                if secret.len() < 16 {
                    return Err(err(entry, "webhooks.secret", "must be at least 16 characters".into()));
                }
                webhooks.push(Webhook { url: w.url.clone(), secret: secret.into_bytes() });
            }
            if d.email.is_empty() && webhooks.is_empty() {
                return Err(err(entry, "email", "an inbox needs at least one email address or webhook".into()));
            }
            let acknowledge_within = match &d.acknowledge_within {
                Some(t) => parse_window(t).map_err(|m| err(entry.clone(), "acknowledge_within", m))?,
                None => default_acknowledge_within,
            };
            let key = (d.authority.clone(), d.role.clone());
            if inboxes.contains_key(&key) {
                return Err(err(entry, "role", "this authority and role already have an inbox".into()));
            }
            inboxes.insert(
                key,
                Inbox {
                    authority: d.authority.clone(),
                    role: d.role.clone(),
                    name: d.name.clone().unwrap_or_else(|| format!("{} ({})", d.role, d.authority)),
                    email: d.email.clone(),
                    webhooks,
                    acknowledge_within,
                    escalate_to: d.escalate_to.clone(),
                },
            );
        }
        Ok(Directory { inboxes, default_acknowledge_within })
    }

    /// The demo partnership's directory: every role of every protocol, in
    /// every authority it covers, has an email inbox at a reserved
    /// (undeliverable) domain.
    pub fn demo(registry: &Registry) -> Directory {
        let mut inboxes = HashMap::new();
        for p in registry.all() {
            for authority in &p.authorities {
                let authority = if authority == "*" { "*".to_string() } else { authority.clone() };
                for r in &p.roles {
                    let key = (authority.clone(), r.id.clone());
                    let domain = if authority == "*" { "national".to_string() } else { authority.clone() };
                    inboxes.entry(key).or_insert_with(|| Inbox {
                        authority: authority.clone(),
                        role: r.id.clone(),
                        name: r.name.clone(),
                        email: vec![format!("{}@{}.homeward.invalid", r.id.replace('_', "-"), domain)],
                        webhooks: Vec::new(),
                        acknowledge_within: DEFAULT_ACKNOWLEDGE_WITHIN,
                        escalate_to: None,
                    });
                }
            }
        }
        Directory { inboxes, default_acknowledge_within: DEFAULT_ACKNOWLEDGE_WITHIN }
    }

    /// The inbox for a role in an authority: the authority's own, else the
    /// partnership-wide ("*") one.
    pub fn inbox(&self, authority: &str, role: &str) -> Option<&Inbox> {
        self.inboxes.get(&(authority.to_string(), role.to_string())).or_else(|| self.inboxes.get(&("*".to_string(), role.to_string())))
    }

    pub fn len(&self) -> usize {
        self.inboxes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.inboxes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry() -> Registry {
        Registry::builtin().expect("built-in protocols load")
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn reads_inboxes_and_windows() {
        let text = r#"
            [defaults]
            acknowledge_within = "2h"
            [[inbox]]
            authority = "bath-and-north-east-somerset"
            role = "police_mpc"
            email = ["mpc@police.example"]
            [[inbox]]
            authority = "*"
            role = "social_worker"
            webhooks = [{ url = "https://hooks.example/x", secret = "0123456789abcdef" }]
            acknowledge_within = "15m"
        "#;
        let d = Directory::parse("d.toml", text, &registry(), &no_env).unwrap();
        let mpc = d.inbox("bath-and-north-east-somerset", "police_mpc").unwrap();
        assert_eq!(mpc.acknowledge_within, SignedDuration::from_hours(2));
        assert_eq!(d.inbox("newham", "social_worker").unwrap().acknowledge_within, SignedDuration::from_mins(15));
        assert!(d.inbox("newham", "police_mpc").is_none());
    }

    #[test]
    fn errors_name_the_entry_and_field() {
        let cases = [
            (
                r#"[[inbox]]
authority = "bath-and-north-east-somerset"
role = "nobody"
email = ["a@b.example"]"#,
                "inbox 1 (bath-and-north-east-somerset nobody)",
                "role",
            ),
            (
                r#"[[inbox]]
authority = "bath-and-north-east-somerset"
role = "police_mpc"
email = ["not an address"]"#,
                "inbox 1 (bath-and-north-east-somerset police_mpc)",
                "email",
            ),
            (
                r#"[[inbox]]
authority = "bath-and-north-east-somerset"
role = "police_mpc"
webhooks = [{ url = "https://h.example", secret_env = "UNSET_SECRET" }]"#,
                "inbox 1 (bath-and-north-east-somerset police_mpc)",
                "webhooks.secret_env",
            ),
            (
                r#"[[inbox]]
authority = "bath-and-north-east-somerset"
role = "police_mpc"
email = ["a@b.example"]
acknowledge_within = "3d""#,
                "inbox 1 (bath-and-north-east-somerset police_mpc)",
                "acknowledge_within",
            ),
            (
                r#"[[inbox]]
authority = "bath-and-north-east-somerset"
role = "police_mpc""#,
                "inbox 1 (bath-and-north-east-somerset police_mpc)",
                "email",
            ),
            (
                r#"[[inbox]]
authority = "bath-and-north-east-somerset"
role = "police_mpc"
email = ["a@b.example"]
escalate_to = "chief_constable""#,
                "inbox 1 (bath-and-north-east-somerset police_mpc)",
                "escalate_to",
            ),
        ];
        for (text, entry, field) in cases {
            let e = Directory::parse("d.toml", text, &registry(), &no_env).unwrap_err();
            assert_eq!((e.entry.as_str(), e.field.as_str()), (entry, field), "{e}");
        }
    }

    #[test]
    fn secrets_come_from_the_environment() {
        let text = r#"[[inbox]]
authority = "bath-and-north-east-somerset"
role = "police_mpc"
webhooks = [{ url = "https://h.example", secret_env = "PAGER" }]"#;
        let env = |k: &str| (k == "PAGER").then(|| "a-long-enough-secret".to_string());
        let d = Directory::parse("d.toml", text, &registry(), &env).unwrap();
        assert_eq!(d.inbox("bath-and-north-east-somerset", "police_mpc").unwrap().webhooks[0].secret, b"a-long-enough-secret");
    }

    #[test]
    fn the_example_directory_is_valid() {
        let text = include_str!("../../../../examples/directory.toml");
        let env = |_: &str| Some("an-example-secret-of-enough-length".to_string());
        let d = Directory::parse("examples/directory.toml", text, &registry(), &env).unwrap();
        assert!(d.inbox("bath-and-north-east-somerset", "police").is_some());
        assert_eq!(d.inbox("bath-and-north-east-somerset", "police").unwrap().escalate_to.as_deref(), Some("police_senior_manager"));
    }

    #[test]
    fn demo_covers_every_role() {
        let r = registry();
        let d = Directory::demo(&r);
        for p in r.all() {
            for a in &p.authorities {
                for role in &p.roles {
                    assert!(d.inbox(a, &role.id).is_some(), "{} {a} {}", p.id, role.id);
                }
            }
        }
    }
}
