//! Parsing request fields into the regime's types, with errors that name the field.

use crate::error::ApiError;
use chrono::NaiveDate;
use embargo_regime::{Country, Shipment};
use serde::Deserialize;

pub fn date(field: &str, value: &str) -> Result<NaiveDate, ApiError> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d").map_err(|e| {
        ApiError::invalid_field(
            field,
            format!("{field}: {value:?} is not a date YYYY-MM-DD ({e})"),
        )
    })
}

pub fn optional_date(field: &str, value: Option<&str>) -> Result<Option<NaiveDate>, ApiError> {
    value.map(|v| date(field, v)).transpose()
}

pub fn country(field: &str, value: &str) -> Result<Country, ApiError> {
    Country::parse(value).map_err(|e| ApiError::invalid_field(field, format!("{field}: {e}")))
}

/// One shipment to check, as JSON. Field names follow the CLI's batch CSV columns.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShipmentInput {
    /// Caller's own reference, echoed back.
    #[serde(default)]
    pub id: Option<String>,
    pub hs: String,
    pub origin: String,
    pub destination: String,
    #[serde(default)]
    pub via: Option<String>,
    pub date: String,
    #[serde(default)]
    pub quantity: Option<f64>,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub value_usd: Option<f64>,
}

impl ShipmentInput {
    /// The shipment, read by the regime's rules (as `embargo check` reads its flags).
    pub fn to_shipment(&self) -> Result<Shipment, ApiError> {
        embargo_regime::ShipmentInput {
            hs: &self.hs,
            origin: &self.origin,
            destination: &self.destination,
            via: self.via.as_deref(),
            date: &self.date,
            quantity: self.quantity,
            unit: self.unit.as_deref(),
            value_usd: self.value_usd,
        }
        .to_shipment()
        .map_err(|e| ApiError::invalid_field(e.field, e.to_string()))
    }
}

/// Refuse an empty batch or one over the configured length.
pub fn batch_len(len: usize, max: usize) -> Result<(), ApiError> {
    if len == 0 {
        return Err(ApiError::invalid_field(
            "items",
            "items: the batch is empty",
        ));
    }
    if len > max {
        return Err(ApiError::new(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            "batch_too_large",
            format!("items: {len} items, the limit is {max} per request"),
        )
        .with_field("items"));
    }
    Ok(())
}

/// A batch row's `id` as the caller sent it, for its result row, error rows included: a
/// string as is, any other JSON value (`42`, `true`) as its JSON text; none when absent
/// or null.
pub fn batch_id(raw: &serde_json::Value) -> Option<String> {
    match raw.get("id")? {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}
