//! `ingate redact`: redacts a text file or JSON lines with a policy's detectors.

use std::io::{BufRead, BufWriter, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};
use ingate::config::PolicyConfig;
use ingate::redact::{Finding, RedactionConfig, Redactor, Vault, code_point_offset};
use serde::Serialize;

/// Arguments of `ingate redact`.
#[derive(Debug, Args)]
pub struct RedactArgs {
    /// The policy whose `[redaction]` table applies; all built-in detectors
    /// with placeholders when absent.
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// `text` redacts the whole input as one text. `jsonl` reads one
    /// `{"text": ...}` object per line and writes the redacted text with its
    /// findings, whose offsets count Unicode code points.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// The file to redact; standard input when absent or `-`.
    file: Option<PathBuf>,
}

/// The input and output format of `ingate redact`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Jsonl,
}

/// One output line of `--format jsonl`.
#[derive(Serialize)]
struct OutputLine<'a> {
    text: &'a str,
    findings: Vec<OutputFinding<'a>>,
}

/// A finding with offsets in code points into the input text.
#[derive(Serialize)]
struct OutputFinding<'a> {
    kind: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    vendor: Option<&'a str>,
    start: usize,
    end: usize,
}

/// Runs `ingate redact`.
pub fn run(args: RedactArgs) -> anyhow::Result<ExitCode> {
    let config = match &args.policy {
        Some(path) => PolicyConfig::from_file(path)?.redaction,
        None => RedactionConfig::default(),
    };
    let redactor = Redactor::new(&config)?;
    for rule in redactor.gitleaks_rejected() {
        eprintln!(
            "warning: gitleaks rule `{}` not loaded: {}",
            rule.id, rule.reason
        );
    }
    let mut input = crate::open_input(args.file.as_ref())?;

    match args.format {
        Format::Text => {
            let mut bytes = Vec::new();
            input
                .read_to_end(&mut bytes)
                .context("cannot read the input")?;
            let text = String::from_utf8(bytes).map_err(|error| {
                anyhow::anyhow!(
                    "the input is not valid UTF-8 (first invalid byte at offset {}); convert it to UTF-8 first",
                    error.utf8_error().valid_up_to()
                )
            })?;
            let redaction = redactor.redact(&text, &mut Vault::new())?;
            crate::emit(&redaction.text)?;
        }
        Format::Jsonl => {
            // Output is buffered in 64 KiB blocks rather than flushed per line,
            // which made one write system call per line. A person typing lines
            // into a terminal still gets each line back as soon as it is redacted.
            let reads_terminal = args
                .file
                .as_ref()
                .is_none_or(|path| path.as_os_str() == "-")
                && std::io::stdin().is_terminal();
            let mut output = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            let result = redact_lines(&redactor, input, &mut output, reads_terminal);
            // The lines redacted before an error are written before the error is reported.
            let flushed = output.flush().context("cannot write the output");
            result?;
            flushed?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Redacts each `{"text": ...}` line of `input` into `output`, flushing after
/// every line when `flush_each_line` is set.
fn redact_lines(
    redactor: &Redactor,
    input: Box<dyn BufRead>,
    output: &mut impl Write,
    flush_each_line: bool,
) -> anyhow::Result<()> {
    for (index, line) in input.lines().enumerate() {
        let number = index + 1;
        let line = line.with_context(|| format!("cannot read input line {number}"))?;
        if line.trim().is_empty() {
            continue;
        }
        let redacted =
            redact_line(redactor, &line).with_context(|| format!("input line {number}"))?;
        output
            .write_all(redacted.as_bytes())
            .context("cannot write the output")?;
        if flush_each_line {
            output.flush().context("cannot write the output")?;
        }
    }
    Ok(())
}

/// Redacts one `{"text": ...}` line and returns the output line with its newline.
fn redact_line(redactor: &Redactor, line: &str) -> anyhow::Result<String> {
    let value: serde_json::Value = serde_json::from_str(line).map_err(|error| {
        anyhow::anyhow!(
            "invalid JSON at column {}: {}; each line must be an object like {{\"text\": \"...\"}}",
            error.column(),
            json_error_category(&error)
        )
    })?;
    let Some(text) = value.get("text").and_then(serde_json::Value::as_str) else {
        anyhow::bail!(
            "missing string field `text`; each line must be an object like {{\"text\": \"...\"}}"
        );
    };
    let redaction = redactor.redact(text, &mut Vault::new())?;
    let findings = output_findings(text, &redaction.findings);
    let output = OutputLine {
        text: &redaction.text,
        findings,
    };
    let mut json = serde_json::to_string(&output)?;
    json.push('\n');
    Ok(json)
}

/// Converts findings, sorted and not overlapping, to code point offsets in one
/// walk over `text`, counting only the characters between one offset and the next.
fn output_findings<'a>(text: &str, findings: &'a [Finding]) -> Vec<OutputFinding<'a>> {
    let mut byte = 0;
    let mut code_points = 0;
    let mut to_code_points = |offset: usize| {
        code_points += code_point_offset(&text[byte..], offset - byte);
        byte = offset;
        code_points
    };
    findings
        .iter()
        .map(|finding| OutputFinding {
            kind: &finding.kind,
            vendor: finding.vendor.as_deref(),
            start: to_code_points(finding.start),
            end: to_code_points(finding.end),
        })
        .collect()
}

/// Names a JSON error's category. serde_json's own message can quote the
/// input, which may contain the values being redacted.
fn json_error_category(error: &serde_json::Error) -> &'static str {
    match error.classify() {
        serde_json::error::Category::Io => "read error",
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Data => "unexpected data",
        serde_json::error::Category::Eof => "unexpected end of line",
    }
}
