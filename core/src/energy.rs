//! Energy (Wh), carbon (gCO2e) and water (mL) per call.
//!
//! The method is a bottom-up estimate in the style of EcoLogits 0.11.3
//! (<https://ecologits.ai>): the model's weights decide how many 80 GB GPUs
//! serve it, EcoLogits' regression gives each GPU's energy per output token
//! from the active parameter count and the batch size, the
//! rest of the server is charged for its share of the generation time, and
//! the data center's PUE scales the result. Unlike EcoLogits and most
//! published methods, input tokens are counted too: prefill is compute-bound,
//! so it is charged by its floating-point operations at a realistic GPU
//! utilization. docs/energy.md derives every constant and compares the
//! results with EcoLogits and with published per-prompt figures.
//!
//! ```
//! use ingate::energy::{self, EnergyConfig};
//!
//! let config = EnergyConfig { region: Some("eu-west-1".into()), pue: 1.2 };
//! let zone = config.zone().unwrap();
//! assert_eq!(zone.code, "IRL");
//! ```

mod parameters;
mod zones;

use serde::{Deserialize, Serialize};

use crate::catalog::ModelRecord;
use crate::error::{Error, Result};

pub use parameters::SizeClass;

/// The version of the estimation method; it changes whenever a constant or formula does.
pub const METHOD_VERSION: &str = "ingate-energy/1";

/// A figure with its uncertainty range.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Estimate {
    /// Lower bound.
    pub low: f64,
    /// Central value.
    pub value: f64,
    /// Upper bound.
    pub high: f64,
}

impl Estimate {
    /// Multiplies every bound by `factor`.
    fn scale(self, factor: f64) -> Estimate {
        Estimate {
            low: self.low * factor,
            value: self.value * factor,
            high: self.high * factor,
        }
    }
}

/// The energy, carbon and water estimate of one call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Energy {
    /// Energy at the facility meter (IT energy times PUE), in watt-hours.
    pub wh: Estimate,
    /// Location-based carbon of that energy, in grams of CO2 equivalent.
    /// Embodied emissions of the hardware are not included.
    pub co2e_g: Estimate,
    /// Off-site water (used to generate the electricity), in millilitres.
    /// On-site cooling water is not included.
    pub water_ml: Estimate,
    /// The grid zone used: an ISO 3166 alpha-3 code, or `WOR` for the world average.
    pub zone: String,
    /// `true`: carbon uses the zone's average grid intensity, not market instruments.
    pub location_based: bool,
    /// `true` when the catalog had no parameter counts for the model, so the
    /// estimate used a count read from the model id or a wide default range
    /// for its size class.
    pub parameters_assumed: bool,
    /// The method version, [`METHOD_VERSION`].
    pub method: String,
}

/// The `[energy]` table of a policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EnergyConfig {
    /// A cloud region (`us-east-1`, `europe-west4`, ...) or an ISO 3166 alpha-3 country code.
    pub region: Option<String>,
    /// Power usage effectiveness of the data center.
    pub pue: f64,
}

impl Default for EnergyConfig {
    fn default() -> EnergyConfig {
        EnergyConfig {
            region: None,
            pue: DEFAULT_PUE,
        }
    }
}

impl EnergyConfig {
    /// Validates the PUE and resolves the region to a grid zone.
    ///
    /// Errors name the invalid value and the accepted forms.
    pub fn zone(&self) -> Result<Zone> {
        validate_pue(self.pue)?;
        zone(self.region.as_deref())
    }
}

/// The default PUE, 1.2: the data center multiplier that Epoch AI's GPT-4o
/// estimate uses (it cites SemiAnalysis for 1.1 to 1.3 in AI data centers).
pub const DEFAULT_PUE: f64 = 1.2;

/// The accepted PUE range. A PUE of 1.0 means no overhead at all, and 3.0 is
/// far above any facility that hosts model inference.
pub const PUE_RANGE: (f64, f64) = (1.0, 3.0);

