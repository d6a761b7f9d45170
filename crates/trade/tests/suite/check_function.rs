//! `check(...)` in SQL gives the answers of the shipment check (`Regime::check`, what
//! `embargo check` prints): verdict, citations, conditions and confidence, for shipments
//! spread over every goods measure's HS codes, both directions and twenty years, with and
//! without quantities; a row that cannot be read gets no verdict and names its field.

use embargo_regime::{citations_text, conditions_text, Regime, ShipmentInput};
use embargo_trade::TradeStore;
use serde_json::Value;

/// A deterministic spread of cases (a linear congruential generator: no seed to record).
struct Cases(u64);

impl Cases {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

struct Case {
    hs: String,
    origin: &'static str,
    destination: &'static str,
    date: String,
    quantity: Option<(f64, &'static str)>,
}

fn cases(regime: &Regime, n: usize) -> Vec<Case> {
    let mut codes: Vec<String> = regime
        .coverage_relation()
        .iter()
        .map(|r| r.hs_prefix.clone())
        .collect();
    codes.extend(
        [
            "0301", "2701", "270112", "2709", "2710", "61", "8471", "9401",
        ]
        .map(String::from),
    );
    codes.sort();
    codes.dedup();
    let routes = [
        ("KP", "CN"),
        ("CN", "KP"),
        ("RU", "KP"),
        ("KP", "RU"),
        ("CN", "US"),
    ];
    let mut g = Cases(7);
    (0..n)
        .map(|_| {
            let (origin, destination) = routes[g.below(routes.len())];
            let quantity = match g.below(4) {
                0 => Some((g.below(9_000_000) as f64, "t")),
                1 => Some((g.below(900_000) as f64, "bbl")),
                _ => None,
            };
            Case {
                hs: codes[g.below(codes.len())].clone(),
                origin,
                destination,
                date: format!(
                    "{}-{:02}-{:02}",
                    2005 + g.below(20),
                    1 + g.below(12),
                    1 + g.below(28)
                ),
                quantity,
            }
        })
        .collect()
}

fn text(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

#[test]
fn check_in_sql_gives_the_shipment_checks_answers() {
    let regime = Regime::bundled().expect("bundled regime");
    let dir = tempfile::tempdir().expect("tempdir");
    let store = TradeStore::open(dir.path())
        .with_regime(&regime)
        .expect("store");
    let all = cases(&regime, 400);
    let values: Vec<String> = all
        .iter()
        .map(|c| {
            let (q, u) = match c.quantity {
                Some((q, u)) => (format!("{q}"), format!("'{u}'")),
                None => (
                    "CAST(NULL AS DOUBLE)".into(),
                    "CAST(NULL AS VARCHAR)".into(),
                ),
            };
            format!(
                "('{}', '{}', '{}', '{}', {q}, {u})",
                c.hs, c.origin, c.destination, c.date
            )
        })
        .collect();
    let sql = format!(
        "SELECT get_field(c, 'verdict'), get_field(c, 'citations'), get_field(c, 'conditions'), \
           get_field(c, 'confidence'), get_field(c, 'error') \
         FROM (SELECT check(hs, o, d, dt, q, u, CAST(NULL AS DOUBLE)) AS c \
               FROM (VALUES {}) t(hs, o, d, dt, q, u))",
        values.join(", ")
    );
    let res = store.sql(&sql, false).expect("check in SQL");
    assert_eq!(res.rows.len(), all.len());
    let mut verdicts = std::collections::BTreeMap::new();
    for (c, row) in all.iter().zip(&res.rows) {
        let shipment = ShipmentInput {
            hs: &c.hs,
            origin: c.origin,
            destination: c.destination,
            via: None,
            date: &c.date,
            quantity: c.quantity.map(|q| q.0),
            unit: c.quantity.map(|q| q.1),
            value_usd: None,
        }
        .to_shipment()
        .expect("a readable case");
        let a = regime.check(&shipment);
        let want = [
            Some(a.verdict.as_str().to_string()),
            Some(citations_text(&a)),
            Some(conditions_text(&a)),
            a.confidence.map(|c| c.to_string()),
            None,
        ];
        let got: Vec<Option<String>> = row.iter().map(text).collect();
        assert_eq!(
            got, want,
            "{} {}→{} {} {:?}",
            c.hs, c.origin, c.destination, c.date, c.quantity
        );
        *verdicts.entry(a.verdict.as_str()).or_insert(0) += 1;
    }
    // The spread reaches every verdict.
    assert_eq!(verdicts.len(), 3, "{verdicts:?}");
}

#[test]
fn an_unreadable_row_gets_no_verdict_and_names_its_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = TradeStore::open(dir.path());
    let res = store
        .sql(
            "SELECT get_field(c, 'verdict'), get_field(c, 'error') FROM (SELECT check(hs, 'KP', 'CN', d) AS c \
             FROM (VALUES ('27x1', '2017-09-15'), ('2701', '2017-13-01'), ('2701', CAST(NULL AS VARCHAR))) t(hs, d))",
            false,
        )
        .expect("sql");
    let rows: Vec<(Option<String>, String)> = res
        .rows
        .iter()
        .map(|r| (text(&r[0]), text(&r[1]).unwrap_or_default()))
        .collect();
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|(v, _)| v.is_none()), "{rows:?}");
    assert!(rows[0].1.starts_with("hs: "), "{rows:?}");
    assert!(rows[1].1.starts_with("date: "), "{rows:?}");
    assert_eq!(rows[2].1, "date: missing");
}

