//! `homeward serve` and `homeward migrate`.

use anyhow::{Context, Result};
use homeward_core::Registry;
use homeward_server::notify::{self, Channels, Directory, Mailer, Planner};
use homeward_server::{AppState, SystemClock, worker};
use homeward_store::{Db, Store};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(clap::Args)]
pub struct DatabaseArgs {
    /// `postgres://…` for production; default: an embedded SQLite database in --data-dir.
    #[arg(long, env = "HOMEWARD_DATABASE_URL")]
    database_url: Option<String>,
    /// Where the embedded SQLite database lives.
    #[arg(long, env = "HOMEWARD_DATA_DIR", default_value = "data")]
    data_dir: PathBuf,
}

#[derive(clap::Subcommand)]
pub enum ImportCommand {
    /// The police's weekday list of missing and returned children.
    PoliceList(ImportArgs),
    /// Placements' notices of a child going missing or returning.
    PlacementNotice(ImportArgs),
}

#[derive(clap::Args)]
pub struct ImportArgs {
    /// The CSV file.
    file: PathBuf,
    #[command(flatten)]
    database: DatabaseArgs,
    /// Check every row and report what would be created; write nothing.
    #[arg(long)]
    dry_run: bool,
    /// The username of the account importing: its agency and role decide
    /// which children it may record for, and it is recorded on every record.
    #[arg(long, env = "HOMEWARD_USER")]
    user: String,
}

#[derive(clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// Address to listen on.
    #[arg(long, env = "HOMEWARD_LISTEN", default_value = "127.0.0.1:8080")]
    listen: String,
    /// Also serve /metrics without a login on this separate address (keep it
    /// private to the operators' scraper); on the main address /metrics needs
    /// a login or an API token.
    #[arg(long, env = "HOMEWARD_METRICS_LISTEN")]
    metrics_listen: Option<String>,
    /// Load a demo partnership (synthetic children over the last 90 days) into an empty database.
    #[arg(long)]
    demo: bool,
    /// With --demo: how many children.
    #[arg(long, default_value_t = 300, requires = "demo")]
    demo_children: u32,
    /// With --demo: how many days of history.
    #[arg(long, default_value_t = 90, requires = "demo")]
    demo_days: u32,
    /// With --demo: only these authorities (repeatable); default: all eight.
    #[arg(long = "demo-authority", value_name = "ID", requires = "demo")]
    demo_authorities: Vec<String>,
    /// This instance's name (recorded on timer claims); default: a fresh id.
    #[arg(long, env = "HOMEWARD_INSTANCE")]
    instance: Option<String>,
    /// Do not run the timer worker and notification sender in this process.
    #[arg(long)]
    no_worker: bool,
    /// The notification directory (who receives messages for each role); with
    /// --demo and no directory, every role gets an inbox at a reserved domain.
    #[arg(long, env = "HOMEWARD_DIRECTORY")]
    directory: Option<PathBuf>,
    /// SMTP server for email: smtp://host:port, smtp://host:port?tls=required or
    /// smtps://user:password@host:port. Without it, email is written as .eml
    /// files to DATA_DIR/outbox.
    #[arg(long, env = "HOMEWARD_SMTP_URL")]
    smtp_url: Option<String>,
    /// The sender of Homeward's email.
    #[arg(long, env = "HOMEWARD_MAIL_FROM", default_value = "Homeward <homeward@localhost>")]
    mail_from: String,
    /// How practitioners reach this service, for links in messages (default: http://LISTEN).
    #[arg(long, env = "HOMEWARD_PUBLIC_URL")]
    public_url: Option<String>,
    /// How long a claimed timer or delivery is held before another instance
    /// may take it over (after a crash). Short leases take over sooner but
    /// must outlast the slowest delivery.
    #[arg(long, env = "HOMEWARD_LEASE_SECONDS", default_value_t = 60, value_parser = clap::value_parser!(i64).range(2..=3600))]
    lease_seconds: i64,
    /// How many days audit entries are kept before the retention job prunes
    /// them (the chain stays verifiable from the first kept entry).
    #[arg(long, env = "HOMEWARD_AUDIT_RETENTION_DAYS", default_value_t = homeward_store::DEFAULT_AUDIT_RETENTION_DAYS, value_parser = clap::value_parser!(i64).range(1..=36_500))]
    audit_retention_days: i64,
    /// Send the session cookie without `Secure`, for use over plain HTTP on
    /// this machine (implied by --demo). Never in production.
    #[arg(long)]
    insecure_cookies: bool,
    /// Single sign-on settings (TOML; see docs/access.md). Needs a build
    /// with the `oidc` feature.
    #[arg(long, env = "HOMEWARD_SSO_CONFIG")]
    sso_config: Option<PathBuf>,
}

