//! Tests of the model catalog: the built-in data, resolution, deprecation
//! actions, fallback validation and LiteLLM imports. Dates are fixed; nothing
//! here reads the system clock.

use std::collections::BTreeMap;
use std::str::FromStr;

use ingate::catalog::{Catalog, DeprecationAction, Diagnostic, ModelsConfig, Severity};
use ingate::{Encoding, Error, ErrorKind};
use jiff::civil::{Date, date};
use rust_decimal::Decimal;

const TODAY: Date = date(2026, 12, 4);

fn no_aliases() -> BTreeMap<String, String> {
    BTreeMap::new()
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect()
}

fn fallbacks(pairs: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
    pairs
        .iter()
        .map(|(key, list)| {
            let list = list.iter().map(|name| name.to_string()).collect();
            (key.to_string(), list)
        })
        .collect()
}

fn config(action: DeprecationAction) -> ModelsConfig {
    ModelsConfig {
        on_deprecated: action,
        ..ModelsConfig::default()
    }
}

fn decimal(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

fn errors(diagnostics: &[Diagnostic]) -> Vec<&str> {
    diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.message.as_str())
        .collect()
}

fn warnings(diagnostics: &[Diagnostic]) -> Vec<&str> {
    diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .map(|d| d.message.as_str())
        .collect()
}

// Built-in data.

#[test]
fn builtin_has_six_vendors() {
    let catalog = Catalog::builtin();
    for vendor in [
        "openai",
        "anthropic",
        "google",
        "mistral",
        "bedrock",
        "azure",
    ] {
        let count = catalog.models().filter(|m| m.vendor == vendor).count();
        assert!(count >= 10, "vendor {vendor} has {count} models");
    }
}

#[test]
fn builtin_google_has_gemini_api_and_vertex() {
    let catalog = Catalog::builtin();
    let gemini_api = catalog.get("gemini/gemini-2.5-pro").unwrap();
    assert_eq!(gemini_api.vendor, "google");
    assert_eq!(gemini_api.provider, "gemini");
    let vertex = catalog.get("gemini-2.5-pro").unwrap();
    assert_eq!(vertex.vendor, "google");
    assert!(
        vertex.provider.starts_with("vertex_ai"),
        "{}",
        vertex.provider
    );
}

#[test]
fn builtin_gpt_4o_prices_exact() {
    let record = Catalog::builtin().get("gpt-4o").unwrap();
    assert_eq!(record.prices.input, decimal("0.0000025"));
    assert_eq!(record.prices.output, decimal("0.00001"));
    assert_eq!(record.prices.cached_read, Some(decimal("0.00000125")));
    assert_eq!(record.prices.input.to_string(), "0.0000025");
    assert_eq!(record.prices.output.to_string(), "0.00001");
}

#[test]
fn builtin_long_context_tier() {
    let record = Catalog::builtin().get("gemini/gemini-2.5-pro").unwrap();
    let tier = record.prices.long_context.as_ref().unwrap();
    assert_eq!(tier.above_input_tokens, 200_000);
    assert_eq!(tier.input, decimal("0.0000025"));
    assert_eq!(tier.output, decimal("0.000015"));
}

#[test]
fn builtin_cache_prices() {
    let record = Catalog::builtin()
        .get("claude-sonnet-4-5-20250929")
        .unwrap();
    assert_eq!(record.prices.cached_read, Some(decimal("0.0000003")));
    assert_eq!(record.prices.cache_write, Some(decimal("0.00000375")));
}

#[test]
fn builtin_encodings_by_family() {
    let catalog = Catalog::builtin();
    let cases = [
        ("gpt-4o", Some(Encoding::O200kBase)),
        ("gpt-4.1", Some(Encoding::O200kBase)),
        ("gpt-5", Some(Encoding::O200kBase)),
        ("o3", Some(Encoding::O200kBase)),
        ("azure/gpt-4o", Some(Encoding::O200kBase)),
        ("gpt-4-0613", Some(Encoding::Cl100kBase)),
        ("gpt-3.5-turbo", Some(Encoding::Cl100kBase)),
        ("azure/gpt-35-turbo", Some(Encoding::Cl100kBase)),
        ("openai.gpt-oss-120b-1:0", Some(Encoding::O200kHarmony)),
        ("claude-sonnet-4-5-20250929", None),
        ("gemini/gemini-2.5-pro", None),
        ("mistral/mistral-large-latest", None),
    ];
    for (id, expected) in cases {
        let record = catalog.get(id).unwrap_or_else(|| panic!("{id} is missing"));
        assert_eq!(record.encoding, expected, "{id}");
    }
}

