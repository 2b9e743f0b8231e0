//! Command-line parsing and the subcommands. Each subcommand reads its input,
//! calls the library, and writes the result; no logic of its own.

use crate::serve::runtime;
use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use homeward_core::{Options, Registry};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser)]
#[command(name = "homeward", version, about = "Homeward: children missing from home or care, and what each partnership's protocol requires")]
struct Cli {
    /// Load protocol files from this folder instead of the ones built in
    /// (one sub-folder per protocol, one TOML file per version).
    #[arg(long, global = true, value_name = "DIR")]
    protocols: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Evaluate a scenario: what the protocols required, of whom, by when, and whether it was done.
    Replay {
        /// The scenario JSON file, or - for standard input.
        scenario: String,
        /// Also list duties that can no longer apply (state "lapsed").
        #[arg(long)]
        all: bool,
    },
    /// Check or read the protocol files.
    #[command(subcommand)]
    Protocols(ProtocolsCommand),
    /// Run the service: JSON API, OpenAPI document, timer worker.
    Serve(crate::serve::ServeArgs),
    /// Import a CSV file into the database (see README "Imports" for the columns).
    #[command(subcommand)]
    Import(crate::serve::ImportCommand),
    /// Apply the database migrations and exit.
    Migrate(crate::serve::DatabaseArgs),
    /// Agencies, user accounts and API tokens.
    #[command(subcommand)]
    Accounts(crate::accounts::AccountsCommand),
    /// The audit log: verify its hash chain, or show who accessed a record.
    #[command(subcommand)]
    Audit(crate::audit::AuditCommand),
    /// Benchmarks that print figures (see BENCHMARKS.md).
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Write a synthetic scenario with realistic patterns (same seed, same file).
    Generate {
        #[arg(long, default_value_t = 100)]
        children: u32,
        #[arg(long, default_value_t = 365)]
        days: u32,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Authorities to generate children for (repeatable); default: all eight.
        #[arg(long = "authority", value_name = "ID")]
        authorities: Vec<String>,
        /// The scenario's `now` (RFC 3339); default: the end of the generated period.
        #[arg(long)]
        now: Option<String>,
        /// Write here instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Time the phases of `replay` on one scenario file, in one process:
    /// plain JSON parsing (the floor), scenario validation, the engine, and
    /// writing the result; then events per second and peak memory.
    Replay {
        scenario: PathBuf,
        /// Repeat each phase and report the fastest run.
        #[arg(long, default_value_t = 3)]
        runs: u32,
    },
    /// Time to drain N timers that fall due at the same instant, with one
    /// and with two workers (each with its own connection pool).
    Timers {
        #[arg(long, default_value_t = 100_000)]
        timers: usize,
        /// An empty PostgreSQL database; default: a fresh SQLite file.
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Rows per second importing an N-row police list, beside the sqlite3
    /// tool's bare `.import` of the same file.
    Import {
        #[arg(long, default_value_t = 100_000)]
        rows: usize,
        /// An empty PostgreSQL database; default: a fresh SQLite file.
        #[arg(long)]
        database_url: Option<String>,
    },
}

#[derive(Subcommand)]
enum ProtocolsCommand {
    /// Validate every protocol file; print each error naming the file, entry and field.
    /// With --document, also check one protocol's quotes and cites against the
    /// plain text of its document.
    Check {
        /// A plain-text copy of the protocol document: every quote must be in
        /// it, under the paragraph, appendix or heading its cite names.
        #[arg(long, value_name = "FILE")]
        document: Option<PathBuf>,
        /// The protocol the document is (default: the one whose quotes it contains).
        #[arg(long, value_name = "ID", requires = "document")]
        protocol: Option<String>,
    },
    /// Print a protocol's rules in plain English (every version, or the one in force on --on).
    Show {
        id: String,
        /// Only the version in force on this date (YYYY-MM-DD).
        #[arg(long)]
        on: Option<String>,
    },
    /// List the protocols and their versions.
    List,
}

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("homeward: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn registry(dir: Option<&Path>) -> Result<Result<Registry, Vec<homeward_core::ProtocolError>>> {
    let Some(dir) = dir else { return Ok(Registry::builtin()) };
    let mut files = Vec::new();
    for sub in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let sub = sub?.path();
        if !sub.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(&sub)? {
            let f = f?.path();
            let name = f.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
            if f.extension().is_some_and(|e| e == "toml") && name != "cases.toml" {
                let text = std::fs::read_to_string(&f).with_context(|| format!("reading {}", f.display()))?;
                files.push((f.display().to_string(), text));
            }
        }
    }
    Ok(Registry::from_sources(files))
}

fn loaded(dir: Option<&Path>) -> Result<Registry> {
    registry(dir)?.map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        anyhow::anyhow!("the protocol files are not valid:\n{}", lines.join("\n"))
    })
}

