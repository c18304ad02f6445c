//! Energy (Wh), carbon (gCO2e) and water (mL) per call.
//!
//! INTERFACE STUB: the types and signatures below are the contract the rest of
//! the crate is written against. The implementation replaces the bodies.

use serde::{Deserialize, Serialize};

use crate::catalog::ModelRecord;
use crate::error::Result;

/// The version of the estimation method; it changes whenever a constant or formula does.
pub const METHOD_VERSION: &str = "ingate-energy/0";

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

/// The energy, carbon and water estimate of one call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Energy {
    /// Energy at the facility meter, in watt-hours.
    pub wh: Estimate,
    /// Location-based carbon, in grams of CO2 equivalent.
    pub co2e_g: Estimate,
    /// Water, in millilitres.
    pub water_ml: Estimate,
    /// The grid zone used: an ISO 3166 alpha-3 code, or `WOR` for the world average.
    pub zone: String,
    /// `true`: carbon uses the zone's average grid intensity, not market instruments.
    pub location_based: bool,
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
            pue: 1.2,
        }
    }
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
}

/// Resolves a cloud region or country code to a grid zone; `None` gives the world average.
pub fn zone(_region: Option<&str>) -> Result<Zone> {
    unimplemented!("energy::zone")
}

/// Estimates one call's energy, carbon and water.
pub fn estimate(
    _model: &ModelRecord,
    _input_tokens: u64,
    _output_tokens: u64,
    _zone: &Zone,
    _pue: f64,
) -> Energy {
    unimplemented!("energy::estimate")
}