#[test]
fn builtin_parameters_from_ecologits() {
    let catalog = Catalog::builtin();
    let gpt_4o = catalog.get("gpt-4o").unwrap().parameters.as_ref().unwrap();
    assert_eq!(gpt_4o.total_billions.min, 440.0);
    assert_eq!(gpt_4o.active_billions.min, 44.0);
    assert_eq!(gpt_4o.active_billions.max, 132.0);
    assert!(gpt_4o.source.contains("EcoLogits"), "{}", gpt_4o.source);

    let oss = catalog.get("openai.gpt-oss-120b-1:0").unwrap();
    let oss = oss.parameters.as_ref().unwrap();
    assert_eq!(oss.total_billions.min, oss.total_billions.max);
    assert!(oss.active_billions.max < oss.total_billions.max);
}

#[test]
fn builtin_every_date_has_source() {
    let catalog = Catalog::builtin();
    let mut dates = 0;
    for record in catalog.models() {
        for fact in [&record.deprecated, &record.shutdown].into_iter().flatten() {
            assert!(
                !fact.source.trim().is_empty(),
                "{} has a date without source",
                record.id
            );
            dates += 1;
        }
        if let Some(parameters) = &record.parameters {
            assert!(!parameters.source.is_empty(), "{}", record.id);
        }
    }
    for record in catalog.retired_models() {
        assert!(!record.shutdown.source.trim().is_empty(), "{}", record.id);
        if let Some(fact) = &record.deprecated {
            assert!(!fact.source.trim().is_empty(), "{}", record.id);
        }
        dates += 1;
    }
    assert!(dates > 100, "only {dates} dates");
}

#[test]
fn builtin_csv_date_wins_over_litellm() {
    // LiteLLM 1.110.2 has no announcement dates; this one comes from the vendor's page.
    let record = Catalog::builtin().get("gpt-4-0613").unwrap();
    let deprecated = record.deprecated.as_ref().unwrap();
    assert_eq!(deprecated.date, date(2026, 4, 22));
    assert!(
        deprecated.source.contains("developers.openai.com"),
        "{}",
        deprecated.source
    );
    assert_eq!(record.shutdown.as_ref().unwrap().date, date(2026, 10, 23));
}

// Resolution.

#[test]
fn resolve_order_and_chain() {
    let catalog = Catalog::builtin();
    let policy = map(&[
        ("smart", "sonnet"),
        ("sonnet", "claude-sonnet-4-5"),
        ("fast", "gpt-5-mini"),
    ]);
    let cases: &[(&str, &str, &[&str])] = &[
        ("gpt-4o", "gpt-4o", &["gpt-4o"]),
        (
            "claude-sonnet-4-5",
            "claude-sonnet-4-5-20250929",
            &["claude-sonnet-4-5", "claude-sonnet-4-5-20250929"],
        ),
        (
            "smart",
            "claude-sonnet-4-5-20250929",
            &[
                "smart",
                "sonnet",
                "claude-sonnet-4-5",
                "claude-sonnet-4-5-20250929",
            ],
        ),
        (
            "fast",
            "gpt-5-mini-2025-08-07",
            &["fast", "gpt-5-mini", "gpt-5-mini-2025-08-07"],
        ),
        ("openai/gpt-4o", "gpt-4o", &["openai/gpt-4o", "gpt-4o"]),
        (
            "anthropic/claude-sonnet-4-5",
            "claude-sonnet-4-5-20250929",
            &[
                "anthropic/claude-sonnet-4-5",
                "claude-sonnet-4-5",
                "claude-sonnet-4-5-20250929",
            ],
        ),
        (
            "google/gemini-2.5-pro",
            "gemini/gemini-2.5-pro",
            &["google/gemini-2.5-pro", "gemini/gemini-2.5-pro"],
        ),
        (
            "gemini/gemini-2.5-pro",
            "gemini/gemini-2.5-pro",
            &["gemini/gemini-2.5-pro"],
        ),
        ("gpt-4-32k-0613", "gpt-4-32k-0613", &["gpt-4-32k-0613"]),
        (
            "claude-sonnet-4-0",
            "claude-sonnet-4-20250514",
            &["claude-sonnet-4-0", "claude-sonnet-4-20250514"],
        ),
    ];
    for (name, model, chain) in cases {
        let resolution = catalog
            .resolve(name, &policy)
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        assert_eq!(resolution.requested, *name);
        assert_eq!(resolution.model, *model, "{name}");
        assert_eq!(resolution.chain, *chain, "{name}");
        assert!(resolution.warnings.is_empty(), "{name}");
    }
}

