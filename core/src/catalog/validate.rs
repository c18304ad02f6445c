//! Validation of policy aliases and fallback chains, and the sunset linter.

use std::collections::BTreeSet;

use jiff::civil::Date;

use super::resolve::{Status, describe, status_on, successor_hint};
use super::{Catalog, DeprecationAction, Diagnostic, DiagnosticKind, ModelsConfig, Severity};
use crate::error::Error;

impl Catalog {
    /// Validates aliases and fallback chains as of `today`.
    ///
    /// Reports, each with its whole chain printed:
    /// - aliases and pins that do not resolve (error) or form a cycle (error),
    /// - aliases, pins and fallbacks whose model is shut down by `today` (error,
    ///   or a warning when `on_deprecated = "substitute"` and a successor exists),
    /// - those whose model shuts down within `warning_days` after `today` or
    ///   whose deprecation is announced (warning),
    /// - unknown fallbacks (error), fallback cycles that follow fallbacks which
    ///   are themselves primaries (error), and fallbacks with a smaller context
    ///   window than their primary (warning).
    pub fn validate(&self, config: &ModelsConfig, today: Date) -> Vec<Diagnostic> {
        let mut diagnostics = Vec::new();
        self.validate_aliases(config, today, &mut diagnostics);
        self.validate_fallbacks(config, today, &mut diagnostics);
        diagnostics
    }

    /// Reports every alias, pin and fallback that is shut down by date `at`.
    ///
    /// This is [`Catalog::validate`] evaluated on `at` instead of today: what is
    /// shut down by `at` is an error, what shuts down within `warning_days` after
    /// `at` is a warning, and unknown names and cycles are errors on any date.
    /// `ingate lint POLICY --at DATE` prints these and exits with 1 when one is an error.
    pub fn lint(&self, config: &ModelsConfig, at: Date) -> Vec<Diagnostic> {
        self.validate(config, at)
    }

    fn validate_aliases(&self, config: &ModelsConfig, today: Date, out: &mut Vec<Diagnostic>) {
        for alias in config.aliases.keys() {
            match self.resolve(alias, &config.aliases) {
                Ok(resolution) => {
                    let kind = if is_pin(alias, config) {
                        "pin"
                    } else {
                        "alias"
                    };
                    let label = format!("{kind} `{alias}`");
                    let chain = resolution.chain.join(" -> ");
                    self.check_dates(&label, &chain, &resolution.model, None, config, today, out);
                }
                Err(Error::UnknownModel { name, suggestions }) => {
                    out.push(error(DiagnosticKind::UnknownModel, format!(
                        "alias `{alias}` ({}): unknown model `{name}`{}; point the alias at a catalog id",
                        alias_chain(alias, config),
                        did_you_mean(&suggestions),
                    )));
                }
                Err(Error::InvalidPolicy { message, .. }) => {
                    out.push(error(
                        DiagnosticKind::AliasCycle,
                        format!("alias `{alias}`: {message}"),
                    ));
                }
                Err(other) => out.push(error(
                    DiagnosticKind::Invalid,
                    format!("alias `{alias}`: {other}"),
                )),
            }
        }
    }

    fn validate_fallbacks(&self, config: &ModelsConfig, today: Date, out: &mut Vec<Diagnostic>) {
        for (primary, fallbacks) in &config.fallbacks {
            let chain = std::iter::once(primary.as_str())
                .chain(fallbacks.iter().map(String::as_str))
                .collect::<Vec<_>>()
                .join(" -> ");

            // The context window fallbacks are compared with: the primary's, or the first fallback's
            // when the primary is only a name for the chain.
            let primary_model = self.resolve(primary, &config.aliases).ok();
            let mut reference = primary_model.as_ref().and_then(|resolution| {
                let record = self.get(&resolution.model)?;
                Some((resolution.model.clone(), record.context_window))
            });

            for fallback in fallbacks {
                let label = format!("fallback `{fallback}` in chain `{chain}`");
                let resolution = match self.resolve(fallback, &config.aliases) {
                    Ok(resolution) => resolution,
                    Err(Error::UnknownModel { name, suggestions }) => {
                        out.push(error(DiagnosticKind::UnknownModel, format!(
                            "{label}: unknown model `{name}`{}; fix the name in [models.fallbacks]",
                            did_you_mean(&suggestions),
                        )));
                        continue;
                    }
                    Err(other) => {
                        out.push(error(DiagnosticKind::Invalid, format!("{label}: {other}")));
                        continue;
                    }
                };
                let resolved = resolution.chain.join(" -> ");
                self.check_dates(
                    &label,
                    &resolved,
                    &resolution.model,
                    Some(primary),
                    config,
                    today,
                    out,
                );

                let Some(record) = self.get(&resolution.model) else {
                    continue;
                };
                match &reference {
                    Some((reference_model, window)) if record.context_window < *window => {
                        out.push(warning(DiagnosticKind::SmallerContextWindow, format!(
                            "{label}: `{}` has a context window of {} tokens, smaller than the {} \
                             tokens of `{reference_model}`; requests that fit the primary may not fit \
                             this fallback",
                            record.id, record.context_window, window
                        )));
                    }
                    Some(_) => {}
                    None => reference = Some((record.id.clone(), record.context_window)),
                }
            }
        }

        for cycle in fallback_cycles(config) {
            out.push(error(
                DiagnosticKind::FallbackCycle,
                format!(
                    "fallback cycle in [models.fallbacks]: {}; remove one of these fallbacks",
                    cycle.join(" -> ")
                ),
            ));
        }
    }

