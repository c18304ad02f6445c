//! Parameter ranges for the estimate: the catalog's counts when it has valid
//! ones, otherwise a count read from the model id (`llama-3.1-70b`), otherwise
//! a wide default range by size class.

use crate::catalog::{ModelRecord, ParamRange};

/// Total and active parameter ranges in billions, and whether they were assumed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Sizes {
    pub total: ParamRange,
    pub active: ParamRange,
    /// The total count of the central estimate, in billions.
    pub central_total: f64,
    /// The active count of the central estimate, in billions.
    pub central_active: f64,
    /// `true` when the counts did not come from the catalog.
    pub assumed: bool,
}

/// The size class of a model without parameter counts, read from its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizeClass {
    /// Names that vendors give their smallest tier (`mini`, `nano`, `lite`, `haiku`, ...).
    Small,
    /// Names that vendors give their largest tier (`opus`, `pro`, `large`, `ultra`).
    Large,
    /// Anything else: a flagship or mid tier of unknown size.
    Unknown,
}

/// Default ranges per class, in billions: (total, active).
///
/// Small spans EcoLogits 0.11.3's estimates for gpt-4o-mini, gemini-2.5-flash-lite
/// (8 to 28) and claude-haiku-4-5 (10 to 35), widened down to 3B. Large spans its
/// estimates for gpt-5 (300 total, 30 to 90 active), claude-opus-4-5 (670 total,
/// 67 to 200 active) and gemini-2.5-pro (2,000 total, 200 to 600 active).
/// Unknown spans small dense models up to the large MoE tier.
const SMALL: (ParamRange, ParamRange) = (range(3.0, 35.0), range(3.0, 35.0));
const LARGE: (ParamRange, ParamRange) = (range(300.0, 2000.0), range(30.0, 600.0));
const UNKNOWN: (ParamRange, ParamRange) = (range(8.0, 2000.0), range(8.0, 600.0));

const fn range(min: f64, max: f64) -> ParamRange {
    ParamRange { min, max }
}

/// Id words that mark a vendor's small tier, matched as whole words so that
/// `gemini` does not match `mini`.
const SMALL_MARKERS: &[&str] = &["mini", "nano", "lite", "haiku", "small", "tiny"];
/// Id words that mark a vendor's large tier.
const LARGE_MARKERS: &[&str] = &["opus", "pro", "large", "ultra"];

/// The characters that separate words in a model id.
const ID_SEPARATORS: [char; 7] = ['-', '_', '/', ':', '@', '.', ' '];

/// The largest count read from an id, in billions; a bigger number is a date or a version.
const MAX_ID_BILLIONS: f64 = 5_000.0;

/// Returns the parameter ranges to estimate `model` with.
pub(crate) fn sizes(model: &ModelRecord) -> Sizes {
    if let Some(parameters) = &model.parameters
        && let (Some(total), Some(active)) = (
            valid(parameters.total_billions),
            valid(parameters.active_billions),
        )
    {
        // A catalog range brackets one estimate, so its midpoint is the
        // central value, as in EcoLogits.
        return Sizes {
            total,
            active,
            central_total: (total.min + total.max) / 2.0,
            central_active: (active.min + active.max) / 2.0,
            assumed: false,
        };
    }

    if let Some((total, active)) = sizes_from_id(&model.id) {
        return Sizes {
            total: range(total, total),
            active: range(active, active),
            central_total: total,
            central_active: active,
            assumed: true,
        };
    }

    let (total, active) = match size_class(&model.id) {
        SizeClass::Small => SMALL,
        SizeClass::Large => LARGE,
        SizeClass::Unknown => UNKNOWN,
    };
    // A class range spans orders of magnitude, so the central value is its
    // geometric midpoint; the arithmetic one would sit near the top.
    Sizes {
        total,
        active,
        central_total: (total.min * total.max).sqrt(),
        central_active: (active.min * active.max).sqrt(),
        assumed: true,
    }
}

/// Returns the range with its bounds in order, or `None` when a bound is not a positive number.
fn valid(range: ParamRange) -> Option<ParamRange> {
    let ok = |x: f64| x.is_finite() && x > 0.0;
    if !ok(range.min) || !ok(range.max) {
        return None;
    }
    Some(ParamRange {
        min: range.min.min(range.max),
        max: range.min.max(range.max),
    })
}

/// Reads `70b` (total) and `a22b` (active, as in `qwen3-235b-a22b`) from an id.
/// Returns (total, active) in billions; active equals total when absent.
pub(crate) fn sizes_from_id(id: &str) -> Option<(f64, f64)> {
    let mut total = None;
    let mut active = None;
    // The dot is not a separator here, because counts such as `1.5b` contain one.
    for token in id.split(['-', '_', '/', ':', '@', ' ']) {
        let Some(number) = token.strip_suffix(['b', 'B']) else {
            continue;
        };
        let (slot, digits) = match number.strip_prefix(['a', 'A']) {
            Some(rest) => (&mut active, rest),
            None => (&mut total, number),
        };
        let Ok(billions) = digits.parse::<f64>() else {
            continue;
        };
        if billions > 0.0 && billions <= MAX_ID_BILLIONS && slot.is_none() {
            *slot = Some(billions);
        }
    }
    let total = total?;
    let active = active.filter(|a| *a <= total).unwrap_or(total);
    Some((total, active))
}

/// Returns the size class that a model id's tier name suggests.
pub(crate) fn size_class(id: &str) -> SizeClass {
    let has_word = |markers: &[&str]| {
        id.split(ID_SEPARATORS).any(|word| {
            markers
                .iter()
                .any(|marker| word.eq_ignore_ascii_case(marker))
        })
    };
    if has_word(SMALL_MARKERS) {
        SizeClass::Small
    } else if has_word(LARGE_MARKERS) {
        SizeClass::Large
    } else {
        SizeClass::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_counts_cases() {
        let cases: &[(&str, Option<(f64, f64)>)] = &[
            ("meta-llama/Meta-Llama-3.1-70B-Instruct", Some((70.0, 70.0))),
            ("gemma-2-9b-it", Some((9.0, 9.0))),
            ("qwen3-235b-a22b", Some((235.0, 22.0))),
            ("mixtral-8x7b", None),
            ("gpt-4o", None),
            ("claude-3-5-sonnet-20240620", None),
            ("llama-3.2-1.5b", Some((1.5, 1.5))),
        ];
        for (id, expected) in cases {
            assert_eq!(sizes_from_id(id), *expected, "{id}");
        }
    }

    #[test]
    fn size_class_cases() {
        let cases = [
            ("gpt-4o-mini", SizeClass::Small),
            ("claude-haiku-4-5", SizeClass::Small),
            ("gemini-2.5-flash-lite", SizeClass::Small),
            ("claude-opus-4-5", SizeClass::Large),
            ("gemini-2.5-pro", SizeClass::Large),
            ("mistral-large-latest", SizeClass::Large),
            ("gpt-4o", SizeClass::Unknown),
            ("gemini-2.5-flash", SizeClass::Unknown),
            ("o4-mini-2025-04-16", SizeClass::Small),
        ];
        for (id, expected) in cases {
            assert_eq!(size_class(id), expected, "{id}");
        }
    }

    #[test]
    fn invalid_range_is_rejected() {
        assert_eq!(valid(range(f64::NAN, 3.0)), None);
        assert_eq!(valid(range(0.0, 3.0)), None);
        assert_eq!(valid(range(9.0, 3.0)), Some(range(3.0, 9.0)));
    }
}