#[test]
fn resolve_vendor_prefix_checks_vendor() {
    let error = Catalog::builtin()
        .resolve("anthropic/gpt-4o", &no_aliases())
        .unwrap_err();
    assert!(matches!(error, Error::UnknownModel { .. }), "{error}");
}

#[test]
fn resolve_policy_alias_shadows_catalog() {
    let policy = map(&[("gpt-4o", "gpt-4o-mini")]);
    let resolution = Catalog::builtin().resolve("gpt-4o", &policy).unwrap();
    assert_eq!(resolution.model, "gpt-4o-mini-2024-07-18");
}

#[test]
fn resolve_alias_cycle_is_error() {
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);
    let cases: &[Case] = &[
        (&[("a", "b"), ("b", "a")], "a", "a -> b -> a"),
        (&[("a", "a")], "a", "a -> a"),
        (
            &[("x", "a"), ("a", "b"), ("b", "c"), ("c", "a")],
            "x",
            "x -> a -> b -> c -> a",
        ),
    ];
    for (pairs, name, chain) in cases {
        let error = Catalog::builtin().resolve(name, &map(pairs)).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidPolicy, "{name}");
        assert!(error.to_string().contains(chain), "{error}");
    }
}

#[test]
fn resolve_unknown_suggests_nearest() {
    let cases = [
        ("gtp-4o", "gpt-4o"),
        ("gpt-4o-mnii", "gpt-4o-mini"),
        ("claude-sonet-4-5", "claude-sonnet-4-5"),
        ("openai/gpt-4oo", "gpt-4o"),
    ];
    for (name, expected) in cases {
        let error = Catalog::builtin().resolve(name, &no_aliases()).unwrap_err();
        let Error::UnknownModel {
            name: reported,
            suggestions,
        } = &error
        else {
            panic!("{name}: {error}");
        };
        assert_eq!(reported, name);
        assert!(!suggestions.is_empty(), "{name}");
        assert!(suggestions.len() <= 3, "{suggestions:?}");
        assert!(
            suggestions.iter().any(|s| s == expected),
            "{name}: {suggestions:?}"
        );
    }
}

#[test]
fn resolve_unknown_names_alias_target() {
    let policy = map(&[("fast", "gpt-5-mni")]);
    let error = Catalog::builtin().resolve("fast", &policy).unwrap_err();
    let Error::UnknownModel { name, suggestions } = error else {
        panic!("expected UnknownModel");
    };
    assert_eq!(name, "gpt-5-mni");
    assert!(
        suggestions.contains(&"gpt-5-mini".to_string()),
        "{suggestions:?}"
    );
}

#[test]
fn resolve_unknown_without_neighbours() {
    let error = Catalog::builtin()
        .resolve("zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", &no_aliases())
        .unwrap_err();
    let Error::UnknownModel { suggestions, .. } = error else {
        panic!("expected UnknownModel");
    };
    assert!(suggestions.is_empty(), "{suggestions:?}");
}

// Deprecation.

#[test]
fn retired_model_denied_with_date_and_successor() {
    let catalog = Catalog::builtin();
    for action in [DeprecationAction::Warn, DeprecationAction::Deny] {
        for name in ["gpt-4-32k", "gpt-4-32k-0613"] {
            let resolution = catalog.resolve(name, &no_aliases()).unwrap();
            let error = catalog
                .check_deprecation(resolution, &config(action), TODAY)
                .unwrap_err();
            let Error::ModelRetired {
                name: requested,
                shutdown,
                successor,
                ..
            } = &error
            else {
                panic!("{name}: {error}");
            };
            assert_eq!(requested, name);
            assert_eq!(*shutdown, Some(date(2025, 6, 6)));
            assert_eq!(successor.as_deref(), Some("gpt-4o"));
            let message = error.to_string();
            assert!(
                message.contains("retired on 2025-06-06, successor `gpt-4o`"),
                "{message}"
            );
            assert!(!message.contains("unknown"), "{message}");
        }
    }
}

#[test]
fn retired_policy_alias_is_retired_error() {
    let catalog = Catalog::builtin();
    let policy = map(&[("legacy", "gpt-4-32k")]);
    let resolution = catalog.resolve("legacy", &policy).unwrap();
    let error = catalog
        .check_deprecation(resolution, &ModelsConfig::default(), TODAY)
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ModelRetired);
    let message = error.to_string();
    assert!(
        message.contains("`legacy` (resolved to `gpt-4-32k`)"),
        "{message}"
    );
}

