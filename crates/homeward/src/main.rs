//! `homeward`: a thin command line over the engine and the generator.

mod accounts;
mod audit;
mod bench;
mod bench_service;
mod cli;
mod document;
mod serve;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::run()
}