/// Checks that a PUE is a number in [`PUE_RANGE`].
pub fn validate_pue(pue: f64) -> Result<()> {
    if pue.is_finite() && (PUE_RANGE.0..=PUE_RANGE.1).contains(&pue) {
        return Ok(());
    }
    Err(Error::invalid_policy(format!(
        "`[energy] pue` is {pue}, outside {} to {}: set it to the data center's power usage \
         effectiveness (hyperscale clouds report about 1.1; the default is {DEFAULT_PUE})",
        PUE_RANGE.0, PUE_RANGE.1
    )))
}

/// A grid zone resolved from a region name.
#[derive(Debug, Clone, PartialEq)]
pub struct Zone {
    /// ISO 3166 alpha-3 code or `WOR`.
    pub code: String,
    /// Grid carbon intensity in gCO2e/kWh.
    pub gco2e_per_kwh: f64,
    /// Off-site water intensity in L/kWh.
    pub water_l_per_kwh: f64,
    /// The cloud region the zone was resolved from, lowercased, when it was one.
    /// Google Cloud regions carry their own grid intensity; AWS and Azure
    /// regions use their country's.
    pub region: Option<String>,
}

/// Resolves a cloud region or country code to a grid zone; `None` gives the world average.
///
/// Accepted: ISO 3166 alpha-3 codes in any case (`USA`, `deu`, `WOR`), Google
/// Cloud regions (`us-central1`), AWS regions (`us-east-1`) and Azure regions
/// (`westeurope`). Anything else is an [`Error::InvalidPolicy`] that names the
/// value, suggests the closest known name and lists the accepted forms.
pub fn zone(region: Option<&str>) -> Result<Zone> {
    zones::resolve(region)
}

/// Returns the size class that a model id's tier word suggests, as used for
/// models without parameter counts.
pub fn size_class(model_id: &str) -> SizeClass {
    parameters::size_class(model_id)
}

/// Estimates one call's energy, carbon and water.
///
/// `pue` should come from a validated [`EnergyConfig`]; a value outside
/// [`PUE_RANGE`] is replaced by [`DEFAULT_PUE`] so that the estimate never
/// fails after the call has happened.
pub fn estimate(
    model: &ModelRecord,
    input_tokens: u64,
    output_tokens: u64,
    zone: &Zone,
    pue: f64,
) -> Energy {
    let pue = if validate_pue(pue).is_ok() {
        pue
    } else {
        tracing::debug!(pue, "invalid PUE replaced by the default");
        DEFAULT_PUE
    };
    let sizes = parameters::sizes(model);
    let it_wh = it_energy_wh(&sizes, input_tokens as f64, output_tokens as f64);
    let wh = it_wh.scale(pue);

    Energy {
        wh,
        co2e_g: wh.scale(zone.gco2e_per_kwh / 1000.0),
        // L/kWh equals mL/Wh.
        water_ml: wh.scale(zone.water_l_per_kwh),
        zone: zone.code.clone(),
        location_based: true,
        parameters_assumed: sizes.assumed,
        method: METHOD_VERSION.to_string(),
    }
}

// Decode constants: EcoLogits 0.11.3 `data/hardware_defaults.json` (MPL-2.0),
// whose two regressions EcoLogits fitted on inference benchmarks of open models.

/// GPU energy per output token, Wh: `ALPHA * exp(BETA * batch) * active_billions + GAMMA`.
const GPU_ENERGY_ALPHA: f64 = 1.166_527_317_045_191_4e-6;
const GPU_ENERGY_BETA: f64 = -0.011_205_921_025_579_175;
const GPU_ENERGY_GAMMA: f64 = 4.052_928_146_734_005e-5;

/// Generation latency per output token, s: `ALPHA * active_billions + BETA * batch + GAMMA`.
const LATENCY_ALPHA: f64 = 6.785_088_094_353_663e-4;
const LATENCY_BETA: f64 = 3.119_310_311_688_259e-4;
const LATENCY_GAMMA: f64 = 0.019_473_717_579_473_387;

