//! Requests to the UN Comtrade API (`comtradeapi.un.org/data/v1/get/C/A/HS`: commodities,
//! annual, HS as reported) and the reading of its answers. This module makes no network
//! call: it builds the requests, and [`fetch`] takes the function that performs them, so
//! the whole path from request to records is tested offline. Answers are read by the
//! Comtrade JSON loader, like an imported API file.
//!
//! The subscription key is sent in the `Ocp-Apim-Subscription-Key` header, never in the
//! URL, so URLs can be printed and logged; [`ApiRequest`] does not hold the key.

use serde::Serialize;

use crate::error::TradeError;
use crate::load::{load_reader, LoadOptions};
use crate::record::{Flow, TradeRecord};

/// The endpoint: final data, commodities (C), annual (A), HS as reported.
pub const API_BASE: &str = "https://comtradeapi.un.org/data/v1/get/C/A/HS";
/// The header carrying the subscription key.
pub const KEY_HEADER: &str = "Ocp-Apim-Subscription-Key";
/// The environment variable the command line reads the key from.
pub const KEY_ENV: &str = "COMTRADE_API_KEY";
/// Rows asked for per request (the API's default is 500; 100,000 is the free tier's
/// limit). An answer with this many rows may be cut short; [`fetch`] then fails rather
/// than return a partial year.
pub const MAX_RECORDS: u64 = 100_000;

/// Comtrade's numeric codes for the countries embargo reads most. Comtrade's codes are
/// M49 codes, which differ from ISO 3166 numeric for a few reporters (USA 842, not 840;
/// France 251; India 699; Switzerland 757; Norway 579). Other countries: give the code.
const CODES: &[(&str, u32)] = &[
    ("WLD", 0),
    ("AU", 36),
    ("BR", 76),
    ("CA", 124),
    ("CH", 757),
    ("CN", 156),
    ("DE", 276),
    ("FR", 251),
    ("GB", 826),
    ("HK", 344),
    ("IN", 699),
    ("JP", 392),
    ("KP", 408),
    ("KR", 410),
    ("MN", 496),
    ("MO", 446),
    ("NL", 528),
    ("NO", 579),
    ("RU", 643),
    ("SG", 702),
    ("TH", 764),
    ("US", 842),
    ("VN", 704),
];

/// Comtrade's numeric code for a country given as a numeric code, ISO alpha-2 or alpha-3
/// (`CN`, `CHN`, `156`), or `WLD`/`W00`/`0` for all partners.
pub fn comtrade_code(code: &str) -> Result<u32, TradeError> {
    let c = code.trim();
    if !c.is_empty() && c.bytes().all(|b| b.is_ascii_digit()) {
        return c
            .parse()
            .map_err(|_| TradeError::Query(format!("`{c}` is not a Comtrade country code")));
    }
    let iso = crate::country::normalise(c);
    CODES
        .iter()
        .find(|(k, _)| *k == iso)
        .map(|(_, n)| *n)
        .ok_or_else(|| {
            TradeError::Query(format!(
                "no Comtrade code known for `{c}`: give Comtrade's numeric code instead \
                 (e.g. 156 for China; the list is comtradeapi.un.org/files/v1/app/reference/Reporters.json)"
            ))
        })
}

/// Years as `2016`, `2016-2019` or `2016,2018` (and mixes: `2012-2014,2017`).
pub fn parse_years(s: &str) -> Result<Vec<i32>, TradeError> {
    let bad = || {
        TradeError::Query(format!(
            "`{s}`: expected years like 2016, 2016-2019 or 2016,2018"
        ))
    };
    let year = |t: &str| {
        t.trim()
            .parse::<i32>()
            .ok()
            .filter(|y| (1962..=2100).contains(y))
            .ok_or_else(bad)
    };
    let mut out = Vec::new();
    for part in s.split(',') {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (year(a)?, year(b)?);
                if a > b || b - a > 60 {
                    return Err(bad());
                }
                out.extend(a..=b);
            }
            None => out.push(year(part)?),
        }
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// What to ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchSpec {
    /// Comtrade numeric codes (see [`comtrade_code`]).
    pub reporter: u32,
    pub partner: u32,
    pub years: Vec<i32>,
    /// Flows as the reporter declares them; empty for imports and exports.
    pub flows: Vec<Flow>,
    /// Commodity codes: `AG6` (every HS6 code, the default), `AG2`, `TOTAL`, or codes
    /// separated by commas.
    pub cmd: String,
}

