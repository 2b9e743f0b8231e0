//! `homeward accounts`: agencies, users and API tokens, for administrators
//! working on the server (the pages under `/admin` do the same over the web,
//! for those the policy's administration grants allow).

use crate::serve::{DatabaseArgs, runtime};
use anyhow::{Context, Result, bail};
use homeward_access::Policies;
use homeward_server::auth::{TOKEN_PREFIX, password, random_token, token_hash};
use homeward_store::{NewAgency, NewUser, Store};
use std::io::Read;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(clap::Subcommand)]
pub enum AccountsCommand {
    /// Add an agency (a police force, children's services, a placement provider, …).
    AddAgency {
        #[command(flatten)]
        database: DatabaseArgs,
        /// A short id, e.g. `bolton-childrens-services`.
        #[arg(long)]
        id: String,
        #[arg(long)]
        name: String,
        /// police, childrens_services, health, education, placement, return_interview_service, partnership, …
        #[arg(long)]
        kind: String,
        /// An authority the agency serves (repeatable).
        #[arg(long = "authority", value_name = "ID")]
        authorities: Vec<String>,
    },
    /// Add a user. The password is read from standard input (one line), or
    /// from HOMEWARD_PASSWORD; with neither, the account can only use API tokens.
    AddUser {
        #[command(flatten)]
        database: DatabaseArgs,
        #[arg(long)]
        username: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        agency: String,
        /// A role of the access policy (e.g. social_worker, police_mpc, placement_manager).
        #[arg(long)]
        role: String,
        #[arg(long)]
        team: Option<String>,
        #[arg(long)]
        email: Option<String>,
        /// Read the password from standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a user's password (read from standard input).
    SetPassword {
        #[command(flatten)]
        database: DatabaseArgs,
        #[arg(long)]
        username: String,
    },
    /// Disable a user: their sessions end at once and tokens stop working.
    Disable {
        #[command(flatten)]
        database: DatabaseArgs,
        #[arg(long)]
        username: String,
    },
    /// Create an API token for a user and print it (it is shown only once).
    Token {
        #[command(flatten)]
        database: DatabaseArgs,
        #[arg(long)]
        username: String,
        /// What the token is for.
        #[arg(long)]
        name: String,
        /// read, write (repeatable).
        #[arg(long = "scope", value_name = "SCOPE", required = true)]
        scopes: Vec<String>,
        /// Days until it expires; default: until revoked.
        #[arg(long)]
        days: Option<i64>,
    },
    /// Link a user to their login at a single sign-on provider: the
    /// provider's `sub` claim for them (its administrators can look it up).
    LinkSso {
        #[command(flatten)]
        database: DatabaseArgs,
        #[arg(long)]
        username: String,
        /// The provider's id in the single sign-on settings.
        #[arg(long)]
        provider: String,
        #[arg(long)]
        subject: String,
    },
    /// Remove a user's link to a single sign-on provider.
    UnlinkSso {
        #[command(flatten)]
        database: DatabaseArgs,
        #[arg(long)]
        username: String,
        #[arg(long)]
        provider: String,
    },
    /// List agencies and users.
    List {
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

fn read_password() -> Result<String> {
    let mut line = String::new();
    std::io::stdin().read_to_string(&mut line).context("reading the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

pub fn run(registry: homeward_core::Registry, cmd: AccountsCommand) -> Result<ExitCode> {
    let registry = Arc::new(registry);
    let policies = Policies::built_in().map_err(|e| anyhow::anyhow!("the built-in access policy: {e}"))?;
    runtime()?.block_on(async move {
        match cmd {
            AccountsCommand::AddAgency { database, id, name, kind, authorities } => {
                let store = Store::new(database.open().await?, registry);
                let agency = store.create_agency(&NewAgency { id, name, kind, authorities }, now()).await?;
                println!("agency {} ({}) serves {}", agency.id, agency.kind, agency.authority_list().join(", "));
            }
            AccountsCommand::AddUser { database, username, name, agency, role, team, email, password_stdin } => {
                let store = Store::new(database.open().await?, registry);
                let Some(found) = store.agency(&agency).await? else { bail!("--agency: no agency '{agency}'") };
                let policy = policies.at(jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date());
                match policy.role(&role) {
                    None => bail!(
                        "--role: '{role}' is not a role of the access policy ({})",
                        policy.roles.iter().map(|r| r.id.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                    Some(r) if !r.agencies.contains(&found.kind) => {
                        bail!("--role: {role} is a role of {} agencies, and {agency} is {}", r.agencies.join(", "), found.kind)
                    }
                    Some(_) => {}
                }
                let secret = if password_stdin { Some(read_password()?) } else { std::env::var("HOMEWARD_PASSWORD").ok() };
                let password_hash = match secret {
                    Some(p) => Some(password::hash(p).await?),
                    None => None,
                };
                let user = store.create_user(&NewUser { username, display_name: name, email, agency_id: agency, role, team, password_hash }, now()).await?;
                println!("user {} ({}, {})", user.username, user.role, user.agency_id);
            }
            AccountsCommand::SetPassword { database, username } => {
                let store = Store::new(database.open().await?, registry);
                let Some(identity) = store.identity_by_username(&username).await? else { bail!("--username: no user '{username}'") };
                let hash = password::hash(read_password()?).await?;
                store.reset_password(&identity.user.id, &hash, now()).await?;
                println!("password set for {}; their sessions have ended", identity.user.username);
            }
            AccountsCommand::Disable { database, username } => {
                let store = Store::new(database.open().await?, registry);
                let Some(identity) = store.identity_by_username(&username).await? else { bail!("--username: no user '{username}'") };
                store.set_disabled(&identity.user.id, true, now()).await?;
                println!("{} is disabled", identity.user.username);
            }
            AccountsCommand::Token { database, username, name, scopes, days } => {
                let store = Store::new(database.open().await?, registry);
                let Some(identity) = store.identity_by_username(&username).await? else { bail!("--username: no user '{username}'") };
                let expires = days.map(|d| now() + d.clamp(1, 366) * 86_400);
                let token = format!("{TOKEN_PREFIX}{}", random_token());
                store.create_token(&token_hash(&token), &identity.user.id, &name, &scopes, now(), expires).await?;
                println!("{token}");
            }
            AccountsCommand::LinkSso { database, username, provider, subject } => {
                let store = Store::new(database.open().await?, registry);
                let Some(identity) = store.identity_by_username(&username).await? else { bail!("--username: no user '{username}'") };
                store.link_sso(&provider, &subject, &identity.user.id, now()).await?;
                println!("{} logs in through {provider} as {subject}", identity.user.username);
            }
            AccountsCommand::UnlinkSso { database, username, provider } => {
                let store = Store::new(database.open().await?, registry);
                let Some(identity) = store.identity_by_username(&username).await? else { bail!("--username: no user '{username}'") };
                match store.unlink_sso(&provider, &identity.user.id).await? {
                    0 => bail!("--provider: {} has no link to {provider}", identity.user.username),
                    _ => println!("{} no longer logs in through {provider}", identity.user.username),
                }
            }
            AccountsCommand::List { database } => {
                let store = Store::new(database.open().await?, registry);
                for a in store.agencies().await? {
                    println!("agency {} ({}, {}): {}", a.id, a.kind, a.authority_list().join(", "), a.name);
                }
                for u in store.users().await? {
                    let state = if u.disabled != 0 { " [disabled]" } else { "" };
                    println!("user {} ({}, {}){state}: {}", u.username, u.role, u.agency_id, u.display_name);
                    for link in store.sso_links_of(&u.id).await? {
                        println!("  single sign-on {}: {}", link.provider, link.subject);
                    }
                }
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}