#[test]
fn retired_catalog_alias_is_retired_error() {
    // `claude-sonnet-4-0` points at claude-sonnet-4-20250514, shut down on 2026-06-15.
    let catalog = Catalog::builtin();
    let resolution = catalog.resolve("claude-sonnet-4-0", &no_aliases()).unwrap();
    let error = catalog
        .check_deprecation(resolution, &ModelsConfig::default(), TODAY)
        .unwrap_err();
    let Error::ModelRetired {
        shutdown,
        successor,
        ..
    } = error
    else {
        panic!("expected ModelRetired");
    };
    assert_eq!(shutdown, Some(date(2026, 6, 15)));
    assert_eq!(successor.as_deref(), Some("claude-sonnet-4-6"));
}

#[test]
fn substitute_retired_model() {
    let catalog = Catalog::builtin();
    let resolution = catalog.resolve("gpt-4-32k", &no_aliases()).unwrap();
    let substitute = config(DeprecationAction::Substitute);
    let resolution = catalog
        .check_deprecation(resolution, &substitute, date(2026, 1, 10))
        .unwrap();
    assert_eq!(resolution.model, "gpt-4o");
    assert_eq!(resolution.chain, ["gpt-4-32k", "gpt-4o"]);
    assert_eq!(resolution.warnings.len(), 1);
    let warning = &resolution.warnings[0];
    assert!(
        warning.contains("substituted its successor `gpt-4o`"),
        "{warning}"
    );
    assert!(warning.contains("2025-06-06"), "{warning}");
}

#[test]
fn substitute_follows_retiring_successor() {
    // gpt-4-32k -> gpt-4o (shutdown 2027-01-14, inside the 90-day window) -> gpt-6-luna.
    let catalog = Catalog::builtin();
    let resolution = catalog.resolve("gpt-4-32k", &no_aliases()).unwrap();
    let substitute = config(DeprecationAction::Substitute);
    let resolution = catalog
        .check_deprecation(resolution, &substitute, TODAY)
        .unwrap();
    assert_eq!(resolution.chain, ["gpt-4-32k", "gpt-4o", "gpt-6-luna"]);
    assert_eq!(resolution.model, "gpt-6-luna");
    assert_eq!(resolution.warnings.len(), 2, "{:?}", resolution.warnings);
}

#[test]
fn substitute_through_successor_alias() {
    // gpt-3.5-turbo-0613's successor `gpt-3.5-turbo` is a catalog alias of
    // gpt-3.5-turbo-0125, itself shut down on 2026-10-23.
    let catalog = Catalog::builtin();
    let resolution = catalog
        .resolve("gpt-3.5-turbo-0613", &no_aliases())
        .unwrap();
    let substitute = config(DeprecationAction::Substitute);
    let resolution = catalog
        .check_deprecation(resolution, &substitute, TODAY)
        .unwrap();
    assert_eq!(
        resolution.chain,
        [
            "gpt-3.5-turbo-0613",
            "gpt-3.5-turbo",
            "gpt-3.5-turbo-0125",
            "gpt-5.6-terra"
        ]
    );
    assert_eq!(resolution.model, "gpt-5.6-terra");
    assert_eq!(resolution.warnings.len(), 2, "{:?}", resolution.warnings);
}

#[test]
fn substitute_without_catalog_successor_denied() {
    // codex-mini-latest's successor gpt-5-codex-mini is not in the catalog.
    let catalog = Catalog::builtin();
    let resolution = catalog.resolve("codex-mini-latest", &no_aliases()).unwrap();
    let substitute = config(DeprecationAction::Substitute);
    let error = catalog
        .check_deprecation(resolution, &substitute, TODAY)
        .unwrap_err();
    assert!(
        error.to_string().contains("successor `gpt-5-codex-mini`"),
        "{error}"
    );
}