/// Loads and checks the single sign-on settings, if any were given.
#[cfg(feature = "oidc")]
fn with_sso(state: AppState, path: Option<&std::path::Path>) -> Result<AppState> {
    let Some(path) = path else { return Ok(state) };
    let config = homeward_server::auth::sso::SsoConfig::load(&path.display().to_string())?;
    let ids: Vec<String> = config.providers.iter().map(|p| p.id.clone()).collect();
    let state = state.with_sso(config, |name| std::env::var(name).ok())?;
    tracing::info!(providers = ?ids, "single sign-on configured");
    Ok(state)
}

#[cfg(not(feature = "oidc"))]
fn with_sso(state: AppState, path: Option<&std::path::Path>) -> Result<AppState> {
    match path {
        Some(path) => anyhow::bail!("--sso-config {}: this build has no single sign-on; build with `cargo build --release --features oidc`", path.display()),
        None => Ok(state),
    }
}

impl DatabaseArgs {
    fn url(&self) -> Result<String> {
        match &self.database_url {
            Some(url) => Ok(url.clone()),
            None => {
                // The database holds special-category data: the service's account only.
                homeward_server::private_files::private_dir(&self.data_dir).with_context(|| format!("creating {}", self.data_dir.display()))?;
                let file = self.data_dir.join("homeward.sqlite3");
                homeward_server::private_files::create_private(&file).with_context(|| format!("creating {}", file.display()))?;
                for journal in ["homeward.sqlite3-wal", "homeward.sqlite3-shm", "homeward.sqlite3-journal"] {
                    homeward_server::private_files::private_file(&self.data_dir.join(journal)).with_context(|| format!("protecting {journal}"))?;
                }
                Ok(format!("sqlite://{}", file.display()))
            }
        }
    }

    pub(crate) async fn open(&self) -> Result<Db> {
        let url = self.url()?;
        let db = Db::connect(&url).await.with_context(|| "connecting to the database")?;
        db.migrate().await.context("applying migrations")?;
        Ok(db)
    }
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the runtime")
}

fn logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("HOMEWARD_LOG").unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().json().with_env_filter(filter).with_current_span(false).try_init();
}

pub fn migrate(args: DatabaseArgs) -> Result<ExitCode> {
    runtime()?.block_on(async {
        let db = args.open().await?;
        println!("migrations applied ({})", db.backend());
        db.close().await;
        Ok(ExitCode::SUCCESS)
    })
}