fn dispatch(cli: Cli) -> Result<ExitCode> {
    let dir = cli.protocols.as_deref();
    match cli.command {
        Command::Replay { scenario, all } => replay(dir, &scenario, all),
        Command::Serve(args) => crate::serve::serve(loaded(dir)?, args),
        Command::Migrate(args) => crate::serve::migrate(args),
        Command::Accounts(cmd) => crate::accounts::run(loaded(dir)?, cmd),
        Command::Audit(cmd) => crate::audit::run(cmd),
        Command::Import(cmd) => crate::serve::import(loaded(dir)?, cmd),
        Command::Bench(BenchCommand::Replay { scenario, runs }) => {
            crate::bench::replay(&loaded(dir)?, &scenario, runs.max(1))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench(BenchCommand::Timers { timers, database_url }) => {
            let registry = Arc::new(loaded(dir)?);
            let report = runtime()?.block_on(crate::bench_service::timers(registry, timers, database_url.as_deref()))?;
            print!("{report}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench(BenchCommand::Import { rows, database_url }) => {
            let registry = Arc::new(loaded(dir)?);
            let report = runtime()?.block_on(crate::bench_service::import(registry, rows, database_url.as_deref()))?;
            print!("{report}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Protocols(ProtocolsCommand::Check { document: Some(document), protocol }) => {
            crate::document::check(&loaded(dir)?, &document, protocol.as_deref())
        }
        Command::Protocols(ProtocolsCommand::Check { document: None, .. }) => match registry(dir)? {
            Ok(r) => {
                for p in r.all() {
                    println!(
                        "ok  {:<18} {:<10} from {}  {} rules, {} flags, {} warnings, {} readings  ({})",
                        p.id,
                        p.version,
                        p.effective_from,
                        p.rules.len(),
                        p.flags.len(),
                        p.warnings.len(),
                        p.readings.len(),
                        p.source
                    );
                }
                Ok(ExitCode::SUCCESS)
            }
            Err(errors) => {
                for e in &errors {
                    eprintln!("{e}");
                }
                eprintln!("{} error(s)", errors.len());
                Ok(ExitCode::from(1))
            }
        },
        Command::Protocols(ProtocolsCommand::List) => {
            let r = loaded(dir)?;
            for p in r.all() {
                let covers = if p.is_baseline() { "(every other authority)".to_string() } else { p.authorities.join(", ") };
                println!("{:<18} {:<10} from {}  {}", p.id, p.version, p.effective_from, covers);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Protocols(ProtocolsCommand::Show { id, on }) => {
            let r = loaded(dir)?;
            let versions: Vec<_> = r.versions(&id).collect();
            if versions.is_empty() {
                anyhow::bail!("no protocol '{id}' (known: {})", r.ids().join(", "));
            }
            let chosen: Vec<_> = match on {
                Some(day) => {
                    let day: jiff::civil::Date = day.parse().context("--on: not a date (YYYY-MM-DD)")?;
                    let v = versions.iter().rev().find(|p| p.effective_from <= day).or(versions.first()).copied();
                    v.into_iter().collect()
                }
                None => versions,
            };
            let mut out = std::io::stdout().lock();
            for (i, p) in chosen.iter().enumerate() {
                if i > 0 {
                    writeln!(out, "\n{}\n", "=".repeat(72))?;
                }
                write!(out, "{}", homeward_core::protocol::describe(p))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Generate { children, days, seed, authorities, now, output } => {
            let now = now.map(|n| n.parse::<jiff::Timestamp>().context("--now: not an RFC 3339 time")).transpose()?;
            let config = homeward_synth::Config {
                children,
                days,
                seed,
                authorities: if authorities.is_empty() { homeward_synth::AUTHORITIES.iter().map(|s| s.to_string()).collect() } else { authorities },
                now,
            };
            let scenario = homeward_synth::generate(&config)?;
            match output {
                Some(path) => {
                    let file = std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
                    let mut w = std::io::BufWriter::new(file);
                    homeward_synth::write_json(&scenario, &mut w)?;
                    w.flush()?;
                }
                None => {
                    let mut w = std::io::BufWriter::new(std::io::stdout().lock());
                    homeward_synth::write_json(&scenario, &mut w)?;
                    w.flush()?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn replay(dir: Option<&Path>, source: &str, all: bool) -> Result<ExitCode> {
    let registry = loaded(dir)?;
    let mut json = String::new();
    if source == "-" {
        std::io::stdin().read_to_string(&mut json).context("reading the scenario from standard input")?;
    } else {
        json = match std::fs::read_to_string(source) {
            Ok(text) => text,
            Err(e) => {
                eprintln!("{source}: cannot be read: {e}");
                return Ok(ExitCode::from(2));
            }
        };
    }
    match homeward_core::replay(&registry, &json, Options { include_lapsed: all }) {
        Ok(result) => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            serde_json::to_writer_pretty(&mut out, &result)?;
            writeln!(out)?;
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("{e}");
            Ok(ExitCode::from(2))
        }
    }
}