#[test]
fn warning_window_actions() {
    // gpt-5-2025-08-07 shuts down on 2026-12-11, seven days after TODAY.
    let catalog = Catalog::builtin();
    let resolution = catalog.resolve("gpt-5", &no_aliases()).unwrap();
    assert_eq!(resolution.model, "gpt-5-2025-08-07");

    let warned = catalog
        .check_deprecation(resolution.clone(), &config(DeprecationAction::Warn), TODAY)
        .unwrap();
    assert_eq!(warned.model, "gpt-5-2025-08-07");
    assert_eq!(warned.warnings.len(), 1);
    assert!(
        warned.warnings[0].contains("shuts down on 2026-12-11"),
        "{:?}",
        warned.warnings
    );
    assert!(
        warned.warnings[0].contains("gpt-5.6-sol"),
        "{:?}",
        warned.warnings
    );

    let denied = catalog
        .check_deprecation(resolution.clone(), &config(DeprecationAction::Deny), TODAY)
        .unwrap_err();
    let Error::ModelRetired {
        shutdown,
        successor,
        ..
    } = denied
    else {
        panic!("expected ModelRetired");
    };
    assert_eq!(shutdown, Some(date(2026, 12, 11)));
    assert_eq!(successor.as_deref(), Some("gpt-5.6-sol"));

    let substituted = catalog
        .check_deprecation(resolution, &config(DeprecationAction::Substitute), TODAY)
        .unwrap();
    assert_eq!(substituted.model, "gpt-5.6-sol");
    assert_eq!(
        substituted.chain.last().map(String::as_str),
        Some("gpt-5.6-sol")
    );
    assert_eq!(substituted.warnings.len(), 1);
}

#[test]
fn warning_window_edges() {
    let catalog = Catalog::builtin();
    // (name, today, warning_days, expected warnings)
    let cases = [
        ("gpt-5", date(2026, 1, 1), 90, 0),
        // gpt-5-2025-08-07: announced 2026-06-11, shuts down 200 days after 2026-05-25.
        ("gpt-5", date(2026, 5, 25), 200, 1),
        ("gpt-5", date(2026, 5, 24), 200, 0),
        ("gpt-5", date(2026, 6, 11), 0, 1),
        // gpt-4-0613: announced 2026-04-22, shut down 2026-10-23.
        ("gpt-4-0613", date(2026, 4, 22), 30, 1),
        ("gpt-4-0613", date(2026, 4, 21), 30, 0),
    ];
    for (name, today, warning_days, expected) in cases {
        let config = ModelsConfig {
            warning_days,
            ..ModelsConfig::default()
        };
        let resolution = catalog.resolve(name, &no_aliases()).unwrap();
        let checked = catalog
            .check_deprecation(resolution, &config, today)
            .unwrap();
        assert_eq!(
            checked.warnings.len(),
            expected,
            "{name} on {today} with {warning_days} days: {:?}",
            checked.warnings
        );
    }
}

#[test]
fn shutdown_day_is_retired() {
    let catalog = Catalog::builtin();
    let resolution = catalog.resolve("gpt-5", &no_aliases()).unwrap();
    let error = catalog
        .check_deprecation(resolution, &ModelsConfig::default(), date(2026, 12, 11))
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ModelRetired);
}

// Validation and lint.

#[test]
fn validate_clean_policy() {
    let config = ModelsConfig {
        aliases: map(&[("fast", "gpt-4.1-mini")]),
        fallbacks: fallbacks(&[("smart", &["claude-opus-4-6", "claude-sonnet-4-6"])]),
        ..ModelsConfig::default()
    };
    let diagnostics = Catalog::builtin().validate(&config, date(2026, 6, 1));
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
}

#[test]
fn validate_fallback_problems() {
    struct Case {
        name: &'static str,
        fallbacks: &'static [(&'static str, &'static [&'static str])],
        severity: Severity,
        expected: &'static [&'static str],
    }
    let cases = [
        Case {
            name: "unknown fallback",
            fallbacks: &[("smart", &["claude-sonnet-4-6", "gpt-5x"])],
            severity: Severity::Error,
            expected: &[
                "smart -> claude-sonnet-4-6 -> gpt-5x",
                "unknown model `gpt-5x`",
                "`gpt-5`",
            ],
        },
        Case {
            name: "retired fallback",
            fallbacks: &[("smart", &["claude-opus-4-6", "gpt-4-32k"])],
            severity: Severity::Error,
            expected: &[
                "smart -> claude-opus-4-6 -> gpt-4-32k",
                "shut down on 2025-06-06",
                "successor `gpt-4o`",
            ],
        },
        Case {
            name: "retiring fallback",
            fallbacks: &[("smart", &["claude-opus-4-6", "gpt-5"])],
            severity: Severity::Warning,
            expected: &[
                "smart -> claude-opus-4-6 -> gpt-5",
                "shuts down on 2026-12-11",
                "gpt-5.6-sol",
            ],
        },
        Case {
            name: "smaller context window",
            fallbacks: &[("claude-sonnet-4-6", &["gpt-3.5-turbo-0125"])],
            severity: Severity::Warning,
            expected: &[
                "claude-sonnet-4-6 -> gpt-3.5-turbo-0125",
                "16385 tokens",
                "smaller than",
            ],
        },
        Case {
            name: "two-node cycle",
            fallbacks: &[("a", &["b"]), ("b", &["a"])],
            severity: Severity::Error,
            expected: &["fallback cycle", "a -> b -> a"],
        },
        Case {
            name: "self cycle",
            fallbacks: &[("gpt-4o", &["gpt-4o"])],
            severity: Severity::Error,
            expected: &["fallback cycle", "gpt-4o -> gpt-4o"],
        },
    ];
    for case in cases {
        let config = ModelsConfig {
            fallbacks: fallbacks(case.fallbacks),
            ..ModelsConfig::default()
        };
        let diagnostics = Catalog::builtin().validate(&config, TODAY);
        let found = diagnostics.iter().any(|d| {
            d.severity == case.severity && case.expected.iter().all(|part| d.message.contains(part))
        });
        assert!(found, "{}: {diagnostics:#?}", case.name);
    }
}