pub fn serve(registry: Registry, args: ServeArgs) -> Result<ExitCode> {
    logging();
    let registry = Arc::new(registry);
    let directory = match &args.directory {
        Some(path) => Directory::load(path, &registry, &|k| std::env::var(k).ok())?,
        None if args.demo => Directory::demo(&registry),
        None => Directory::default(),
    };
    if directory.is_empty() {
        tracing::warn!("no notification directory (--directory): every notification will be escalated as undeliverable");
    }
    let directory = Arc::new(directory);
    let public_url = args.public_url.clone().unwrap_or_else(|| format!("http://{}", args.listen));
    let from: notify::Mailbox = args.mail_from.parse().with_context(|| format!("--mail-from {}", args.mail_from))?;
    runtime()?.block_on(async move {
        // The SMTP connection pool needs the runtime, so it is made inside it.
        let mailer = match &args.smtp_url {
            Some(url) => Mailer::smtp(url).map_err(anyhow::Error::msg)?,
            None => Mailer::outbox(args.database.data_dir.join("outbox")).map_err(anyhow::Error::msg)?,
        };
        let channels = Arc::new(Channels::new(directory.clone(), mailer, from, public_url.clone()).map_err(anyhow::Error::msg)?);
        let db = args.database.open().await?;
        let planner = Arc::new(Planner::new(registry.clone(), directory.clone(), public_url));
        let state = AppState::new(
            Store::new(db.clone(), registry).with_notifier(planner),
            Arc::new(SystemClock),
            args.instance.clone().unwrap_or_else(|| format!("homeward-{}", uuid_like())),
        )
        .map_err(|e| anyhow::anyhow!("the built-in access policy: {e}"))?
        .with_auth(homeward_server::auth::AuthConfig { secure_cookie: !(args.insecure_cookies || args.demo), ..Default::default() });
        let state = with_sso(state, args.sso_config.as_deref())?;
        tracing::info!(inboxes = directory.len(), email = %channels.mailer.describe(), "notifications configured");
        if args.demo {
            let started = std::time::Instant::now();
            let authorities = if args.demo_authorities.is_empty() {
                homeward_synth::AUTHORITIES.iter().map(|s| s.to_string()).collect()
            } else {
                args.demo_authorities.clone()
            };
            let config = homeward_synth::Config { children: args.demo_children, days: args.demo_days, seed: 20261123, authorities, now: Some(state.clock.now()) };
            let demo_authorities = config.authorities.clone();
            let loaded = homeward_server::load_synthetic(&state, &config).await.context("loading demo data")?;
            tracing::info!(seconds = started.elapsed().as_secs_f64(), "demo load finished");
            tracing::info!(children = loaded, "demo data loaded");
            let accounts = homeward_server::demo_accounts(&state, &demo_authorities).await.context("creating demo accounts")?;
            if !accounts.is_empty() {
                tracing::info!(password = homeward_server::DEMO_PASSWORD, users = %accounts.join(", "), "demo accounts created: log in as any of these users with the demo password");
            }
        }
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let metrics = match &args.metrics_listen {
            Some(address) => {
                let listener = tokio::net::TcpListener::bind(address).await.with_context(|| format!("listening for metrics on {address}"))?;
                tracing::info!(listen = %address, "metrics are served without a login on this address");
                let app = homeward_server::metrics_app(state.clone());
                let mut stopping = stopped.clone();
                Some(tokio::spawn(async move {
                    let _ = axum::serve(listener, app).with_graceful_shutdown(async move { let _ = stopping.wait_for(|s| *s).await; }).await;
                }))
            }
            None => None,
        };
        let lease = jiff::SignedDuration::from_secs(args.lease_seconds);
        let worker_config = worker::WorkerConfig {
            lease,
            audit_retention: jiff::SignedDuration::from_hours(24 * args.audit_retention_days),
            ..worker::WorkerConfig::default()
        };
        let notify_config = notify::NotifyConfig { lease, ..notify::NotifyConfig::default() };
        let worker = (!args.no_worker).then(|| tokio::spawn(worker::run(state.clone(), worker_config, stopped.clone())));
        let sender = (!args.no_worker).then(|| tokio::spawn(notify::run(state.clone(), channels.clone(), notify_config, stopped)));
        let listener = tokio::net::TcpListener::bind(&args.listen).await.with_context(|| format!("listening on {}", args.listen))?;
        tracing::info!(listen = %args.listen, database = db.backend(), instance = %state.instance, "homeward is serving");
        axum::serve(listener, homeward_server::app(state).into_make_service_with_connect_info::<std::net::SocketAddr>()).with_graceful_shutdown(shutdown_signal()).await?;
        let _ = stop.send(true);
        if let Some(task) = metrics {
            let _ = task.await;
        }
        for task in [worker, sender].into_iter().flatten() {
            let _ = task.await;
        }
        db.close().await;
        tracing::info!("stopped");
        Ok(ExitCode::SUCCESS)
    })
}

fn uuid_like() -> String {
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default();
    format!("{:x}-{:x}", t, std::process::id())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
}

pub fn import(registry: Registry, cmd: ImportCommand) -> Result<ExitCode> {
    let (kind, args) = match cmd {
        ImportCommand::PoliceList(a) => ("police-list", a),
        ImportCommand::PlacementNotice(a) => ("placement-notice", a),
    };
    let text = std::fs::read_to_string(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    runtime()?.block_on(async move {
        let db = args.database.open().await?;
        let state = AppState::new(Store::new(db.clone(), Arc::new(registry)), Arc::new(SystemClock), "import")
            .map_err(|e| anyhow::anyhow!("the built-in access policy: {e}"))?;
        let Some(identity) = state.store.identity_by_username(&args.user).await? else {
            anyhow::bail!("--user: no account '{}' (see `homeward accounts add-user`)", args.user);
        };
        let caller = homeward_server::auth::Caller::local(identity, &format!("CLI import {kind}"));
        let report = match kind {
            "police-list" => homeward_server::import::police_list(&state, &text, &caller, args.dry_run).await,
            _ => homeward_server::import::placement_notice(&state, &text, &caller, args.dry_run).await,
        };
        caller.audit.set_record("import", kind);
        let mut entry = caller.audit.entry();
        entry.at = state.clock.now().as_second();
        entry.status = if report.is_ok() { 200 } else { 422 };
        entry.outcome = if report.is_ok() { "allowed".into() } else { "failed".into() };
        state.store.audit_append(&entry).await.context("writing the audit entry")?;
        db.close().await;
        let report = match report {
            Ok(r) => r,
            Err(e) => {
                eprintln!("{}: {e}", args.file.display());
                return Ok(ExitCode::from(2));
            }
        };
        let verb = if report.dry_run { "would create" } else { "created" };
        println!(
            "{} rows: {verb} {} children and {} events; {} already imported; {} rejected",
            report.rows,
            report.children_created,
            report.events_created,
            report.unchanged,
            report.rejected.len()
        );
        for r in &report.rejected {
            println!("  line {}{}: {}", r.line, r.column.as_deref().map(|c| format!(", {c}")).unwrap_or_default(), r.reason);
        }
        Ok(if report.rejected.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
    })
}