/// Bytes per weight (16-bit), the memory overhead over the weights (KV cache,
/// activations), and the memory of one H100 in GB.
const BYTES_PER_PARAMETER: f64 = 2.0;
const MEMORY_OVERHEAD: f64 = 1.2;
const GPU_MEMORY_GB: f64 = 80.0;

/// An 8-GPU server draws this much power besides its GPUs, in kW.
const SERVER_GPUS: f64 = 8.0;
const SERVER_POWER_KW: f64 = 1.2;

/// Concurrent requests per server: EcoLogits assumes 64. The range (128 for
/// the low bound, 32 for the high bound) expresses that the batch size of a
/// vendor's deployment is unknown.
const BATCH_SIZE: Bounds = Bounds {
    low: 128.0,
    value: 64.0,
    high: 32.0,
};

// Prefill constants.

/// Dense BF16 peak of an H100 SXM, FLOP/s, as used by Epoch AI's estimate.
const GPU_PEAK_FLOPS: f64 = 989e12;

/// Model FLOPs utilization reached in prefill. Prefill multiplies whole
/// prompt matrices, so it runs compute-bound at a utilization several times
/// the 10 % that Epoch AI assumes for decoding.
const PREFILL_UTILIZATION: Bounds = Bounds {
    low: 0.6,
    value: 0.45,
    high: 0.3,
};

/// Power per GPU while prefilling, node share included, W: a DGX H100 is
/// rated 10.2 kW for 8 GPUs (1,275 W each), of which Epoch AI assumes 70 % is
/// drawn in operation.
const PREFILL_POWER_W: f64 = 1275.0 * 0.7;

/// Attention's share of prefill: a token at context position `t` costs
/// `t / ATTENTION_SCALE` times the dense FLOPs of its weights. Attention adds
/// `4 * layers * width * t` FLOPs per token against `2 * 12 * layers * width^2`
/// for the weights, which is `t / (6 * width)`; a width of 8,192 gives 49,152.
const ATTENTION_SCALE: f64 = 6.0 * 8192.0;

const SECONDS_PER_HOUR: f64 = 3600.0;

/// The three settings of an uncertain constant: the one used for the low
/// bound, the central value, and the one used for the high bound.
#[derive(Debug, Clone, Copy)]
struct Bounds {
    low: f64,
    value: f64,
    high: f64,
}

/// One point of the estimate: parameter counts and serving assumptions.
#[derive(Debug, Clone, Copy)]
struct Scenario {
    total_billions: f64,
    active_billions: f64,
    batch_size: f64,
    prefill_utilization: f64,
}

/// IT energy (before PUE) at the low, central and high scenario, in Wh.
fn it_energy_wh(sizes: &parameters::Sizes, input: f64, output: f64) -> Estimate {
    let low = Scenario {
        total_billions: sizes.total.min,
        active_billions: sizes.active.min,
        batch_size: BATCH_SIZE.low,
        prefill_utilization: PREFILL_UTILIZATION.low,
    };
    let central = Scenario {
        total_billions: sizes.central_total,
        active_billions: sizes.central_active,
        batch_size: BATCH_SIZE.value,
        prefill_utilization: PREFILL_UTILIZATION.value,
    };
    let high = Scenario {
        total_billions: sizes.total.max,
        active_billions: sizes.active.max,
        batch_size: BATCH_SIZE.high,
        prefill_utilization: PREFILL_UTILIZATION.high,
    };

    // Every term grows with the parameter counts and falls with batch size and
    // utilization, so the scenarios are already in order. Sorting keeps the
    // order for odd inputs too, such as a total count below the active one.
    let mut values = [
        scenario_wh(&low, input, output),
        scenario_wh(&central, input, output),
        scenario_wh(&high, input, output),
    ];
    values.sort_by(f64::total_cmp);
    Estimate {
        low: values[0],
        value: values[1],
        high: values[2],
    }
}

fn scenario_wh(scenario: &Scenario, input: f64, output: f64) -> f64 {
    decode_wh(scenario, output) + prefill_wh(scenario, input)
}

