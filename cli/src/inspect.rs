//! `ingate count`, `ingate models` and `ingate lint`.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use ingate::catalog::{Catalog, ModelRecord, Severity};
use ingate::config::PolicyConfig;
use ingate::{ChatRequest, Policy};
use jiff::civil::Date;
use rust_decimal::Decimal;

use crate::table::Table;

/// Arguments of `ingate count`.
#[derive(Debug, Args)]
pub struct CountArgs {
    /// The model whose tokenizer counts (any name the policy resolves).
    #[arg(long, short)]
    model: String,
    /// Treat the input as an OpenAI chat completion body and count it as billed.
    #[arg(long)]
    chat: bool,
    /// The policy whose aliases and catalog apply.
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// The file to count; standard input when absent or `-`.
    file: Option<PathBuf>,
}

/// Runs `ingate count`.
pub fn count(args: CountArgs) -> anyhow::Result<ExitCode> {
    let policy = load_policy(args.policy.as_ref())?;
    let mut bytes = Vec::new();
    crate::open_input(args.file.as_ref())?
        .read_to_end(&mut bytes)
        .context("cannot read the input")?;
    let text = String::from_utf8(bytes).map_err(|error| {
        anyhow::anyhow!(
            "the input is not valid UTF-8 (first invalid byte at offset {}); convert it to UTF-8 first",
            error.utf8_error().valid_up_to()
        )
    })?;

    let count = if args.chat {
        let mut request = ChatRequest::from_json(&text)?;
        request.model = args.model.clone();
        policy.count_chat(&request)?
    } else {
        policy.count_tokens(&args.model, &text)?
    };
    let resolved = policy.resolve_model(&args.model).map(|r| r.model).ok();
    let model = resolved.unwrap_or_else(|| args.model.clone());
    if count.exact {
        println!(
            "{} tokens (exact, {}, model {model})",
            count.tokens, count.encoding
        );
    } else {
        println!(
            "~{} tokens (estimate, {}, model {model})",
            count.tokens, count.encoding
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Arguments of `ingate models`.
#[derive(Debug, Args)]
pub struct ModelsArgs {
    /// Only this vendor: openai, anthropic, google, mistral, bedrock or azure.
    #[arg(long)]
    vendor: Option<String>,
    /// Only models with a deprecation or shutdown date.
    #[arg(long)]
    deprecated: bool,
    /// The date to judge deprecation status at (YYYY-MM-DD); today (UTC) by default.
    #[arg(long, value_name = "DATE")]
    at: Option<Date>,
    /// The policy whose catalog import applies.
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
}

/// Runs `ingate models`.
pub fn models(args: ModelsArgs) -> anyhow::Result<ExitCode> {
    let policy = load_policy(args.policy.as_ref())?;
    let at = args.at.unwrap_or_else(today);
    let mut table = Table::new(&[
        "id",
        "vendor",
        "encoding",
        ">context",
        ">in $/M",
        ">out $/M",
        ">cached $/M",
        "shutdown",
        "status",
        "successor",
    ]);
    let mut shown = 0;
    for model in policy.catalog().models() {
        if args
            .vendor
            .as_ref()
            .is_some_and(|vendor| &model.vendor != vendor)
        {
            continue;
        }
        let status = status_at(model, at);
        if args.deprecated && status.is_empty() {
            continue;
        }
        shown += 1;
        table.push(vec![
            model.id.clone(),
            model.vendor.clone(),
            model
                .encoding
                .map_or_else(|| "estimate".to_string(), |e| e.as_str().to_string()),
            model.context_window.to_string(),
            per_million(Some(model.prices.input)),
            per_million(Some(model.prices.output)),
            per_million(model.prices.cached_read),
            model
                .shutdown
                .as_ref()
                .map_or_else(String::new, |fact| fact.date.to_string()),
            status.to_string(),
            model.successor.clone().unwrap_or_default(),
        ]);
    }

    // Models known only from deprecation notices have no prices or encoding to show.
    if args.deprecated {
        for model in policy.catalog().retired_models() {
            if args
                .vendor
                .as_ref()
                .is_some_and(|vendor| &model.vendor != vendor)
            {
                continue;
            }
            let status = if model.shutdown.date <= at {
                "retired"
            } else {
                "retiring"
            };
            shown += 1;
            table.push(vec![
                model.id.clone(),
                model.vendor.clone(),
                "-".to_string(),
                "-".to_string(),
                "-".to_string(),
                "-".to_string(),
                "-".to_string(),
                model.shutdown.date.to_string(),
                status.to_string(),
                model.successor.clone().unwrap_or_default(),
            ]);
        }
    }

    if shown == 0
        && let Some(vendor) = &args.vendor
    {
        anyhow::bail!(
            "no model matches vendor `{vendor}`; vendors are openai, anthropic, google, mistral, bedrock and azure"
        );
    }
    crate::emit(&table.render())?;
    Ok(ExitCode::SUCCESS)
}

/// Arguments of `ingate lint`.
#[derive(Debug, Args)]
pub struct LintArgs {
    /// The policy file to check.
    policy: PathBuf,
    /// Judge shutdown dates and the warning window as of this date (YYYY-MM-DD); today (UTC) by default.
    #[arg(long, value_name = "DATE")]
    at: Option<Date>,
}

/// Runs `ingate lint`: exit status 1 when it finds errors.
pub fn lint(args: LintArgs) -> anyhow::Result<ExitCode> {
    let config = PolicyConfig::from_file(&args.policy)?;
    let mut catalog = Catalog::builtin().clone();
    if let Some(path) = &config.catalog.litellm {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("[catalog] litellm: cannot read `{}`", path.display()))?;
        catalog.merge(Catalog::from_litellm_json(&text)?);
    }

    let at = args.at.unwrap_or_else(today);
    let mut diagnostics = catalog.validate(&config.models, at);
    for diagnostic in catalog.lint(&config.models, at) {
        if !diagnostics.contains(&diagnostic) {
            diagnostics.push(diagnostic);
        }
    }

    let mut errors = 0;
    let mut report = String::new();
    for diagnostic in &diagnostics {
        let label = match diagnostic.severity {
            Severity::Error => {
                errors += 1;
                "error"
            }
            Severity::Warning => "warning",
        };
        report.push_str(&format!("{label}: {}\n", diagnostic.message));
    }
    report.push_str(&format!(
        "{}: {errors} error(s), {} warning(s) as of {at}\n",
        args.policy.display(),
        diagnostics.len() - errors
    ));
    crate::emit(&report)?;
    Ok(if errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn load_policy(path: Option<&PathBuf>) -> anyhow::Result<Policy> {
    Ok(match path {
        Some(path) => Policy::from_file(path)?,
        None => Policy::default(),
    })
}

fn today() -> Date {
    jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
}

fn status_at(model: &ModelRecord, at: Date) -> &'static str {
    if model.shutdown.as_ref().is_some_and(|fact| fact.date <= at) {
        "retired"
    } else if model.shutdown.is_some() {
        "retiring"
    } else if model
        .deprecated
        .as_ref()
        .is_some_and(|fact| fact.date <= at)
    {
        "deprecated"
    } else {
        ""
    }
}

fn per_million(price: Option<Decimal>) -> String {
    match price {
        Some(price) => (price * Decimal::from(1_000_000)).normalize().to_string(),
        None => "-".to_string(),
    }
}