/// One GET request. It holds no key: the key travels in [`KEY_HEADER`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiRequest {
    pub method: &'static str,
    pub url: String,
    /// The year asked for (one request per year keeps each answer under the row limit).
    pub period: i32,
    /// Header names the request carries; values are not shown (the key is secret).
    pub headers: Vec<&'static str>,
}

fn flow_code(f: Flow) -> &'static str {
    match f {
        Flow::Import => "M",
        Flow::Export => "X",
        Flow::ReExport => "RX",
        Flow::ReImport => "RM",
    }
}

/// The requests for a spec: one per year.
pub fn requests(spec: &FetchSpec) -> Result<Vec<ApiRequest>, TradeError> {
    requests_at(API_BASE, spec)
}

/// [`requests`] against another endpoint with the same interface (a test server).
pub fn requests_at(base: &str, spec: &FetchSpec) -> Result<Vec<ApiRequest>, TradeError> {
    if spec.years.is_empty() {
        return Err(TradeError::Query("no year to fetch".into()));
    }
    let cmd = spec.cmd.trim().to_ascii_uppercase();
    let cmd_ok = !cmd.is_empty()
        && cmd.split(',').all(|c| {
            matches!(c, "TOTAL" | "AG2" | "AG4" | "AG6" | "ALL")
                || (matches!(c.len(), 2 | 4 | 6) && c.bytes().all(|b| b.is_ascii_digit()))
        });
    if !cmd_ok {
        return Err(TradeError::Query(format!(
            "`{}`: expected AG6, AG4, AG2, TOTAL or HS codes separated by commas",
            spec.cmd
        )));
    }
    let flows = if spec.flows.is_empty() {
        "M,X".to_string()
    } else {
        spec.flows
            .iter()
            .map(|f| flow_code(*f))
            .collect::<Vec<_>>()
            .join(",")
    };
    Ok(spec
        .years
        .iter()
        .map(|&year| ApiRequest {
            method: "GET",
            url: format!(
                "{base}?reporterCode={}&partnerCode={}&partner2Code=0&period={year}\
                 &flowCode={flows}&cmdCode={cmd}&customsCode=C00&motCode=0\
                 &breakdownMode=classic&includeDesc=true&maxRecords={MAX_RECORDS}&format=JSON",
                spec.reporter, spec.partner
            ),
            period: year,
            headers: vec![KEY_HEADER],
        })
        .collect())
}

/// An answer: HTTP status and body.
pub struct ApiResponse {
    pub status: u16,
    pub body: Vec<u8>,
}

/// The outcome of a fetch: the rows, read by the Comtrade JSON loader, and the raw `data`
/// items, to be written as one `{"data": [...]}` file that `embargo trade import` reads.
#[derive(Debug, Clone, Serialize)]
pub struct Fetched {
    #[serde(skip)]
    pub records: Vec<TradeRecord>,
    #[serde(skip)]
    pub data: Vec<serde_json::Value>,
    /// Rows per request, in order.
    pub rows: Vec<(i32, usize)>,
}

impl Fetched {
    /// The combined answer in the API's own shape.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "count": self.data.len(), "data": self.data })
    }
}