#[test]
fn validate_cycle_reported_once() {
    let config = ModelsConfig {
        fallbacks: fallbacks(&[("a", &["b"]), ("b", &["c"]), ("c", &["a"])]),
        ..ModelsConfig::default()
    };
    let diagnostics = Catalog::builtin().validate(&config, TODAY);
    let cycles: Vec<&str> = errors(&diagnostics)
        .into_iter()
        .filter(|message| message.contains("fallback cycle"))
        .collect();
    assert_eq!(cycles.len(), 1, "{cycles:?}");
    assert!(cycles[0].contains("a -> b -> c -> a"), "{cycles:?}");
}

#[test]
fn validate_aliases_and_pins() {
    let config = ModelsConfig {
        aliases: map(&[
            ("legacy", "gpt-4-32k"),
            ("pinned", "gpt-5-2025-08-07"),
            ("typo", "gpt-4o-mnii"),
            ("loop", "loop2"),
            ("loop2", "loop"),
        ]),
        ..ModelsConfig::default()
    };
    let diagnostics = Catalog::builtin().validate(&config, TODAY);
    let errors = errors(&diagnostics);
    let warnings = warnings(&diagnostics);
    assert!(
        errors
            .iter()
            .any(|m| m.contains("alias `legacy` (legacy -> gpt-4-32k)") && m.contains("2025-06-06")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|m| m.contains("alias `typo`") && m.contains("`gpt-4o-mini`")),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(|m| m.contains("loop -> loop2 -> loop")),
        "{errors:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|m| m.contains("pin `pinned`") && m.contains("2026-12-11")),
        "{warnings:?}"
    );
}

#[test]
fn validate_substitute_downgrades_retired() {
    let config = ModelsConfig {
        on_deprecated: DeprecationAction::Substitute,
        aliases: map(&[("legacy", "gpt-4-32k")]),
        ..ModelsConfig::default()
    };
    let diagnostics = Catalog::builtin().validate(&config, TODAY);
    assert!(errors(&diagnostics).is_empty(), "{diagnostics:#?}");
    let warnings = warnings(&diagnostics);
    assert!(
        warnings.iter().any(|m| m.contains("substituted")),
        "{warnings:?}"
    );
}

#[test]
fn lint_reports_sunsets_by_date() {
    let config = ModelsConfig {
        aliases: map(&[("fast", "gpt-4o-mini"), ("sonnet", "claude-sonnet-4-6")]),
        fallbacks: fallbacks(&[("smart", &["claude-opus-4-6", "gpt-4.1"])]),
        warning_days: 0,
        ..ModelsConfig::default()
    };
    let catalog = Catalog::builtin();

    // Nothing here is shut down on TODAY.
    let now = catalog.lint(&config, TODAY);
    assert!(errors(&now).is_empty(), "{now:#?}");

    // gpt-4o-mini and gpt-4.1 shut down on 2027-01-14.
    let later = catalog.lint(&config, date(2027, 3, 1));
    let errors = errors(&later);
    assert!(
        errors
            .iter()
            .any(|m| m.contains("alias `fast`") && m.contains("2027-01-14")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|m| m.contains("smart -> claude-opus-4-6 -> gpt-4.1")),
        "{errors:?}"
    );
    assert!(!errors.iter().any(|m| m.contains("sonnet")), "{errors:?}");
}

// LiteLLM imports.

