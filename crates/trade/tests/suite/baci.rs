//! The CEPII BACI loader on hand-made fixtures in BACI's layout (tests/fixtures/baci; the
//! values are fictitious). Needs no store: `cargo test -p embargo-trade
//! --no-default-features --test suite baci::`.

use std::path::PathBuf;

use embargo_trade::{
    load_path, load_reader, stream_path, Flow, Format, Level, LoadOptions, Location, Period,
    Status, TradeError, TradeRecord,
};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/baci")
        .join(name)
}

const DATA: &str = "BACI_HS17_Y2019_V202401b.csv";
const COUNTRIES: &str = "country_codes_V202401b.csv";

fn rows() -> Vec<TradeRecord> {
    let r = load_path(&fixture(DATA), &LoadOptions::default()).unwrap();
    assert_eq!(r.format, Format::BaciCsv);
    assert_eq!((r.rows_read, r.loaded), (20, 20));
    assert!(r.skipped.is_empty());
    r.records
}

/// The row exporter → importer with product `hs`.
fn find<'a>(rows: &'a [TradeRecord], exporter: &str, importer: &str, hs: &str) -> &'a TradeRecord {
    rows.iter()
        .find(|r| r.partner == exporter && r.reporter == importer && r.hs.as_str() == hs)
        .unwrap_or_else(|| panic!("no row {exporter} -> {importer} {hs}"))
}

/// A BACI file in memory, resolved with the fixture's country file.
fn load_text(text: &str, max_bad_rows: usize) -> Result<embargo_trade::LoadReport, TradeError> {
    load_reader(
        DATA,
        text.as_bytes(),
        &LoadOptions {
            max_bad_rows,
            baci_countries: Some(fixture(COUNTRIES)),
            ..Default::default()
        },
    )
}

#[test]
fn dprk_export_is_read_from_the_importers_side() {
    let rows = rows();
    // i=408 (DPRK), j=156 (China), k=260111, v=1234.5 thousand USD, q=5000 t.
    let ore = find(&rows, "KP", "CN", "260111");
    assert_eq!((ore.reporter.as_str(), ore.partner.as_str()), ("CN", "KP"));
    assert_eq!(ore.flow, Flow::Import);
    assert_eq!(ore.period, Period::year(2019));
    assert_eq!(ore.hs.single_code(), Some("260111"));
    assert_eq!(ore.level, Level::Hs);
    assert_eq!(ore.hs_revision.as_deref(), Some("H5"));
    assert_eq!(ore.value_usd, 1_234_500.0);
    assert_eq!(ore.net_weight_kg, Some(5_000_000.0));
    assert_eq!((ore.quantity, ore.quantity_unit.as_deref()), (None, None));
    assert_eq!(ore.series, "BACI");
    assert_eq!(ore.status, Status::Derived);
    assert_eq!(
        ore.source,
        "CEPII BACI HS17 V202401b (BACI_HS17_Y2019_V202401b.csv)"
    );
    assert!(
        ore.is_dprk_export(),
        "China's import from KP is a DPRK export"
    );
    assert!(!ore.is_dprk_import());
}

#[test]
fn dprk_import_has_the_dprk_as_reporter() {
    let rows = rows();
    // i=156, j=408: China's export to the DPRK, seen from the DPRK's side.
    let oil = find(&rows, "CN", "KP", "271019");
    assert_eq!(oil.flow, Flow::Import);
    assert!(oil.is_dprk_import());
    assert_eq!(oil.dprk_counterpart(), "CN");
    // Padded numbers: `   87.6`, `   120.25`.
    assert_eq!(oil.value_usd, 87_600.0);
    assert_eq!(oil.net_weight_kg, Some(120_250.0));
    let ru = find(&rows, "RU", "KP", "271019");
    assert_eq!(ru.value_usd, 33_300.0);
    assert_eq!(find(&rows, "CN", "KP", "310210").value_usd, 123.0);
}

#[test]
fn product_codes_keep_leading_zeros() {
    let rows = rows();
    let fish = find(&rows, "KP", "CN", "030749");
    assert_eq!(fish.hs.truncated(2), Some("03"));
    assert_eq!(fish.value_usd, 12_345.0);
    assert_eq!(fish.net_weight_kg, None, "q = NA");
    assert_eq!(find(&rows, "KP", "RU", "010121").value_usd, 750.0);
    // `90111` lost its leading zero: read as 090111 (coffee), q blank.
    let coffee = find(&rows, "KP", "CN", "090111");
    assert_eq!(coffee.value_usd, 3_200.0);
    assert_eq!(coffee.net_weight_kg, None);
    assert!(rows.iter().all(|r| r.hs.as_str().len() == 6));
    // Padded `   250.000`, `    10.500`.
    let suits = find(&rows, "KP", "CN", "620342");
    assert_eq!(
        (suits.value_usd, suits.net_weight_kg),
        (250_000.0, Some(10_500.0))
    );
}

#[test]
fn namibia_na_is_a_country_not_a_missing_value() {
    let rows = rows();
    let cars = find(&rows, "CN", "NA", "870899");
    assert_eq!(cars.value_usd, 12_000.0);
    assert_eq!(cars.net_weight_kg, None);
    assert_eq!(find(&rows, "NA", "CN", "260300").value_usd, 600_000.0);
}

