//! CEPII BACI: bilateral trade flows at HS6, reconciled by CEPII from the declarations of
//! exporters and importers in UN Comtrade. Files are `BACI_HS{rev}_Y{year}_V{version}.csv`
//! with the header `t,i,j,k,v,q`: year, exporter, importer (numeric country codes), HS6
//! product, value in thousands of USD, quantity in metric tonnes. The numeric codes are
//! resolved with the release's `country_codes_V{version}.csv`, found next to the data file
//! or given in [`LoadOptions::baci_countries`].
//!
//! Each row is one flow exporter → importer. It becomes one record seen from the
//! importer's side (reporter = importer, partner = exporter, flow = import), the mirror
//! convention the rest of embargo reads: DPRK exports (i = 408) are rows with partner `KP`.

use std::io::Read;
use std::path::{Path, PathBuf};

use std::borrow::Cow;

use super::{parse_number, Cells, Column, Ctx, FieldErr, FieldMap, LoadOptions, Row};
use crate::country::normalise;
use crate::error::{Location, TradeError};
use crate::record::{Flow, Level, Period, Status};

/// Columns a BACI file must have (`q` may be absent or blank).
pub(crate) const REQUIRED: &[&str] = &["t", "i", "j", "k", "v"];

/// What a BACI file name says: `BACI_HS17_Y2019_V202401b.csv` → HS `17`, year 2019,
/// version `202401b`. Parts that are missing stay `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FileName {
    pub(crate) hs: Option<String>,
    pub(crate) year: Option<i32>,
    pub(crate) version: Option<String>,
}

impl FileName {
    pub(crate) fn parse(name: &str) -> FileName {
        let stem = Path::new(name)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut out = FileName::default();
        let mut parts = stem.split('_');
        if !parts.next().is_some_and(|p| p.eq_ignore_ascii_case("BACI")) {
            return out;
        }
        for part in parts {
            let (tag, rest) = part.split_at(part.find(|c: char| c.is_ascii_digit()).unwrap_or(0));
            match tag.to_ascii_uppercase().as_str() {
                "HS" if !rest.is_empty() => out.hs = Some(rest.to_string()),
                "Y" => out.year = rest.parse().ok(),
                "V" if !rest.is_empty() => out.version = Some(rest.to_string()),
                _ => {}
            }
        }
        out
    }

    /// Comtrade's name for the HS edition: HS92 → `H0` ... HS22 → `H6`.
    pub(crate) fn hs_revision(&self) -> Option<&'static str> {
        Some(match self.hs.as_deref()? {
            "92" => "H0",
            "96" => "H1",
            "02" => "H2",
            "07" => "H3",
            "12" => "H4",
            "17" => "H5",
            "22" => "H6",
            _ => return None,
        })
    }
}

/// One line of a country file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    /// ISO alpha-2 (or, when the file gives only an alpha-3 we cannot convert, that code).
    iso: Option<String>,
    name: String,
}

/// A release's country table: numeric code → ISO code.
#[derive(Debug, Clone)]
pub(crate) struct Countries {
    /// The country file's name, for messages.
    file: String,
    codes: super::FieldMap<u32, Entry>,
    /// The entries of codes below [`SMALL_CODES`] (every BACI code), by code: the lookup
    /// each row makes twice costs an index instead of a hash.
    small: Vec<Option<Entry>>,
}

/// Codes below this are looked up by index ([`Countries::small`]).
const SMALL_CODES: usize = 1000;

/// Column names of the two generations of country files.
const CODE: &str = "country_code";
const ISO2: &[&str] = &["country_iso2", "iso_2digit_alpha"];
const ISO3: &[&str] = &["country_iso3", "iso_3digit_alpha"];
const NAME: &[&str] = &[
    "country_name",
    "country_name_full",
    "country_name_abbreviation",
];