const SMALL_FILE: &str = r#"{
  "sample_spec": {"input_cost_per_token": 0.0, "mode": "one of: chat, embedding"},
  "my-model": {
    "litellm_provider": "openai",
    "mode": "chat",
    "input_cost_per_token": 2.5e-06,
    "output_cost_per_token": 1e-05,
    "cache_read_input_token_cost": 1.25e-06,
    "input_cost_per_token_above_200k_tokens": 5e-06,
    "output_cost_per_token_above_200k_tokens": 2e-05,
    "max_input_tokens": 128000,
    "max_output_tokens": 16384,
    "deprecation_date": "2027-02-01",
    "deprecation_source": "https://example.com/deprecations",
    "successor_model": "gpt-4o"
  },
  "my-embedding": {
    "litellm_provider": "openai",
    "mode": "embedding",
    "input_cost_per_token": 1e-07,
    "output_cost_per_token": 0,
    "max_input_tokens": 8191
  }
}"#;

#[test]
fn import_small_file() {
    let catalog = Catalog::from_litellm_json(SMALL_FILE).unwrap();
    assert_eq!(catalog.models().count(), 1);
    assert!(catalog.get("sample_spec").is_none());
    assert!(catalog.get("my-embedding").is_none());

    let record = catalog.get("my-model").unwrap();
    assert_eq!(record.vendor, "openai");
    assert_eq!(record.context_window, 128_000);
    assert_eq!(record.max_output_tokens, Some(16_384));
    assert_eq!(record.prices.input, decimal("0.0000025"));
    assert_eq!(record.prices.output, decimal("0.00001"));
    assert_eq!(record.prices.cached_read, Some(decimal("0.00000125")));
    let tier = record.prices.long_context.as_ref().unwrap();
    assert_eq!(tier.above_input_tokens, 200_000);
    assert_eq!(tier.input, decimal("0.000005"));
    assert_eq!(tier.output, decimal("0.00002"));
    let shutdown = record.shutdown.as_ref().unwrap();
    assert_eq!(shutdown.date, date(2027, 2, 1));
    assert_eq!(shutdown.source, "https://example.com/deprecations");
    assert_eq!(record.successor.as_deref(), Some("gpt-4o"));
}

#[test]
fn import_sanity_checks() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "negative price",
            r#""input_cost_per_token": -1e-06, "output_cost_per_token": 1e-05, "max_input_tokens": 128000"#,
            &["`input_cost_per_token`", "negative"],
        ),
        (
            "per-million price",
            r#""input_cost_per_token": 2.5, "output_cost_per_token": 1e-05, "max_input_tokens": 128000"#,
            &["above 0.001", "per million", "0.0000025"],
        ),
        (
            "output above limit",
            r#""input_cost_per_token": 1e-06, "output_cost_per_token": 0.002, "max_input_tokens": 128000"#,
            &["`output_cost_per_token`", "above 0.001"],
        ),
        (
            "cache price above limit",
            r#""input_cost_per_token": 1e-06, "output_cost_per_token": 1e-05, "cache_read_input_token_cost": 3, "max_input_tokens": 128000"#,
            &["`cache_read_input_token_cost`"],
        ),
        (
            "small context",
            r#""input_cost_per_token": 1e-06, "output_cost_per_token": 1e-05, "max_input_tokens": 999"#,
            &["999", "below 1000"],
        ),
        (
            "missing price",
            r#""output_cost_per_token": 1e-05, "max_input_tokens": 128000"#,
            &["missing `input_cost_per_token`"],
        ),
        (
            "missing context",
            r#""input_cost_per_token": 1e-06, "output_cost_per_token": 1e-05"#,
            &["missing `max_input_tokens`"],
        ),
        (
            "bad date",
            r#""input_cost_per_token": 1e-06, "output_cost_per_token": 1e-05, "max_input_tokens": 128000, "deprecation_date": "soon""#,
            &["`deprecation_date`"],
        ),
        (
            "string price",
            r#""input_cost_per_token": "0.000001", "output_cost_per_token": 1e-05, "max_input_tokens": 128000"#,
            &["must be a number"],
        ),
    ];
    for (name, fields, expected) in cases {
        let json = format!(
            r#"{{"ok-model": {{"litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 1e-06, "output_cost_per_token": 1e-05, "max_input_tokens": 128000}},
                "bad-model": {{"litellm_provider": "openai", "mode": "chat", {fields}}}}}"#
        );
        let error = Catalog::from_litellm_json(&json).unwrap_err();
        let Error::InvalidCatalog { entry, message } = &error else {
            panic!("{name}: {error}");
        };
        assert_eq!(entry, "bad-model", "{name}");
        for part in *expected {
            assert!(message.contains(part), "{name}: {message}");
        }
    }
}

