//! Grid zones: country grid intensity, Google Cloud region intensity, and the
//! AWS and Azure region-to-country table, parsed once from the CSV files in
//! `core/data/energy/`.

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::error::{Error, Result};

use super::Zone;

/// Country rows: ISO 3166 alpha-3 (plus `WOR`), lifecycle gCO2e/kWh, off-site L/kWh.
/// Our World in Data (CC BY 4.0) as packaged in ecologits 0.11.3 (MPL-2.0).
const COUNTRY_CSV: &str = include_str!("../../data/energy/country-grid-intensity.csv");

/// Google Cloud regions with their 2025 location-based grid intensity, from
/// GoogleCloudPlatform/region-carbon-info `data/yearly/2025.csv` (Apache-2.0),
/// with the ISO 3166 alpha-3 code of each region's location added.
const GOOGLE_CSV: &str = include_str!("../../data/energy/google-cloud-regions.csv");

/// AWS and Azure regions with the country of their published location.
const CLOUD_CSV: &str = include_str!("../../data/energy/cloud-regions.csv");

/// The zone code of the world average.
pub(crate) const WORLD: &str = "WOR";

/// One country's grid figures.
#[derive(Debug, Clone, Copy)]
struct Country {
    gco2e_per_kwh: f64,
    water_l_per_kwh: f64,
}

/// A cloud region's country, and its own grid intensity when the cloud publishes one.
#[derive(Debug, Clone, Copy)]
struct Region {
    iso3: &'static str,
    gco2e_per_kwh: Option<f64>,
}

struct Tables {
    countries: HashMap<&'static str, Country>,
    regions: HashMap<&'static str, Region>,
}

static TABLES: LazyLock<Tables> = LazyLock::new(load_tables);

/// Parses the embedded tables. A malformed row is a build defect that the
/// tests in this module catch, so rows that fail to parse are skipped here
/// rather than panicking at run time.
fn load_tables() -> Tables {
    let mut countries = HashMap::new();
    for fields in rows(COUNTRY_CSV) {
        let (Some(code), Some(carbon), Some(water)) =
            (fields.first(), fields.get(1), fields.get(2))
        else {
            continue;
        };
        let (Ok(gco2e_per_kwh), Ok(water_l_per_kwh)) = (carbon.parse(), water.parse()) else {
            continue;
        };
        countries.insert(
            *code,
            Country {
                gco2e_per_kwh,
                water_l_per_kwh,
            },
        );
    }

    let mut regions = HashMap::new();
    for fields in rows(GOOGLE_CSV) {
        let (Some(region), Some(iso3), Some(carbon)) =
            (fields.first(), fields.get(2), fields.get(3))
        else {
            continue;
        };
        let Ok(gco2e_per_kwh) = carbon.parse() else {
            continue;
        };
        regions.insert(
            *region,
            Region {
                iso3,
                gco2e_per_kwh: Some(gco2e_per_kwh),
            },
        );
    }
    for fields in rows(CLOUD_CSV) {
        let (Some(region), Some(iso3)) = (fields.get(1), fields.get(3)) else {
            continue;
        };
        regions.insert(
            *region,
            Region {
                iso3,
                gco2e_per_kwh: None,
            },
        );
    }

    Tables { countries, regions }
}

/// Splits a CSV text without quoting into trimmed fields, skipping the header.
fn rows(text: &'static str) -> impl Iterator<Item = Vec<&'static str>> {
    text.lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty())
        .map(|line| line.split(',').map(str::trim).collect())
}