impl Countries {
    /// Reads a country file. Both column sets are accepted: `country_code, country_name,
    /// country_iso2, country_iso3` (recent releases) and `country_code,
    /// country_name_abbreviation, country_name_full, iso_2digit_alpha, iso_3digit_alpha`
    /// (older ones). Names may be Latin-1 in older releases; they are only used in messages.
    pub(crate) fn read<R: Read>(name: &str, reader: R) -> Result<Countries, TradeError> {
        let format_err = |message: String| TradeError::Format {
            file: name.to_string(),
            message,
        };
        let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
        let headers: Vec<String> = rdr
            .byte_headers()
            .map_err(|e| format_err(format!("cannot read the header: {e}")))?
            .iter()
            .map(|h| {
                String::from_utf8_lossy(h)
                    .trim()
                    .trim_start_matches('\u{feff}')
                    .to_ascii_lowercase()
            })
            .collect();
        let find = |names: &[&str]| headers.iter().position(|h| names.contains(&h.as_str()));
        let (code_col, iso2_col, iso3_col, name_col) =
            (find(&[CODE]), find(ISO2), find(ISO3), find(NAME));
        let Some(code_col) = code_col.filter(|_| iso2_col.is_some() || iso3_col.is_some()) else {
            return Err(format_err(
                "not a BACI country file: expected the columns `country_code` and \
                 `country_iso2`/`country_iso3` (older releases: `iso_2digit_alpha`/`iso_3digit_alpha`)"
                    .into(),
            ));
        };
        let mut codes = super::FieldMap::default();
        let mut rec = csv::ByteRecord::new();
        loop {
            let line = rdr.position().line();
            let field_err = |at: u64, field: &str, message: String| TradeError::Field {
                file: name.to_string(),
                at: Location::Line(at),
                field: field.to_string(),
                message,
            };
            match rdr.read_byte_record(&mut rec) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => {
                    let at = e.position().map_or(line, |p| p.line());
                    return Err(field_err(at, "(row)", e.to_string()));
                }
            }
            let at = rec.position().map_or(line, |p| p.line());
            let cell = |col: Option<usize>| {
                col.and_then(|c| rec.get(c))
                    .map(|b| String::from_utf8_lossy(b).trim().to_string())
                    .unwrap_or_default()
            };
            let raw = cell(Some(code_col));
            if raw.is_empty() && rec.iter().all(|c| c.iter().all(u8::is_ascii_whitespace)) {
                continue; // a blank line
            }
            let code: u32 = raw.parse().map_err(|_| {
                field_err(at, CODE, format!("`{raw}` is not a numeric country code"))
            })?;
            let iso2 = cell(iso2_col).to_ascii_uppercase();
            let iso3 = cell(iso3_col).to_ascii_uppercase();
            // Namibia's alpha-2 is `NA`: it is a code, not a missing value.
            let iso = if iso2.len() == 2 && iso2.bytes().all(|b| b.is_ascii_alphabetic()) {
                Some(iso2)
            } else if iso3.len() == 3 && iso3.bytes().all(|b| b.is_ascii_alphanumeric()) {
                Some(normalise(&iso3))
            } else {
                None
            };
            let entry = Entry {
                iso,
                name: cell(name_col),
            };
            if let Some(prev) = codes.get(&code) {
                if *prev != entry {
                    return Err(field_err(
                        at,
                        CODE,
                        format!("country code {code} appears twice with different entries"),
                    ));
                }
            }
            codes.insert(code, entry);
        }
        let file = Path::new(name)
            .file_name()
            .map_or_else(|| name.to_string(), |s| s.to_string_lossy().into_owned());
        let mut small = vec![None; SMALL_CODES];
        for (code, entry) in &codes {
            if let Some(slot) = small.get_mut(*code as usize) {
                *slot = Some(entry.clone());
            }
        }
        Ok(Countries { file, codes, small })
    }

    pub(crate) fn read_path(path: &Path) -> Result<Countries, TradeError> {
        let file = std::fs::File::open(path).map_err(|e| TradeError::io(path, e))?;
        Countries::read(&path.display().to_string(), std::io::BufReader::new(file))
    }

    /// The ISO code of a row's country column (`i` or `j`).
    fn resolve<'c>(&'c self, row: &Row, col: Column) -> Result<&'c str, FieldErr> {
        let raw = row.req_at(col)?;
        let col = col.name;
        let code = small_code(raw)
            .map_or_else(|| raw.parse::<u32>(), Ok)
            .map_err(|_| {
                (
                    col.to_string(),
                    format!("`{raw}` is not a numeric country code"),
                )
            })?;
        let entry = match self.small.get(code as usize) {
            Some(e) => e.as_ref(),
            None => self.codes.get(&code),
        };
        match entry {
            Some(Entry { iso: Some(iso), .. }) => Ok(iso),
            Some(Entry { iso: None, name }) => Err((
                col.to_string(),
                format!(
                    "country code {code} ({name}) has no ISO code in {}",
                    self.file
                ),
            )),
            None => Err((
                col.to_string(),
                format!("country code {code} is not in {}", self.file),
            )),
        }
    }
}