    /// Reports a model that is shut down by `today` or retiring after it.
    #[allow(clippy::too_many_arguments)]
    fn check_dates(
        &self,
        label: &str,
        chain: &str,
        model: &str,
        primary: Option<&str>,
        config: &ModelsConfig,
        today: Date,
        out: &mut Vec<Diagnostic>,
    ) {
        let Some(lifecycle) = self.lifecycle(model) else {
            return;
        };
        let mut status = status_on(&lifecycle, config.warning_days, today);
        if status == Status::Active && lifecycle.notice_only {
            status = Status::Retiring;
        }
        let substitutable = config.on_deprecated == DeprecationAction::Substitute
            && lifecycle
                .successor
                .is_some_and(|name| self.lookup(name).is_some());
        let state = describe(&lifecycle, today);
        let successor = successor_hint(lifecycle.successor);
        let fix = match primary {
            Some(_) => "replace it in [models.fallbacks]",
            None => "point it at the successor in [models.aliases]",
        };
        match status {
            Status::Active => {}
            Status::ShutDown if substitutable => out.push(warning(
                DiagnosticKind::Retired,
                format!(
                    "{label} ({chain}): `{model}` {state}{successor}; calls are substituted \
                 (on_deprecated = \"substitute\"); {fix}"
                ),
            )),
            Status::ShutDown => out.push(error(
                DiagnosticKind::Retired,
                format!("{label} ({chain}): `{model}` {state}{successor}; {fix}"),
            )),
            Status::Retiring => out.push(warning(
                DiagnosticKind::Retiring,
                format!("{label} ({chain}): `{model}` {state}{successor}; {fix}"),
            )),
        }
    }
}

/// Returns true when a policy alias ends at a dated snapshot id, which pins the model version.
///
/// An alias to an undated name (`gpt-4o-mini`) is not a pin, even when the
/// catalog resolves that name to a snapshot.
fn is_pin(alias: &str, config: &ModelsConfig) -> bool {
    let mut target = alias;
    let mut steps = 0;
    while let Some(next) = config.aliases.get(target) {
        target = next;
        steps += 1;
        if steps > config.aliases.len() {
            return false;
        }
    }
    let id = target.rsplit('/').next().unwrap_or(target);
    let id = id.split(['@', ':']).collect::<Vec<_>>().join("-");
    let all_digits =
        |part: &str| !part.is_empty() && part.bytes().all(|byte| byte.is_ascii_digit());

    // `-20250929`, `@20251001`, `-2024-08-06` or `-0613` at the end of the id.
    let parts: Vec<&str> = id.split('-').collect();
    match parts.as_slice() {
        [.., year, month, day]
            if year.len() == 4 && all_digits(year) && all_digits(month) && all_digits(day) =>
        {
            true
        }
        [.., last] => all_digits(last) && (last.len() == 8 || last.len() == 4),
        [] => false,
    }
}

/// Prints the policy alias chain from `alias` as far as it goes, for messages.
fn alias_chain(alias: &str, config: &ModelsConfig) -> String {
    let mut chain = vec![alias.to_string()];
    let mut current = alias;
    while let Some(target) = config.aliases.get(current) {
        if chain.contains(target) {
            chain.push(target.clone());
            break;
        }
        chain.push(target.clone());
        current = target;
    }
    chain.join(" -> ")
}

fn did_you_mean(suggestions: &[String]) -> String {
    if suggestions.is_empty() {
        return String::new();
    }
    let quoted: Vec<String> = suggestions.iter().map(|name| format!("`{name}`")).collect();
    format!(" (did you mean {}?)", quoted.join(", "))
}

/// Finds each cycle in the fallback graph once, as the path that closes it.
///
/// A fallback that is itself a primary continues into its own chain, so
/// `a = ["b"]` and `b = ["a"]` is the cycle `a -> b -> a`.
fn fallback_cycles(config: &ModelsConfig) -> Vec<Vec<String>> {
    let mut seen = BTreeSet::new();
    let mut cycles = Vec::new();
    for start in config.fallbacks.keys() {
        let mut path = vec![start.clone()];
        walk(config, &mut path, &mut seen, &mut cycles);
    }
    cycles
}

fn walk(
    config: &ModelsConfig,
    path: &mut Vec<String>,
    seen: &mut BTreeSet<Vec<String>>,
    cycles: &mut Vec<Vec<String>>,
) {
    let Some(current) = path.last().cloned() else {
        return;
    };
    let Some(next) = config.fallbacks.get(&current) else {
        return;
    };
    for fallback in next {
        if let Some(position) = path.iter().position(|name| name == fallback) {
            // Report the cycle once, from its smallest name, whatever node the walk started at.
            let mut cycle: Vec<String> = path[position..].to_vec();
            let smallest = (0..cycle.len())
                .min_by_key(|&index| &cycle[index])
                .unwrap_or(0);
            cycle.rotate_left(smallest);
            if seen.insert(cycle.clone()) {
                let mut closed = cycle.clone();
                closed.push(cycle[0].clone());
                cycles.push(closed);
            }
            continue;
        }
        path.push(fallback.clone());
        walk(config, path, seen, cycles);
        path.pop();
    }
}

fn error(kind: DiagnosticKind, message: String) -> Diagnostic {
    Diagnostic {
        severity: Severity::Error,
        kind,
        message,
    }
}

fn warning(kind: DiagnosticKind, message: String) -> Diagnostic {
    Diagnostic {
        severity: Severity::Warning,
        kind,
        message,
    }
}