/// `read_csv` reads a shipments file as text (an HS code keeps its leading zero), and
/// the seven-argument `check` reads quantities from it: the answers are the shipment
/// check's, and a quantity that is not a number is that row's error.
#[test]
fn read_csv_and_check_answer_a_shipments_file() {
    let regime = Regime::bundled().expect("bundled regime");
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("shipments.csv");
    std::fs::write(
        &csv,
        "id,hs,origin,destination,date,quantity,unit,value_usd\n\
         over-cap,2701,KP,CN,2017-03-01,8000000,t,\n\
         seafood,0306,KP,CN,2018-01-10,,,\n\
         bad-qty,2701,KP,CN,2017-03-01,lots,t,\n",
    )
    .expect("write");
    let store = TradeStore::open(dir.path())
        .with_regime(&regime)
        .expect("store");
    let sql = format!(
        "SELECT id, hs, get_field(c, 'verdict'), get_field(c, 'error') FROM \
         (SELECT id, hs, check(hs, origin, destination, date, quantity, unit, value_usd) AS c \
          FROM read_csv('{}')) ORDER BY id",
        csv.display()
    );
    let res = store.sql(&sql, false).expect("sql");
    let rows: Vec<Vec<Option<String>>> = res
        .rows
        .iter()
        .map(|r| r.iter().map(text).collect())
        .collect();
    let verdict = |hs: &str, date: &str, q: Option<f64>| {
        let s = ShipmentInput {
            hs,
            origin: "KP",
            destination: "CN",
            via: None,
            date,
            quantity: q,
            unit: q.map(|_| "t"),
            value_usd: None,
        }
        .to_shipment()
        .expect("shipment");
        regime.check(&s).verdict.as_str().to_string()
    };
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0][0].as_deref(), Some("bad-qty"));
    assert_eq!(rows[0][2], None);
    assert_eq!(
        rows[0][3].as_deref(),
        Some("quantity: \"lots\" is not a number")
    );
    assert_eq!(rows[1][0].as_deref(), Some("over-cap"));
    assert_eq!(
        rows[1][2],
        Some(verdict("2701", "2017-03-01", Some(8_000_000.0)))
    );
    assert_eq!(rows[1][2].as_deref(), Some("prohibited"));
    assert_eq!(rows[2][1].as_deref(), Some("0306"));
    assert_eq!(rows[2][2], Some(verdict("0306", "2018-01-10", None)));
}
