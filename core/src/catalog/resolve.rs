//! Name resolution and deprecation rules.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Span;
use jiff::civil::Date;

use super::{Catalog, DatedFact, DeprecationAction, ModelsConfig, Resolution};
use crate::error::{Error, Result};

/// How many suggestions an unknown-model error carries.
const MAX_SUGGESTIONS: usize = 3;

/// The dates and successor of a model id, whether it has a full record or only a retirement notice.
pub(super) struct Lifecycle<'a> {
    pub(super) deprecated: Option<&'a DatedFact>,
    pub(super) shutdown: Option<&'a DatedFact>,
    pub(super) successor: Option<&'a str>,
    /// True for a model known only from a deprecation notice, which has no prices.
    pub(super) notice_only: bool,
}

/// The deprecation status of a model id on a date, under a warning window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Status {
    /// No deprecation announced and no shutdown inside the window.
    Active,
    /// Deprecation announced, or shutdown within the warning window.
    Retiring,
    /// Shutdown date on or before the date.
    ShutDown,
}

impl Catalog {
    /// Resolves a name through the policy aliases, catalog aliases, ids and `vendor/model` forms.
    ///
    /// Does not apply deprecation rules; see [`Catalog::check_deprecation`].
    /// A cycle in `aliases` is an [`Error::InvalidPolicy`]; a name that matches
    /// nothing is an [`Error::UnknownModel`] with the nearest known names.
    pub fn resolve(&self, name: &str, aliases: &BTreeMap<String, String>) -> Result<Resolution> {
        let mut chain = vec![name.to_string()];

        // Policy aliases may point at other policy aliases, so follow them until a name is not one.
        let mut current = name.to_string();
        while let Some(target) = aliases.get(&current) {
            if chain.contains(target) {
                chain.push(target.clone());
                return Err(Error::invalid_policy(format!(
                    "alias cycle in [models.aliases]: {}; point one of these aliases at a model id",
                    chain.join(" -> ")
                )));
            }
            chain.push(target.clone());
            current = target.clone();
        }

        match self.lookup(&current) {
            Some(steps) => {
                chain.extend(steps);
                let model = chain.last().cloned().unwrap_or_default();
                Ok(Resolution {
                    requested: name.to_string(),
                    model,
                    chain,
                    warnings: Vec::new(),
                })
            }
            None => Err(Error::UnknownModel {
                suggestions: self.suggestions(&current, aliases),
                name: current,
            }),
        }
    }

    /// Finds a name in the catalog and returns the names visited after it, ending with the id.
    ///
    /// Catalog aliases come first, then exact ids, then `vendor/model` forms.
    pub(super) fn lookup(&self, name: &str) -> Option<Vec<String>> {
        if let Some(steps) = self.lookup_direct(name) {
            return Some(steps);
        }

        let (prefix, rest) = name.split_once('/')?;
        let (vendor, id_prefixes) = vendor_of_prefix(prefix)?;
        for id_prefix in id_prefixes {
            let candidate = format!("{id_prefix}{rest}");
            let Some(steps) = self.lookup_direct(&candidate) else {
                continue;
            };
            let id = steps.last().unwrap_or(&candidate);
            if self.vendor_of_id(id) == Some(vendor) {
                let mut path = vec![candidate];
                path.extend(steps);
                return Some(path);
            }
        }
        None
    }

    /// Follows catalog aliases from `name` to an id: returns the names after `name`, or an empty list when `name` is an id.
    fn lookup_direct(&self, name: &str) -> Option<Vec<String>> {
        let mut steps = Vec::new();
        let mut current = name;
        while let Some(target) = self.aliases.get(current) {
            if target == name || steps.contains(target) {
                break;
            }
            steps.push(target.clone());
            current = target;
        }
        if self.models.contains_key(current) || self.retired.contains_key(current) {
            Some(steps)
        } else {
            None
        }
    }

    fn vendor_of_id(&self, id: &str) -> Option<&str> {
        self.models
            .get(id)
            .map(|record| record.vendor.as_str())
            .or_else(|| self.retired.get(id).map(|record| record.vendor.as_str()))
    }