/// Resolves a region or country code; see [`super::zone`].
pub(crate) fn resolve(region: Option<&str>) -> Result<Zone> {
    let tables = &*TABLES;
    let Some(requested) = region else {
        return country_zone(tables, WORLD, None).ok_or_else(|| unknown_region(WORLD));
    };
    let trimmed = requested.trim();

    // An ISO 3166 alpha-3 code: three ASCII letters, matched case-insensitively.
    if trimmed.len() == 3 && trimmed.bytes().all(|b| b.is_ascii_alphabetic()) {
        let upper = trimmed.to_ascii_uppercase();
        if let Some(zone) = country_zone(tables, &upper, None) {
            return Ok(zone);
        }
    }

    // Cloud region names are lowercase in every vendor's documentation.
    let lower = trimmed.to_ascii_lowercase();
    if let Some(region) = tables.regions.get(lower.as_str()) {
        let country = tables.countries.get(region.iso3);
        if let Some(country) = country {
            return Ok(Zone {
                code: region.iso3.to_string(),
                gco2e_per_kwh: region.gco2e_per_kwh.unwrap_or(country.gco2e_per_kwh),
                water_l_per_kwh: country.water_l_per_kwh,
                region: Some(lower),
            });
        }
    }

    Err(unknown_region(requested))
}

fn country_zone(tables: &Tables, code: &str, region: Option<String>) -> Option<Zone> {
    let country = tables.countries.get(code)?;
    Some(Zone {
        code: code.to_string(),
        gco2e_per_kwh: country.gco2e_per_kwh,
        water_l_per_kwh: country.water_l_per_kwh,
        region,
    })
}

/// The maximum number of characters of a region quoted back in an error.
const MAX_QUOTED: usize = 64;

fn unknown_region(requested: &str) -> Error {
    let quoted: String = requested.chars().take(MAX_QUOTED).collect();
    let lower = quoted.trim().to_ascii_lowercase();

    // Suggest the closest known region or country code, when one is close.
    let tables = &*TABLES;
    let candidates = tables
        .regions
        .keys()
        .copied()
        .map(|name| (name, strsim::jaro_winkler(&lower, name)))
        .chain(tables.countries.keys().copied().map(|code| {
            (
                code,
                strsim::jaro_winkler(&lower.to_ascii_uppercase(), code),
            )
        }));
    let best = candidates
        .filter(|(_, score)| *score >= 0.85)
        .max_by(|a, b| a.1.total_cmp(&b.1).then_with(|| b.0.cmp(a.0)));
    let hint = match best {
        Some((name, _)) => format!(" Did you mean `{name}`?"),
        None => String::new(),
    };

    Error::invalid_policy(format!(
        "unknown energy region `{quoted}`.{hint} Set `[energy] region` to an ISO 3166 alpha-3 \
         country code (`USA`, `DEU`, `WOR` for the world average), a Google Cloud region \
         (`us-central1`, `europe-west4`), an AWS region (`us-east-1`, `eu-central-1`) or an \
         Azure region (`eastus`, `westeurope`); leave it unset for the world average"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_row_parses() {
        assert_eq!(rows(COUNTRY_CSV).count(), TABLES.countries.len());
        assert_eq!(
            rows(GOOGLE_CSV).count() + rows(CLOUD_CSV).count(),
            TABLES.regions.len()
        );
    }

    #[test]
    fn every_region_maps_to_a_known_country() {
        for (name, region) in &TABLES.regions {
            assert!(
                TABLES.countries.contains_key(region.iso3),
                "region `{name}` maps to `{}`, which has no country row",
                region.iso3
            );
        }
    }

    #[test]
    fn country_table_has_world_and_215_zones() {
        assert_eq!(TABLES.countries.len(), 215);
        assert!(TABLES.countries.contains_key(WORLD));
    }

    #[test]
    fn unknown_region_suggests_near_name() {
        let message = unknown_region("us-east-9").to_string();
        assert!(message.contains("`us-east-9`"), "{message}");
        assert!(message.contains("Did you mean `us-east-"), "{message}");
    }

    #[test]
    fn unknown_region_truncates_long_value() {
        let long = "x".repeat(1_000);
        let message = unknown_region(&long).to_string();
        assert!(message.len() < 600, "{}", message.len());
    }
}