#[test]
fn dprk_totals_over_the_fixture() {
    let rows = rows();
    let exports: f64 = rows
        .iter()
        .filter(|r| r.is_dprk_export())
        .map(|r| r.value_usd)
        .sum();
    // 1234.5 + 12.345 + 250 + 3.2 + 1.111 + 4.4 + 0.75 thousand USD.
    assert!((exports - 1_506_306.0).abs() < 1e-6, "{exports}");
    let imports = rows.iter().filter(|r| r.is_dprk_import()).count();
    assert_eq!(imports, 6);
}

#[test]
fn unknown_country_names_line_and_field() {
    let text = "t,i,j,k,v,q\n2019,408,156,260111,1,1\n2019,408,999,260111,1,1\n";
    match load_text(text, 0).unwrap_err() {
        TradeError::Field {
            file,
            at,
            field,
            message,
        } => {
            assert_eq!(file, DATA);
            assert_eq!(at, Location::Line(3));
            assert_eq!(field, "j");
            assert!(message.contains("999"), "{message}");
            assert!(message.contains(COUNTRIES), "{message}");
        }
        other => panic!("expected a field error, got {other}"),
    }
}

#[test]
fn bad_rows_are_skipped_and_listed() {
    let text = "t,i,j,k,v,q\n\
                20x9,408,156,260111,1,1\n\
                2019,abc,156,260111,1,1\n\
                2019,408,156,2601,1,1\n\
                2019,408,156,260111,-5,1\n\
                2019,408,156,260111,1,heavy\n\
                2019,408,156,260111,2.5,NA\n";
    let r = load_text(text, 5).unwrap();
    assert_eq!((r.rows_read, r.loaded), (6, 1));
    let got: Vec<(Location, &str)> = r.skipped.iter().map(|s| (s.at, s.field.as_str())).collect();
    assert_eq!(
        got,
        vec![
            (Location::Line(2), "t"),
            (Location::Line(3), "i"),
            (Location::Line(4), "k"),
            (Location::Line(5), "v"),
            (Location::Line(6), "q"),
        ]
    );
    assert_eq!(r.records[0].value_usd, 2_500.0);
    // One bad row fewer allowed than present: the load fails, naming the first.
    let err = load_text(text, 4).unwrap_err();
    assert!(
        matches!(
            err,
            TradeError::TooManyBadRows {
                first_at: Location::Line(2),
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn missing_column_is_a_format_error() {
    let err = load_text("t,i,k,v,q\n2019,408,260111,1,1\n", 0).unwrap_err();
    assert!(err.to_string().contains("missing column `j`"), "{err}");
}

#[test]
fn streaming_gives_the_same_rows_in_chunks() {
    let mut chunks = Vec::new();
    let mut streamed = Vec::new();
    let report = stream_path(&fixture(DATA), &LoadOptions::default(), 6, &mut |c| {
        chunks.push(c.len());
        streamed.extend(c);
        Ok(())
    })
    .unwrap();
    assert_eq!(chunks, vec![6, 6, 6, 2]);
    assert_eq!(report.loaded, 20);
    assert!(report.records.is_empty());
    assert_eq!(streamed, rows());
}

#[test]
fn older_release_country_columns() {
    let r = load_path(
        &fixture("v202001/BACI_HS92_Y2005_V202001.csv"),
        &LoadOptions::default(),
    )
    .unwrap();
    assert_eq!(r.loaded, 3);
    let ore = &r.records[0];
    assert_eq!((ore.reporter.as_str(), ore.partner.as_str()), ("CN", "KP"));
    assert_eq!(ore.value_usd, 100_500.0);
    assert_eq!(ore.hs_revision.as_deref(), Some("H0"));
    assert_eq!(
        ore.source,
        "CEPII BACI HS92 V202001 (BACI_HS92_Y2005_V202001.csv)"
    );
    assert_eq!(r.records[1].hs.as_str(), "030749");
    assert_eq!(r.records[2].reporter, "KP");
}

#[test]
fn source_override_and_missing_country_file() {
    let r = load_reader(
        "somewhere/BACI_HS17_Y2019_V202401b.csv",
        "t,i,j,k,v,q\n2019,408,156,260111,1,1\n".as_bytes(),
        &LoadOptions {
            source: Some("BACI via a mirror".into()),
            baci_countries: Some(fixture(COUNTRIES)),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(r.records[0].source, "BACI via a mirror");

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join(DATA);
    std::fs::copy(fixture(DATA), &data).unwrap();
    let err = load_path(&data, &LoadOptions::default()).unwrap_err();
    assert!(matches!(err, TradeError::Format { .. }), "{err}");
    assert!(err.to_string().contains("country_codes_V"), "{err}");
}

/// The mapper reads each column at its place in the file's own header: a file with the
/// columns in another order, and one more column, gives the fixture's rows, and a bad
/// cell is still reported under its column's name.
#[test]
fn columns_are_read_where_the_header_puts_them() {
    let text = std::fs::read_to_string(fixture(DATA)).unwrap();
    let order = [5, 3, 2, 1, 4, 0]; // q,k,j,i,v,t
    let moved: String = text
        .lines()
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            let mut out: Vec<&str> = order.iter().map(|&i| f[i]).collect();
            out.push(if f[0] == "t" { "note" } else { "x" });
            out.join(",") + "\n"
        })
        .collect();
    let r = load_text(&moved, 0).unwrap();
    assert_eq!(r.records, rows());
    let bad = moved.replacen("260111", "26O111", 1);
    let err = load_text(&bad, 0).unwrap_err().to_string();
    assert!(
        err.contains("line 2: field `k`: `26O111` is not an HS6 code"),
        "{err}"
    );
}