    /// Returns the dates and successor of a model id, when the catalog has it.
    pub(super) fn lifecycle(&self, id: &str) -> Option<Lifecycle<'_>> {
        if let Some(record) = self.models.get(id) {
            return Some(Lifecycle {
                deprecated: record.deprecated.as_ref(),
                shutdown: record.shutdown.as_ref(),
                successor: record.successor.as_deref(),
                notice_only: false,
            });
        }
        self.retired.get(id).map(|record| Lifecycle {
            deprecated: record.deprecated.as_ref(),
            shutdown: Some(&record.shutdown),
            successor: record.successor.as_deref(),
            notice_only: true,
        })
    }

    /// Returns the nearest known names to `name`, closest first.
    fn suggestions(&self, name: &str, aliases: &BTreeMap<String, String>) -> Vec<String> {
        let known = self
            .models
            .keys()
            .chain(self.retired.keys())
            .chain(self.aliases.keys())
            .chain(aliases.keys());
        let bare = name.rsplit('/').next().unwrap_or(name);
        let limit = (name.chars().count() / 3).max(2);
        let mut scored: Vec<(usize, usize, &String)> = known
            .filter_map(|candidate| {
                // A bare name also matches `provider/name` ids, one step further away
                // than an exact id, so `mistral-large-latest` finds `mistral/mistral-large-latest`.
                let candidate_bare = candidate.rsplit('/').next().unwrap_or(candidate);
                let distance = strsim::osa_distance(name, candidate)
                    .min(strsim::osa_distance(bare, candidate))
                    .min(strsim::osa_distance(bare, candidate_bare) + 1);
                (distance <= limit).then_some((distance, candidate.len(), candidate))
            })
            .collect();
        scored.sort();
        scored.dedup_by(|a, b| a.2 == b.2);
        scored
            .into_iter()
            .take(MAX_SUGGESTIONS)
            .map(|(_, _, candidate)| candidate.clone())
            .collect()
    }

    /// Applies the deprecation rules of `config` to a resolution, as of `today`.
    ///
    /// Returns the (possibly substituted) resolution with warnings added, or
    /// [`Error::ModelRetired`] when the model is shut down or the action is `deny`.
    /// A shut-down model is denied under every action, unless the action is
    /// `substitute` and its successor is in the catalog. A substituted successor
    /// is checked in turn.
    pub fn check_deprecation(
        &self,
        resolution: Resolution,
        config: &ModelsConfig,
        today: Date,
    ) -> Result<Resolution> {
        let mut resolution = resolution;
        let mut visited = BTreeSet::new();

        loop {
            let model = resolution.model.clone();
            visited.insert(model.clone());
            let Some(lifecycle) = self.lifecycle(&model) else {
                return Ok(resolution);
            };
            let mut status = status_on(&lifecycle, config.warning_days, today);
            if status == Status::Active && lifecycle.notice_only {
                // NOTE: a model listed only in a deprecation notice has no prices, so
                // `Catalog::get` returns None for it even before its shutdown date.
                status = Status::Retiring;
            }
            if status == Status::Active {
                return Ok(resolution);
            }

            // A successor the catalog can resolve, and that this loop has not visited yet.
            let successor = lifecycle.successor.and_then(|name| {
                let steps = self.lookup(name)?;
                let id = steps.last().cloned().unwrap_or_else(|| name.to_string());
                (!visited.contains(&id)).then_some((name.to_string(), steps, id))
            });

            let denied = Error::ModelRetired {
                name: resolution.requested.clone(),
                model: model.clone(),
                retired: status == Status::ShutDown,
                shutdown: lifecycle.shutdown.map(|fact| fact.date),
                successor: lifecycle.successor.map(str::to_string),
            };

            match (status, config.on_deprecated, successor) {
                (_, DeprecationAction::Substitute, Some((name, steps, id))) => {
                    tracing::debug!(model = %model, successor = %id, "substituting a deprecated model");
                    resolution.warnings.push(format!(
                        "model `{model}` {}; substituted its successor `{id}` (on_deprecated = \"substitute\")",
                        describe(&lifecycle, today),
                    ));
                    resolution.chain.push(name);
                    resolution.chain.extend(steps);
                    resolution.model = id;
                }
                (Status::ShutDown, _, _) | (Status::Retiring, DeprecationAction::Deny, _) => {
                    tracing::debug!(model = %model, "denying a retired or deprecated model");
                    return Err(denied);
                }
                (Status::Retiring, _, _) => {
                    resolution.warnings.push(format!(
                        "model `{model}` {}{}",
                        describe(&lifecycle, today),
                        successor_hint(lifecycle.successor),
                    ));
                    return Ok(resolution);
                }
                (Status::Active, _, _) => return Ok(resolution),
            }
        }
    }
}

/// Returns the deprecation status of a model on `today`.
pub(super) fn status_on(lifecycle: &Lifecycle<'_>, warning_days: u32, today: Date) -> Status {
    let window_end = today.saturating_add(Span::new().days(i64::from(warning_days)));
    match lifecycle.shutdown {
        Some(fact) if fact.date <= today => return Status::ShutDown,
        Some(fact) if fact.date <= window_end => return Status::Retiring,
        _ => {}
    }
    match lifecycle.deprecated {
        Some(fact) if fact.date <= today => Status::Retiring,
        _ => Status::Active,
    }
}

/// Describes the deprecation state in words, for warnings and diagnostics.
pub(super) fn describe(lifecycle: &Lifecycle<'_>, today: Date) -> String {
    match (lifecycle.shutdown, lifecycle.deprecated) {
        (Some(shutdown), _) if shutdown.date <= today => {
            format!("was shut down on {}", shutdown.date)
        }
        (Some(shutdown), _) => {
            let days = today
                .until(shutdown.date)
                .map(|span| span.get_days())
                .unwrap_or_default();
            format!(
                "shuts down on {} ({days} days after {today})",
                shutdown.date
            )
        }
        (None, Some(deprecated)) => format!(
            "was deprecated on {} with no shutdown date announced",
            deprecated.date
        ),
        (None, None) => "is deprecated".to_string(),
    }
}

/// Returns "; successor `X`" or "; no successor announced".
pub(super) fn successor_hint(successor: Option<&str>) -> String {
    match successor {
        Some(successor) => format!("; successor `{successor}`"),
        None => "; no successor announced".to_string(),
    }
}

/// Maps the prefix of a `vendor/model` name to its vendor and the id prefixes to try, most specific first.
fn vendor_of_prefix(prefix: &str) -> Option<(&'static str, &'static [&'static str])> {
    let entry: (&'static str, &'static [&'static str]) = match prefix {
        "openai" => ("openai", &[""]),
        "anthropic" => ("anthropic", &[""]),
        "google" => ("google", &["gemini/", "vertex_ai/", ""]),
        "gemini" => ("google", &["gemini/"]),
        // Vertex AI ids of Gemini models carry no prefix in LiteLLM's map.
        "vertex_ai" => ("google", &["vertex_ai/", ""]),
        "mistral" => ("mistral", &["mistral/", ""]),
        "bedrock" | "bedrock_converse" => ("bedrock", &["", "bedrock/"]),
        "azure" => ("azure", &["azure/"]),
        _ => return None,
    };
    Some(entry)
}