/// Reads one answer: an API error (status other than 200, or `statusCode`/`error` in the
/// body) is an error naming the request; otherwise the `data` items and their records.
pub fn read_response(
    req: &ApiRequest,
    resp: &ApiResponse,
) -> Result<(Vec<serde_json::Value>, Vec<TradeRecord>), TradeError> {
    let name = format!("Comtrade API {}", req.url);
    let fail = |message: String| TradeError::Format {
        file: name.clone(),
        message,
    };
    let value: Option<serde_json::Value> = serde_json::from_slice(&resp.body).ok();
    let api_message = value.as_ref().and_then(|v| {
        let text = |k: &str| v.get(k).and_then(|m| m.as_str()).filter(|m| !m.is_empty());
        text("message")
            .or_else(|| text("error"))
            .map(str::to_string)
    });
    let api_status = value
        .as_ref()
        .and_then(|v| v.get("statusCode"))
        .and_then(|s| s.as_u64());
    if resp.status != 200 || api_status.is_some_and(|s| s != 200) {
        let status = api_status.map_or(resp.status as u64, |s| s);
        let detail = api_message.unwrap_or_else(|| {
            String::from_utf8_lossy(&resp.body)
                .chars()
                .take(200)
                .collect()
        });
        return Err(fail(format!("HTTP {status}: {detail}")));
    }
    let Some(value) = value else {
        return Err(fail("the answer is not JSON".into()));
    };
    if let Some(m) = api_message {
        return Err(fail(format!("the API reports an error: {m}")));
    }
    let data = match value.get("data") {
        Some(serde_json::Value::Array(a)) => a.clone(),
        _ => return Err(fail("the answer has no `data` array".into())),
    };
    if data.len() as u64 >= MAX_RECORDS {
        return Err(fail(format!(
            "{} rows: the answer may be cut at maxRecords; ask for fewer codes (--cmd AG4)",
            data.len()
        )));
    }
    let opts = LoadOptions {
        source: Some(format!("UN Comtrade API ({})", req.period)),
        ..Default::default()
    };
    let report = load_reader(&name, resp.body.as_slice(), &opts)?;
    Ok((data, report.records))
}

/// Runs the requests through `get` (which performs one GET with the key) and reads every
/// answer. The first failing request stops the fetch.
pub fn fetch(
    requests: &[ApiRequest],
    get: &mut dyn FnMut(&ApiRequest) -> Result<ApiResponse, TradeError>,
) -> Result<Fetched, TradeError> {
    let mut out = Fetched {
        records: Vec::new(),
        data: Vec::new(),
        rows: Vec::new(),
    };
    for req in requests {
        let resp = get(req)?;
        let (data, records) = read_response(req, &resp)?;
        out.rows.push((req.period, records.len()));
        out.data.extend(data);
        out.records.extend(records);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_years() {
        assert_eq!(comtrade_code("CN").unwrap(), 156);
        assert_eq!(comtrade_code("prk").unwrap(), 408);
        assert_eq!(comtrade_code("US").unwrap(), 842);
        assert_eq!(comtrade_code("W00").unwrap(), 0);
        assert_eq!(comtrade_code("490").unwrap(), 490);
        assert!(comtrade_code("ZZ").is_err());
        assert_eq!(
            parse_years("2016-2019").unwrap(),
            vec![2016, 2017, 2018, 2019]
        );
        assert_eq!(
            parse_years("2018,2016-2017").unwrap(),
            vec![2016, 2017, 2018]
        );
        assert!(parse_years("2019-2016").is_err());
        assert!(parse_years("16").is_err());
        assert!(parse_years("").is_err());
    }

    #[test]
    fn requests_carry_no_key_and_refuse_bad_codes() {
        let spec = FetchSpec {
            reporter: 156,
            partner: 408,
            years: vec![2017],
            flows: vec![Flow::Import, Flow::Export],
            cmd: "ag6".into(),
        };
        let r = requests(&spec).unwrap();
        assert_eq!(r.len(), 1);
        assert!(
            r[0].url.contains("flowCode=M,X&cmdCode=AG6"),
            "{}",
            r[0].url
        );
        assert!(!r[0].url.to_ascii_lowercase().contains("subscription"));
        let bad = FetchSpec {
            cmd: "27&x=1".into(),
            ..spec
        };
        assert!(requests(&bad).is_err());
    }
}