/// A code of one to three ASCII digits, read without the general number parser.
fn small_code(raw: &str) -> Option<u32> {
    let b = raw.as_bytes();
    if b.is_empty() || b.len() > 3 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
}

/// Per-file BACI settings carried in [`Ctx`].
#[derive(Debug, Clone)]
pub(crate) struct Baci {
    countries: Countries,
    hs_revision: Option<String>,
    pub(crate) columns: Columns,
}

/// BACI's columns: year, exporter, importer, product, value, quantity.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Columns {
    t: Column,
    i: Column,
    j: Column,
    k: Column,
    v: Column,
    q: Column,
}

impl Columns {
    fn named() -> Columns {
        Columns {
            t: Column::named("t"),
            i: Column::named("i"),
            j: Column::named("j"),
            k: Column::named("k"),
            v: Column::named("v"),
            q: Column::named("q"),
        }
    }

    pub(crate) fn in_header(cols: &FieldMap<String, usize>) -> Columns {
        let c = |n| Column::in_header(n, cols);
        Columns {
            t: c("t"),
            i: c("i"),
            j: c("j"),
            k: c("k"),
            v: c("v"),
            q: c("q"),
        }
    }
}

/// The country file for the data file `data`: the explicit option, else the
/// `country_codes_V*.csv` in the same directory whose version matches the data file's,
/// else the only one there.
pub(crate) fn country_file(
    data: &str,
    version: Option<&str>,
    opts: &LoadOptions,
) -> Result<PathBuf, TradeError> {
    if let Some(p) = &opts.baci_countries {
        return Ok(p.clone());
    }
    let dir = match Path::new(data).parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut found: Vec<(PathBuf, String)> = std::fs::read_dir(&dir)
        .map_err(|e| TradeError::io(&dir, e))?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let lower = name.to_ascii_lowercase();
            if !(lower.starts_with("country_codes_v") && lower.ends_with(".csv")) {
                return None;
            }
            // The version as written, between `country_codes_V` and `.csv`.
            let v = name.get("country_codes_v".len()..name.len() - ".csv".len())?;
            Some((e.path(), v.to_string()))
        })
        .collect();
    found.sort();
    if let Some(v) = version {
        if let Some((p, _)) = found.iter().find(|(_, fv)| fv.eq_ignore_ascii_case(v)) {
            return Ok(p.clone());
        }
    }
    match found.as_slice() {
        [(p, _)] => Ok(p.clone()),
        [] => Err(TradeError::Format {
            file: data.to_string(),
            message: format!(
                "BACI file: no country_codes_V*.csv in {} to resolve the numeric country codes \
                 (put the release's country file next to the data file, or name it with \
                 --baci-countries)",
                dir.display()
            ),
        }),
        many => Err(TradeError::Format {
            file: data.to_string(),
            message: format!(
                "BACI file: {} country files in {} and none matches version {}: {}; name one \
                 with --baci-countries",
                many.len(),
                dir.display(),
                version.unwrap_or("(none in the file name)"),
                many.iter()
                    .map(|(p, _)| p.file_name().unwrap_or_default().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }),
    }
}

/// The per-file context for a BACI file: source text, HS edition, country table.
pub(crate) fn ctx(name: &str, opts: &LoadOptions) -> Result<Ctx, TradeError> {
    let meta = FileName::parse(name);
    let countries = Countries::read_path(&country_file(name, meta.version.as_deref(), opts)?)?;
    let short = Path::new(name)
        .file_name()
        .map_or_else(|| name.to_string(), |s| s.to_string_lossy().into_owned());
    let mut label = String::from("CEPII BACI");
    if let Some(hs) = &meta.hs {
        label.push_str(&format!(" HS{hs}"));
    }
    if let Some(v) = &meta.version {
        label.push_str(&format!(" V{v}"));
    }
    Ok(Ctx {
        source: opts
            .source
            .clone()
            .unwrap_or_else(|| format!("{label} ({short})")),
        baci: Some(Baci {
            countries,
            hs_revision: meta.hs_revision().map(str::to_string),
            columns: Columns::named(),
        }),
    })
}

/// A decimal number times 1000 (thousands of USD → USD, tonnes → kg). Plain decimals are
/// scaled by moving the decimal point in the text, so `0.123` becomes exactly 123.
fn times_thousand(v: &str) -> Option<f64> {
    // A byte scan: the cells are short, and a search for a character costs more to set up.
    let (int, frac) = match v.bytes().position(|b| b == b'.') {
        Some(dot) => (&v[..dot], &v[dot + 1..]),
        None => (v, ""),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) {
        return parse_number(v)
            .map(|n| n * 1000.0)
            .filter(|n| n.is_finite());
    }
    let (head, tail) = frac.split_at(frac.len().min(3));
    let int = if int.is_empty() { "0" } else { int };
    // Most values: at most three decimals and under 10^15 once scaled, so the result is
    // an integer below 2^53, exact as an f64 and equal to what parsing its digits gives.
    if tail.is_empty() && int.len() <= 12 {
        let digits = |s: &str| s.bytes().fold(0u64, |n, b| n * 10 + u64::from(b - b'0'));
        let scale = [1000, 100, 10, 1][head.len()];
        return Some((digits(int) * 1000 + digits(head) * scale) as f64);
    }
    // The digits with the point moved three places, written on the stack: this runs twice
    // for every row of a BACI file.
    let mut buf = [0u8; 64];
    let mut len = 0;
    for piece in [
        int,
        head,
        &"000"[head.len()..],
        if tail.is_empty() { "" } else { "." },
        tail,
    ] {
        let end = len + piece.len();
        if end > buf.len() {
            let long: String = [int, head, &"000"[head.len()..], ".", tail].concat();
            return long
                .trim_end_matches('.')
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite());
        }
        buf[len..end].copy_from_slice(piece.as_bytes());
        len = end;
    }
    std::str::from_utf8(&buf[..len])
        .ok()?
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite())
}

