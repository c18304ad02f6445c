//! The `ingate` command: replays traffic through a policy, counts tokens,
//! lists the model catalog, lints policy files, redacts text and reports
//! budget status.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod budget;
mod inspect;
mod redact;
mod replay;
mod table;

/// An in-process LLM gateway: model resolution, token counting, budgets,
/// redaction, energy and carbon per call.
#[derive(Debug, Parser)]
#[command(name = "ingate", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Replay a traffic file through a policy and print totals per scope and model.
    Replay(replay::ReplayArgs),
    /// Count the tokens of a file or standard input for a model.
    Count(inspect::CountArgs),
    /// List the model catalog.
    Models(inspect::ModelsArgs),
    /// Report aliases, pins and fallbacks that hit a sunset date, and fallback chain errors.
    Lint(inspect::LintArgs),
    /// Redact PII and secrets from a text file or from JSON lines of `{"text": ...}`.
    Redact(redact::RedactArgs),
    /// Inspect budgets in the policy's store.
    Budget(budget::BudgetArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Replay(args) => replay::run(args),
        Command::Count(args) => inspect::count(args),
        Command::Models(args) => inspect::models(args),
        Command::Lint(args) => inspect::lint(args),
        Command::Redact(args) => redact::run(args),
        Command::Budget(args) => budget::run(args),
    };
    match result {
        Ok(code) => code,
        // A reader that stops early (`ingate models | head`) is not an error.
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<std::io::Error>()
        .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}

/// Writes command output to standard output; a closed pipe surfaces as an error.
fn emit(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(())
}

/// Opens a file, or standard input for `None` or `-`.
fn open_input(path: Option<&PathBuf>) -> anyhow::Result<Box<dyn std::io::BufRead>> {
    use anyhow::Context;
    match path {
        Some(path) if path.as_os_str() != "-" => {
            let file = std::fs::File::open(path)
                .with_context(|| format!("cannot open `{}`", path.display()))?;
            Ok(Box::new(std::io::BufReader::with_capacity(1 << 16, file)))
        }
        _ => Ok(Box::new(std::io::BufReader::new(std::io::stdin()))),
    }
}
