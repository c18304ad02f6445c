//! `ingate budget status`: spend, reservations in flight and the next reset of every limit.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use ingate::budget::{Ledger, Unit};
use ingate::config::PolicyConfig;
use jiff::Timestamp;

use crate::table::Table;

/// Arguments of `ingate budget`.
#[derive(Debug, Args)]
pub struct BudgetArgs {
    #[command(subcommand)]
    command: BudgetCommand,
}

#[derive(Debug, Subcommand)]
enum BudgetCommand {
    /// Print spend, reservations in flight and time to reset for every limit of the policy.
    Status(StatusArgs),
}

/// Arguments of `ingate budget status`.
#[derive(Debug, Args)]
struct StatusArgs {
    /// The policy file whose budgets and store to read; the default policy (no budgets) without it.
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
}

/// Runs `ingate budget`.
pub fn run(args: BudgetArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        BudgetCommand::Status(args) => status(args),
    }
}

fn status(args: StatusArgs) -> anyhow::Result<ExitCode> {
    let config = match &args.policy {
        Some(path) => PolicyConfig::from_file(path)?,
        None => PolicyConfig::default(),
    };
    if config.budgets.is_empty() {
        crate::emit("the policy sets no [[budgets]]; nothing to report\n")?;
        return Ok(ExitCode::SUCCESS);
    }
    let ledger = Ledger::from_config(&config)?;
    let now = Timestamp::now();
    let mut table = Table::new(&[
        "scope",
        "limit",
        ">spent",
        ">reserved",
        ">in flight",
        ">left",
        "resets in",
    ]);
    for limit in ledger.status(now)? {
        let left = (limit.limit - limit.spent - limit.reserved).max(rust_decimal::Decimal::ZERO);
        let unit = match limit.unit {
            Unit::Usd => "USD",
            Unit::Tokens => "tokens",
            Unit::Requests => "requests",
        };
        table.push(vec![
            limit.scope,
            format!("{} {unit} per {}", limit.limit, limit.window.as_str()),
            limit.spent.normalize().to_string(),
            limit.reserved.normalize().to_string(),
            limit.reservations.to_string(),
            left.normalize().to_string(),
            until(now, limit.resets_at),
        ]);
    }
    crate::emit(&table.render())?;
    Ok(ExitCode::SUCCESS)
}

/// Formats the time from `now` to `at` as days, hours, minutes and seconds.
fn until(now: Timestamp, at: Timestamp) -> String {
    let seconds = at.duration_since(now).as_secs().max(0);
    let (days, rest) = (seconds / 86_400, seconds % 86_400);
    let (hours, rest) = (rest / 3_600, rest % 3_600);
    let (minutes, seconds) = (rest / 60, rest % 60);
    if days > 0 {
        format!("{days}d {hours}h {minutes}m")
    } else if hours > 0 {
        format!("{hours}h {minutes}m")
    } else {
        format!("{minutes}m {seconds}s")
    }
}