fn thousands(row: &Row, col: Column, unit: &str) -> Result<Option<f64>, FieldErr> {
    let value = row.at(col);
    let col = col.name;
    match value {
        None => Ok(None),
        Some(v)
            if col == "q" && (v.eq_ignore_ascii_case("NA") || v.eq_ignore_ascii_case("NaN")) =>
        {
            Ok(None)
        }
        Some(v) => times_thousand(v).map(Some).ok_or_else(|| {
            (
                col.to_string(),
                format!("`{v}` is not a non-negative number ({unit})"),
            )
        }),
    }
}

/// The HS6 product code `k`, kept as text. A 5-digit code lost its leading zero (a file
/// written with `k` as a number) and is padded back: `30749` → `030749`.
fn product<'a>(row: &Row<'a>, k: Column) -> Result<Cow<'a, str>, FieldErr> {
    let raw = row.req_at(k)?;
    let err = || {
        (
            "k".to_string(),
            format!("`{raw}` is not an HS6 code (6 digits, or 5 when the leading zero was lost)"),
        )
    };
    if !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err());
    }
    match raw.len() {
        6 => Ok(Cow::Borrowed(raw)),
        5 => Ok(Cow::Owned(format!("0{raw}"))),
        _ => Err(err()),
    }
}

pub(crate) fn row<'a>(row: &Row<'a>, ctx: &'a Ctx) -> Result<Cells<'a>, FieldErr> {
    let Some(baci) = ctx.baci.as_ref() else {
        return Err(("(row)".into(), "no BACI country table loaded".into()));
    };
    let cols = &baci.columns;
    let t = row.req_at(cols.t)?;
    let year: i32 = t
        .parse()
        .ok()
        .filter(|y| (1900..=2100).contains(y))
        .ok_or_else(|| ("t".to_string(), format!("`{t}` is not a year")))?;
    let exporter = baci.countries.resolve(row, cols.i)?;
    let importer = baci.countries.resolve(row, cols.j)?;
    let hs = product(row, cols.k)?;
    let value_usd = thousands(row, cols.v, "thousands of USD")?
        .ok_or_else(|| ("v".to_string(), "missing value".to_string()))?;
    let net_weight_kg = thousands(row, cols.q, "metric tonnes")?;
    Ok(Cells {
        reporter: Cow::Borrowed(importer),
        partner: Cow::Borrowed(exporter),
        flow: Flow::Import,
        period: Period::year(year),
        hs,
        hs_revision: baci.hs_revision.as_deref(),
        level: Level::Hs,
        category: None,
        value_usd,
        quantity: None,
        quantity_unit: None,
        net_weight_kg,
        source: &ctx.source,
        series: Cow::Borrowed("BACI"),
        status: Status::Derived,
        note: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn loader_never_panics_on_baci_rows(cells in proptest::collection::vec("[0-9NA. e-]{0,8}", 6)) {
            let opts = LoadOptions {
                max_bad_rows: 5,
                baci_countries: Some(PathBuf::from(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/tests/fixtures/baci/country_codes_V202401b.csv"
                ))),
                ..Default::default()
            };
            let csv = format!("t,i,j,k,v,q\n{}\n", cells.join(","));
            let _ = super::super::load_reader("BACI_HS17_Y2019_V202401b.csv", csv.as_bytes(), &opts);
        }

        /// The scaled value is what parsing the number's digits with the point moved
        /// three places gives, for every plain decimal (the fast path included).
        #[test]
        fn thousands_equal_the_shifted_digits(int in "[0-9]{0,17}", frac in "[0-9]{0,6}") {
            prop_assume!(!(int.is_empty() && frac.is_empty()));
            let v = if frac.is_empty() { int.clone() } else { format!("{int}.{frac}") };
            let (head, tail) = frac.split_at(frac.len().min(3));
            let shifted = format!("{}{head}{}.{tail}0", if int.is_empty() { "0" } else { &int }, &"000"[head.len()..]);
            let expected: f64 = shifted.parse().unwrap();
            prop_assert_eq!(times_thousand(&v), Some(expected), "{}", v);
        }
    }

    #[test]
    fn file_names() {
        let f = FileName::parse("data/BACI_HS17_Y2019_V202401b.csv");
        assert_eq!(f.hs.as_deref(), Some("17"));
        assert_eq!(f.year, Some(2019));
        assert_eq!(f.version.as_deref(), Some("202401b"));
        assert_eq!(f.hs_revision(), Some("H5"));
        assert_eq!(
            FileName::parse("BACI_HS92_Y1995_V202001.csv").hs_revision(),
            Some("H0")
        );
        assert_eq!(
            FileName::parse("BACI_HS02_Y2010_V202301.csv").hs_revision(),
            Some("H2")
        );
        assert_eq!(FileName::parse("trade.csv"), FileName::default());
        assert_eq!(
            FileName::parse("BACI_HS99_Y2019_V1.csv").hs_revision(),
            None
        );
    }

    #[test]
    fn thousands_are_scaled_exactly() {
        assert_eq!(times_thousand("000123.4"), Some(123_400.0));
        assert_eq!(
            times_thousand("999999999999.999"),
            Some(999_999_999_999_999.0)
        );
        assert_eq!(
            times_thousand("9999999999999.5"),
            Some(9_999_999_999_999_500.0)
        );
        assert_eq!(times_thousand("1234.5"), Some(1_234_500.0));
        assert_eq!(times_thousand("0.123"), Some(123.0));
        assert_eq!(times_thousand(".5"), Some(500.0));
        assert_eq!(times_thousand("7"), Some(7000.0));
        assert_eq!(times_thousand("1.23456"), Some(1234.56));
        assert_eq!(times_thousand("1.5e3"), Some(1_500_000.0));
        assert_eq!(times_thousand("-1"), None);
        assert_eq!(times_thousand("."), None);
        assert_eq!(times_thousand("1.2.3"), None);
        assert_eq!(times_thousand(&"9".repeat(400)), None);
    }

    const NEW: &str = "country_code,country_name,country_iso2,country_iso3\n\
                       156,China,CN,CHN\n\
                       408,Dem. People's Rep. of Korea,KP,PRK\n\
                       516,Namibia,NA,NAM\n\
                       490,\"Other Asia, nes\",,S19\n\
                       999,Nowhere,N/A,N/A\n";

    #[test]
    fn country_file_recent_columns() {
        let c = Countries::read("country_codes_V202401b.csv", NEW.as_bytes()).unwrap();
        let iso = |n: u32| c.codes[&n].iso.clone();
        assert_eq!(iso(156).as_deref(), Some("CN"));
        assert_eq!(iso(408).as_deref(), Some("KP"));
        assert_eq!(
            iso(516).as_deref(),
            Some("NA"),
            "Namibia, not a missing value"
        );
        assert_eq!(iso(490).as_deref(), Some("S19"));
        assert_eq!(iso(999), None);
    }

    #[test]
    fn country_file_older_columns_and_latin1_names() {
        let mut text = b"country_code,country_name_abbreviation,country_name_full,iso_2digit_alpha,iso_3digit_alpha\n\
                         4,Afghanistan,Afghanistan,AF,AFG\n\
                         384,C\xf4te d'Ivoire,C\xf4te d'Ivoire,CI,CIV\n\
                         643,Russian Federation,Russian Federation,RU,RUS\n"
            .to_vec();
        text.extend_from_slice(b"\n");
        let c = Countries::read("country_codes_V202001.csv", text.as_slice()).unwrap();
        assert_eq!(c.codes[&4].iso.as_deref(), Some("AF"));
        assert_eq!(c.codes[&384].iso.as_deref(), Some("CI"));
        assert_eq!(c.codes[&643].iso.as_deref(), Some("RU"));
        assert_eq!(c.codes.len(), 3);
    }

    #[test]
    fn country_file_errors_name_line_and_field() {
        let err = Countries::read(
            "cc.csv",
            "country_code,country_iso2\n156,CN\nabc,KP\n".as_bytes(),
        )
        .unwrap_err();
        match err {
            TradeError::Field { at, field, .. } => {
                assert_eq!((at, field.as_str()), (Location::Line(3), "country_code"));
            }
            other => panic!("expected a field error, got {other}"),
        }
        let err = Countries::read("cc.csv", "code,name\n156,China\n".as_bytes()).unwrap_err();
        assert!(matches!(err, TradeError::Format { .. }), "{err}");
        let err = Countries::read(
            "cc.csv",
            "country_code,country_iso2\n156,CN\n156,KP\n".as_bytes(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("line 3"), "{err}");
    }

    #[test]
    fn country_file_is_found_by_version_or_alone() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("BACI_HS17_Y2019_V202401b.csv");
        let data = data.to_str().unwrap();
        let opts = LoadOptions::default();
        assert!(matches!(
            country_file(data, Some("202401b"), &opts),
            Err(TradeError::Format { .. })
        ));
        std::fs::write(dir.path().join("country_codes_V202301.csv"), NEW).unwrap();
        // The only one, although its version differs.
        assert_eq!(
            country_file(data, Some("202401b"), &opts).unwrap(),
            dir.path().join("country_codes_V202301.csv")
        );
        std::fs::write(dir.path().join("country_codes_V202401b.csv"), NEW).unwrap();
        assert_eq!(
            country_file(data, Some("202401b"), &opts).unwrap(),
            dir.path().join("country_codes_V202401b.csv")
        );
        // Two files, neither matching: ambiguous, named in the error.
        let err = country_file(data, Some("202501"), &opts).unwrap_err();
        assert!(
            err.to_string().contains("country_codes_V202301.csv"),
            "{err}"
        );
        // An explicit file wins.
        let opts = LoadOptions {
            baci_countries: Some(PathBuf::from("/elsewhere/cc.csv")),
            ..Default::default()
        };
        assert_eq!(
            country_file(data, Some("202401b"), &opts).unwrap(),
            PathBuf::from("/elsewhere/cc.csv")
        );
    }
}
