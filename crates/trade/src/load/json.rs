//! Comtrade API JSON: `{"data": [ {...}, ... ]}` (or a bare array) with the current field
//! names. Values may be numbers, strings or null; they are read as text and then through
//! the same mapping as Comtrade Plus CSV, so the two cannot disagree.

use std::collections::HashMap;
use std::io::Read;

use super::{comtrade, Accumulator, Ctx, Format, LoadOptions, LoadReport, Row, Sink};
use crate::error::{Location, TradeError};

pub(crate) fn load<R: Read>(
    name: &str,
    body: R,
    opts: &LoadOptions,
    sink: Option<Sink<'_>>,
) -> Result<LoadReport, TradeError> {
    let value: serde_json::Value =
        serde_json::from_reader(body).map_err(|e| TradeError::Format {
            file: name.to_string(),
            message: format!("not valid JSON: {e}"),
        })?;
    let items = match &value {
        serde_json::Value::Array(a) => a,
        serde_json::Value::Object(o) => match o.get("data") {
            Some(serde_json::Value::Array(a)) => a,
            _ => {
                return Err(TradeError::Format {
                    file: name.to_string(),
                    message: "expected an object with a `data` array (Comtrade API response)"
                        .into(),
                })
            }
        },
        _ => {
            return Err(TradeError::Format {
                file: name.to_string(),
                message: "expected a JSON object or array".into(),
            })
        }
    };
    let ctx = Ctx::new(name, opts);
    let mut acc = Accumulator::new(name, Format::ComtradeJson, opts, sink);
    for (i, item) in items.iter().enumerate() {
        let at = Location::Record(i as u64 + 1);
        let outcome = match item.as_object() {
            None => Err(("(record)".to_string(), "not a JSON object".to_string())),
            Some(obj) => {
                let map: HashMap<String, String> = obj
                    .iter()
                    .filter_map(|(k, v)| {
                        let text = match v {
                            serde_json::Value::Null => return None,
                            serde_json::Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        Some((k.clone(), text))
                    })
                    .collect();
                match comtrade::plus_row(&Row::Json(&map), &ctx) {
                    Ok(cells) => Ok(cells.to_record()?),
                    Err(e) => Err(e),
                }
            }
        };
        acc.push(at, outcome)?;
    }
    acc.finish()
}
