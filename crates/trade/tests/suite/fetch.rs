//! Comtrade API requests and answers, offline. `comtrade-api-v1-2017.json` is a hand-made
//! answer in the shape of the current API (`data/v1/get`, `includeDesc=true`): every field
//! of a v1 row, China–DPRK 2017, with fictitious values (not Comtrade figures).

use std::path::PathBuf;

use embargo_trade::fetch::{
    fetch, parse_years, requests, ApiRequest, ApiResponse, FetchSpec, KEY_HEADER,
};
use embargo_trade::{load_reader, Flow, LoadOptions, Period, TradeError};

fn answer_2017() -> Vec<u8> {
    let p =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/comtrade-api-v1-2017.json");
    std::fs::read(p).unwrap()
}

fn spec(years: &str, flows: Vec<Flow>) -> FetchSpec {
    FetchSpec {
        reporter: embargo_trade::fetch::comtrade_code("CN").unwrap(),
        partner: embargo_trade::fetch::comtrade_code("KP").unwrap(),
        years: parse_years(years).unwrap(),
        flows,
        cmd: "AG6".into(),
    }
}

#[test]
fn one_request_per_year_with_the_official_parameters() {
    let reqs = requests(&spec("2016-2019", vec![Flow::Import])).unwrap();
    assert_eq!(reqs.len(), 4);
    assert_eq!(
        reqs[0].url,
        "https://comtradeapi.un.org/data/v1/get/C/A/HS?reporterCode=156&partnerCode=408\
         &partner2Code=0&period=2016&flowCode=M&cmdCode=AG6&customsCode=C00&motCode=0\
         &breakdownMode=classic&includeDesc=true&maxRecords=100000&format=JSON"
    );
    assert_eq!(
        reqs.iter().map(|r| r.period).collect::<Vec<_>>(),
        vec![2016, 2017, 2018, 2019]
    );
    // The dry run prints this: the header's name, never a key.
    let json = serde_json::to_value(&reqs).unwrap();
    assert_eq!(json[3]["headers"][0], KEY_HEADER);
    assert_eq!(json[3]["method"], "GET");
    let both = requests(&spec("2017", vec![])).unwrap();
    assert!(both[0].url.contains("flowCode=M,X"));
}

#[test]
fn answers_are_read_by_the_comtrade_json_loader() {
    let reqs = requests(&spec("2016-2017", vec![])).unwrap();
    let mut asked = Vec::new();
    let got = fetch(&reqs, &mut |r: &ApiRequest| {
        asked.push(r.period);
        let body = if r.period == 2017 {
            answer_2017()
        } else {
            br#"{"elapsedTime":"0.1 secs","count":0,"data":[],"error":""}"#.to_vec()
        };
        Ok(ApiResponse { status: 200, body })
    })
    .unwrap();
    assert_eq!(asked, vec![2016, 2017]);
    assert_eq!(got.rows, vec![(2016, 0), (2017, 3)]);
    let ore = &got.records[0];
    assert_eq!((ore.reporter.as_str(), ore.partner.as_str()), ("CN", "KP"));
    assert_eq!(ore.flow, Flow::Import);
    assert_eq!(ore.period, Period::year(2017));
    assert_eq!(ore.hs.as_str(), "260111");
    assert_eq!(ore.hs_revision.as_deref(), Some("H5"));
    assert_eq!(ore.value_usd, 2_500_000.0);
    assert_eq!(ore.net_weight_kg, Some(50_000_000.0));
    assert_eq!(ore.source, "UN Comtrade API (2017)");
    assert!(ore.is_dprk_export());
    assert_eq!(got.records[1].hs.as_str(), "030749");
    assert_eq!(got.records[1].value_usd, 420_000.5);
    assert!(got.records[2].is_dprk_import());

    // The file written for `trade import` loads to the same rows.
    let text = serde_json::to_string(&got.to_json()).unwrap();
    let again = load_reader("fetched.json", text.as_bytes(), &LoadOptions::default()).unwrap();
    assert_eq!(again.records.len(), 3);
    assert_eq!(again.records[0].value_usd, ore.value_usd);
    assert_eq!(again.records[2].hs.as_str(), "271019");
}

#[test]
fn api_errors_name_the_request_and_the_message() {
    let reqs = requests(&spec("2017", vec![Flow::Import])).unwrap();
    let err = fetch(&reqs, &mut |_| {
        Ok(ApiResponse {
            status: 401,
            body: br#"{ "statusCode": 401, "message": "Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription." }"#.to_vec(),
        })
    })
    .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, TradeError::Format { .. }), "{msg}");
    assert!(msg.contains("HTTP 401: Access denied"), "{msg}");
    assert!(msg.contains("period=2017"), "{msg}");

    let err = fetch(&reqs, &mut |_| {
        Ok(ApiResponse {
            status: 200,
            body: br#"{"elapsedTime":"0 secs","count":0,"data":null,"error":"Bad request: invalid period"}"#.to_vec(),
        })
    })
    .unwrap_err();
    assert!(err.to_string().contains("invalid period"), "{err}");

    // A bad row in an answer is reported like a bad row in a file: record and field.
    let err = fetch(&reqs, &mut |_| {
        Ok(ApiResponse {
            status: 200,
            body: br#"{"data":[{"period":"2017","reporterISO":"CHN","partnerISO":"PRK","flowCode":"M","cmdCode":"2601","primaryValue":"lots"}]}"#.to_vec(),
        })
    })
    .unwrap_err();
    assert!(
        err.to_string().contains("record 1: field `primaryValue`"),
        "{err}"
    );
}