/// Returns the number of 80 GB GPUs that hold the weights, rounded up to a power of two.
fn gpu_count(total_billions: f64) -> f64 {
    let memory_gb = MEMORY_OVERHEAD * total_billions * BYTES_PER_PARAMETER;
    let gpus = (memory_gb / GPU_MEMORY_GB).ceil().max(1.0);
    gpus.log2().ceil().exp2()
}

/// Decode IT energy: every GPU that the weights occupy, plus the server's
/// share of the generation time, divided among the batch.
fn decode_wh(scenario: &Scenario, output: f64) -> f64 {
    if output <= 0.0 {
        return 0.0;
    }
    let gpus = gpu_count(scenario.total_billions);
    let batch = scenario.batch_size;
    let active = scenario.active_billions;

    let gpu_wh_per_token =
        GPU_ENERGY_ALPHA * (GPU_ENERGY_BETA * batch).exp() * active + GPU_ENERGY_GAMMA;
    let gpu_wh = gpus * output * gpu_wh_per_token;

    let latency_s = output * (LATENCY_ALPHA * active + LATENCY_BETA * batch + LATENCY_GAMMA);
    let server_wh =
        latency_s / SECONDS_PER_HOUR * SERVER_POWER_KW * 1000.0 * (gpus / SERVER_GPUS) / batch;

    gpu_wh + server_wh
}

/// Prefill IT energy: the prompt's FLOPs at the prefill utilization, charged at
/// the per-GPU node power.
fn prefill_wh(scenario: &Scenario, input: f64) -> f64 {
    if input <= 0.0 {
        return 0.0;
    }

    // The average token attends to half the prompt.
    let attention = 1.0 + input / (2.0 * ATTENTION_SCALE);
    let flops = 2.0 * scenario.active_billions * 1e9 * input * attention;
    let gpu_seconds = flops / (GPU_PEAK_FLOPS * scenario.prefill_utilization);
    gpu_seconds * PREFILL_POWER_W / SECONDS_PER_HOUR
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gpu_count_rounds_to_power_of_two() {
        let cases = [
            (8.0, 1.0),
            (35.0, 2.0),
            (70.55, 4.0),
            (405.85, 16.0),
            (440.0, 16.0),
            (675.0, 32.0),
            (2000.0, 64.0),
            (0.001, 1.0),
        ];
        for (billions, gpus) in cases {
            assert_eq!(gpu_count(billions), gpus, "{billions}B");
        }
    }

    #[test]
    fn decode_matches_ecologits_for_dense_8b() {
        // EcoLogits 0.11.3 gives 8.28714e-6 kWh for Meta-Llama-3.1-8B-Instruct,
        // 100 output tokens, PUE 1.09 to 1.14 (1.115 at the midpoint).
        let scenario = Scenario {
            total_billions: 8.03,
            active_billions: 8.03,
            batch_size: BATCH_SIZE.value,
            prefill_utilization: PREFILL_UTILIZATION.value,
        };
        let wh = decode_wh(&scenario, 100.0) * 1.115;
        assert!((wh - 8.28714e-3).abs() < 1e-6, "{wh}");
    }

    #[test]
    fn prefill_grows_faster_than_linear() {
        let scenario = Scenario {
            total_billions: 440.0,
            active_billions: 88.0,
            batch_size: BATCH_SIZE.value,
            prefill_utilization: PREFILL_UTILIZATION.value,
        };
        let short = prefill_wh(&scenario, 10_000.0);
        let long = prefill_wh(&scenario, 100_000.0);
        assert!(long > 10.0 * short, "{short} {long}");
    }

    #[test]
    fn invalid_pue_is_rejected() {
        for pue in [0.9, 3.5, f64::NAN, f64::INFINITY] {
            assert!(validate_pue(pue).is_err(), "{pue}");
        }
        assert!(validate_pue(1.0).is_ok());
        assert!(validate_pue(1.2).is_ok());
    }
}
