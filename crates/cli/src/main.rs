//! `embargo`: the command line. Each area lives in its own module; this file only parses
//! the top-level flags and dispatches. Library crates do the work and return typed errors;
//! here they become messages for people (or JSON with `--json`).

mod analysis;
mod book;
mod check;
mod cluster;
mod context;
mod network;
mod regime;
mod screening;
mod serve;
mod trade;

use clap::{Parser, Subcommand};
use context::Context;

#[derive(Parser)]
#[command(
    name = "embargo",
    version,
    about = "UN Security Council DPRK sanctions: regime as code, checks, trade analysis, screening"
)]
struct Cli {
    /// Print machine-readable JSON instead of tables.
    #[arg(long, global = true)]
    json: bool,
    /// Directory where embargo keeps state (imported lists, trade store, audit log).
    /// Default: $EMBARGO_DATA, else ~/.local/share/embargo.
    #[arg(long, global = true)]
    data: Option<std::path::PathBuf>,
    /// Regime directory to use instead of the bundled one (files as in data/regimes/dprk).
    /// Default: $EMBARGO_REGIME, else the bundled files.
    #[arg(long, global = true)]
    regime: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The resolutions and their measures: list, show as of a date, diff two dates, validate.
    Regime(regime::Args),
    /// Classify a shipment (or a CSV of them) as prohibited, conditional or permitted.
    Check(check::Args),
    /// Run the HTTP API and web page (`serve keys ...` manages API keys).
    Serve(serve::Args),
    /// Verify or export the hash-chained audit log of screening decisions.
    Audit(serve::AuditArgs),
    /// Ownership and control network: import files, OFAC 50% rule exposure, graph reach.
    Network(network::Args),
    /// A vessel by IMO number (or --batch FILE): names, flags, parties, signals.
    Vessel(network::VesselArgs),
    /// Sanctions lists: import (UN XML, OFAC CSV), status, fetch, export as FtM JSON lines.
    Lists(screening::ListsArgs),
    /// Screen a name, IMO or passport (or a CSV batch) against the UN 1718 list and OFAC.
    Screen(screening::ScreenArgs),
    /// The book of customers, counterparties and vessels: import, list, show, screen.
    Book(book::BookArgs),
    /// Alerts from screening the book (`--open`: waiting for review); `alerts decide`.
    Alerts(book::AlertsArgs),
    /// Evaluate name matching on labelled pairs and cross-script checks.
    Eval(screening::EvalArgs),
    /// Trade data: import Comtrade/plain files, query the Parquet store, run SQL.
    Trade(trade::Args),
    /// Run a node of an Apache Ballista cluster (scheduler or executor) for the trade
    /// plans of `--cluster df://HOST:PORT` (docs/cluster.md).
    Cluster(cluster::Args),
    #[command(flatten)]
    Analysis(analysis::Command),
}

/// Whether an error comes from writing to a closed pipe (`embargo ... | head -1`).
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// A reader that stops reading (`| head -1`) is not an error: like ripgrep and the
/// traditional Unix tools, embargo then exits quietly with status 0. Errors returned from
/// writes are caught in `main`; `println!` panics instead of returning its error, so a
/// panic hook catches that one message (std's "failed printing to stdout" with EPIPE)
/// and exits quietly too. Every other panic goes to the default hook.
fn exit_quietly_on_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        // EPIPE is 32 on Linux, the BSDs and macOS.
        if message.starts_with("failed printing to stdout") && message.contains("(os error 32)") {
            std::process::exit(0);
        }
        default(info);
    }));
}

/// A directory from the environment. Read here rather than through clap's `env`, which
/// shows an option set from the environment as required in every usage line.
fn env_dir(name: &str) -> Option<std::path::PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(std::path::PathBuf::from)
}

fn main() -> std::process::ExitCode {
    exit_quietly_on_broken_pipe();
    let cli = Cli::parse();
    let ctx = Context::new(
        cli.json,
        cli.data.or_else(|| env_dir("EMBARGO_DATA")),
        cli.regime.or_else(|| env_dir("EMBARGO_REGIME")),
    );
    let result = match cli.command {
        Command::Regime(args) => regime::run(args, &ctx),
        Command::Check(args) => check::run(args, &ctx),
        Command::Trade(args) => trade::run(args, &ctx),
        Command::Cluster(args) => cluster::run(args, &ctx),
        Command::Analysis(cmd) => analysis::run(cmd, &ctx),
        Command::Serve(args) => serve::run(args, &ctx),
        Command::Audit(args) => serve::run_audit(args, &ctx),
        Command::Network(args) => network::run(args, &ctx),
        Command::Vessel(args) => network::run_vessel(args, &ctx),
        Command::Lists(args) => screening::run_lists(args, &ctx),
        Command::Screen(args) => screening::run_screen(args, &ctx),
        Command::Eval(args) => screening::run_eval(args, &ctx),
        Command::Book(args) => book::run_book(args, &ctx),
        Command::Alerts(args) => book::run_alerts(args, &ctx),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) if is_broken_pipe(&err) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            context::report_error(&err, ctx.json);
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    /// Every command and every argument a user can type explains itself in `--help`.
    #[test]
    fn every_command_and_argument_has_help() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            let path = format!("{path} {}", cmd.get_name());
            if cmd.get_about().is_none() && !path.trim().eq("embargo") {
                missing.push(format!("{path}: command without about"));
            }
            for arg in cmd.get_arguments() {
                let id = arg.get_id().as_str();
                if matches!(id, "help" | "version") {
                    continue;
                }
                if arg.get_help().is_none() && arg.get_long_help().is_none() {
                    missing.push(format!("{path}: argument {id}"));
                }
            }
            for sub in cmd.get_subcommands() {
                if sub.get_name() != "help" {
                    walk(sub, &path, missing);
                }
            }
        }
        let mut cmd = Cli::command();
        cmd.build();
        let mut missing = Vec::new();
        walk(&cmd, "", &mut missing);
        assert!(
            missing.is_empty(),
            "without help text:\n{}",
            missing.join("\n")
        );
    }
}
