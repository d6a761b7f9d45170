//! Parsing request fields into the regime's types, with errors that name the field.

use crate::error::ApiError;
use chrono::NaiveDate;
use embargo_regime::{Country, HsCode, Quantity, QuantityUnit, Shipment};
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
    pub fn to_shipment(&self) -> Result<Shipment, ApiError> {
        let hs = HsCode::parse(&self.hs)
            .map_err(|e| ApiError::invalid_field("hs", format!("hs: {e}")))?;
        let quantity = match (self.quantity, self.unit.as_deref()) {
            (None, None) => None,
            (Some(amount), Some(u)) => {
                if !amount.is_finite() || amount < 0.0 {
                    return Err(ApiError::invalid_field(
                        "quantity",
                        format!("quantity: {amount} is not a non-negative number"),
                    ));
                }
                let unit = QuantityUnit::parse(u).ok_or_else(|| {
                    ApiError::invalid_field("unit", format!("unit: {u:?} is not one of kg, t, bbl"))
                })?;
                Some(Quantity { amount, unit })
            }
            (Some(_), None) => {
                return Err(ApiError::invalid_field(
                    "unit",
                    "unit: required with quantity (kg, t, bbl)",
                ))
            }
            (None, Some(_)) => {
                return Err(ApiError::invalid_field(
                    "quantity",
                    "quantity: required with unit",
                ))
            }
        };
        if let Some(v) = self.value_usd {
            if !v.is_finite() || v < 0.0 {
                return Err(ApiError::invalid_field(
                    "value_usd",
                    format!("value_usd: {v} is not a non-negative number"),
                ));
            }
        }
        Ok(Shipment {
            hs,
            origin: country("origin", &self.origin)?,
            destination: country("destination", &self.destination)?,
            via: self.via.as_deref().map(|v| country("via", v)).transpose()?,
            date: date("date", &self.date)?,
            quantity,
            value_usd: self.value_usd,
        })
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