#[test]
fn import_price_limit_inclusive() {
    let json = r#"{"edge": {"litellm_provider": "openai", "mode": "chat",
        "input_cost_per_token": 0.001, "output_cost_per_token": 0, "max_input_tokens": 1000}}"#;
    let catalog = Catalog::from_litellm_json(json).unwrap();
    assert_eq!(catalog.get("edge").unwrap().prices.input, decimal("0.001"));
}

#[test]
fn import_rejects_non_object() {
    for json in ["[]", "not json", r#"{"x": 3}"#] {
        let error = Catalog::from_litellm_json(json).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidCatalog, "{json}");
    }
}

#[test]
fn merge_overrides_single_entry() {
    let mut catalog = Catalog::builtin().clone();
    let before = catalog.models().count();
    let import = Catalog::from_litellm_json(
        r#"{"gpt-4o": {"litellm_provider": "openai", "mode": "chat",
            "input_cost_per_token": 2e-06, "output_cost_per_token": 8e-06, "max_input_tokens": 128000},
           "acme-llm": {"litellm_provider": "acme", "mode": "chat",
            "input_cost_per_token": 1e-07, "output_cost_per_token": 2e-07, "max_input_tokens": 32000}}"#,
    )
    .unwrap();
    catalog.merge(import);

    assert_eq!(catalog.models().count(), before + 1);
    let gpt_4o = catalog.get("gpt-4o").unwrap();
    assert_eq!(gpt_4o.prices.input, decimal("0.000002"));
    assert_eq!(gpt_4o.prices.output, decimal("0.000008"));

    // Fields the import lacks are kept from the built-in record.
    assert_eq!(gpt_4o.shutdown.as_ref().unwrap().date, date(2027, 1, 14));
    assert!(gpt_4o.parameters.is_some());
    assert_eq!(gpt_4o.encoding, Some(Encoding::O200kBase));

    // Other entries are untouched, and the new one resolves.
    let mini = catalog.get("gpt-4o-mini").unwrap();
    assert_eq!(mini.prices.input, decimal("0.00000015"));
    assert_eq!(catalog.get("acme-llm").unwrap().vendor, "acme");
    let resolution = catalog.resolve("acme-llm", &no_aliases()).unwrap();
    assert_eq!(resolution.model, "acme-llm");
}

#[test]
fn merge_import_shadows_catalog_alias() {
    let mut catalog = Catalog::builtin().clone();
    let import = Catalog::from_litellm_json(
        r#"{"claude-sonnet-4-5": {"litellm_provider": "anthropic", "mode": "chat",
            "input_cost_per_token": 1e-06, "output_cost_per_token": 5e-06, "max_input_tokens": 200000}}"#,
    )
    .unwrap();
    catalog.merge(import);
    let resolution = catalog.resolve("claude-sonnet-4-5", &no_aliases()).unwrap();
    assert_eq!(resolution.model, "claude-sonnet-4-5");
    let record = catalog.get("claude-sonnet-4-5").unwrap();
    assert_eq!(record.prices.input, decimal("0.000001"));
}

#[test]
fn import_matches_builtin_prices() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/data/catalog/litellm-model-prices-1.110.2.json"
    );
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|error| panic!("reference data {path} is missing: {error}"));

    // Import a few entries of the reference file and compare them with the
    // generated catalog: both paths must give the same exact decimals.
    let root: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut subset = serde_json::Map::new();
    let ids = [
        "gpt-4o",
        "claude-sonnet-4-5-20250929",
        "gemini/gemini-2.5-pro",
        "mistral/mistral-large-latest",
        "azure/gpt-4o",
        "anthropic.claude-3-5-sonnet-20240620-v1:0",
    ];
    for id in ids {
        subset.insert(id.to_string(), root[id].clone());
    }
    let imported =
        Catalog::from_litellm_json(&serde_json::Value::Object(subset).to_string()).unwrap();
    assert_eq!(imported.models().count(), ids.len());
    for record in imported.models() {
        let builtin = Catalog::builtin().get(&record.id).unwrap();
        assert_eq!(record.prices, builtin.prices, "{}", record.id);
        assert_eq!(
            record.context_window, builtin.context_window,
            "{}",
            record.id
        );
        assert_eq!(record.encoding, builtin.encoding, "{}", record.id);
        assert_eq!(record.vendor, builtin.vendor, "{}", record.id);
    }
}
