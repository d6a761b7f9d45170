//! A shipment as a caller types it (command-line flags, a JSON body): text and numbers, read
//! into a [`Shipment`] by one set of rules, so the command line and the HTTP API check the
//! same shipment for the same input. (The batch file's rows are read from bytes by the
//! command line's block reader, for speed, to the same types.)

use chrono::NaiveDate;

use crate::check::Shipment;
use crate::country::Country;
use crate::hs::HsCode;
use crate::model::{Quantity, QuantityUnit};

/// The fields of a shipment as given; `via`, the quantity and the value are optional.
#[derive(Debug, Clone, Copy, Default)]
pub struct ShipmentInput<'a> {
    pub hs: &'a str,
    pub origin: &'a str,
    pub destination: &'a str,
    pub via: Option<&'a str>,
    /// YYYY-MM-DD.
    pub date: &'a str,
    pub quantity: Option<f64>,
    /// kg, t or bbl; required with `quantity`.
    pub unit: Option<&'a str>,
    pub value_usd: Option<f64>,
}

/// A field of a shipment that cannot be read, and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ShipmentFieldError {
    /// The input's field name: `hs`, `origin`, `destination`, `via`, `date`, `quantity`,
    /// `unit` or `value_usd`.
    pub field: &'static str,
    pub message: String,
}

fn field_error(field: &'static str, message: impl Into<String>) -> ShipmentFieldError {
    ShipmentFieldError {
        field,
        message: message.into(),
    }
}

fn country(field: &'static str, value: &str) -> Result<Country, ShipmentFieldError> {
    Country::parse(value).map_err(|e| field_error(field, e.to_string()))
}

fn non_negative(field: &'static str, value: f64) -> Result<f64, ShipmentFieldError> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(field_error(
            field,
            format!("{value} is not a non-negative number"),
        ))
    }
}

impl ShipmentInput<'_> {
    /// The shipment, or the first field that cannot be read. A quantity needs its unit and
    /// a unit its quantity: one without the other is refused, not dropped.
    pub fn to_shipment(&self) -> Result<Shipment, ShipmentFieldError> {
        let hs = HsCode::parse(self.hs).map_err(|e| field_error("hs", e.to_string()))?;
        let quantity = match (self.quantity, self.unit) {
            (None, None) => None,
            (Some(amount), Some(u)) => {
                let amount = non_negative("quantity", amount)?;
                let unit = QuantityUnit::parse(u).ok_or_else(|| {
                    field_error("unit", format!("{u:?} is not one of kg, t, bbl"))
                })?;
                Some(Quantity { amount, unit })
            }
            (Some(_), None) => {
                return Err(field_error("unit", "required with quantity (kg, t, bbl)"))
            }
            (None, Some(_)) => return Err(field_error("quantity", "required with unit")),
        };
        let value_usd = self
            .value_usd
            .map(|v| non_negative("value_usd", v))
            .transpose()?;
        let date = NaiveDate::parse_from_str(self.date.trim(), "%Y-%m-%d").map_err(|e| {
            field_error(
                "date",
                format!("{:?} is not a date YYYY-MM-DD ({e})", self.date),
            )
        })?;
        Ok(Shipment {
            hs,
            origin: country("origin", self.origin)?,
            destination: country("destination", self.destination)?,
            via: self.via.map(|v| country("via", v)).transpose()?,
            date,
            quantity,
            value_usd,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coal<'a>() -> ShipmentInput<'a> {
        ShipmentInput {
            hs: "2701",
            origin: "KP",
            destination: "CN",
            date: "2017-09-15",
            ..ShipmentInput::default()
        }
    }

    #[test]
    fn a_whole_shipment_reads() {
        let s = ShipmentInput {
            via: Some("ru"),
            quantity: Some(10.0),
            unit: Some("t"),
            value_usd: Some(900.0),
            ..coal()
        }
        .to_shipment()
        .expect("a valid shipment");
        assert_eq!(s.hs.to_string(), "2701");
        assert_eq!(s.via.map(|c| c.to_string()).as_deref(), Some("RU"));
        assert_eq!(s.quantity.map(|q| q.unit), Some(QuantityUnit::Tonnes));
    }

    #[test]
    fn each_bad_field_is_named() {
        let field = |i: ShipmentInput| i.to_shipment().map(|_| ()).map_err(|e| e.field);
        assert_eq!(
            field(ShipmentInput {
                hs: "27x",
                ..coal()
            }),
            Err("hs")
        );
        assert_eq!(
            field(ShipmentInput {
                origin: "XX",
                ..coal()
            }),
            Err("origin")
        );
        assert_eq!(
            field(ShipmentInput {
                date: "2017-13-01",
                ..coal()
            }),
            Err("date")
        );
        assert_eq!(
            field(ShipmentInput {
                quantity: Some(1.0),
                ..coal()
            }),
            Err("unit")
        );
        assert_eq!(
            field(ShipmentInput {
                unit: Some("t"),
                ..coal()
            }),
            Err("quantity")
        );
        assert_eq!(
            field(ShipmentInput {
                value_usd: Some(-1.0),
                ..coal()
            }),
            Err("value_usd")
        );
    }
}
