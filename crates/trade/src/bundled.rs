//! The default trade data shipped with embargo (data/trade/*.csv), compiled into the
//! binary so that `embargo report` works offline on a fresh clone. Every row is a
//! published figure from docs/regime-facts.md §C with its source, series and status.

use crate::error::TradeError;
use crate::load::{load_reader, LoadOptions};
use crate::record::TradeRecord;

/// (file name, contents) of each bundled file.
pub const FILES: &[(&str, &str)] = &[
    (
        "data/trade/china-dprk.csv",
        include_str!("../../../data/trade/china-dprk.csv"),
    ),
    (
        "data/trade/dprk-totals.csv",
        include_str!("../../../data/trade/dprk-totals.csv"),
    ),
];

/// All bundled rows. Fails only if a bundled file is malformed (a test guards that).
pub fn records() -> Result<Vec<TradeRecord>, TradeError> {
    Ok(records_by_file()?
        .into_iter()
        .flat_map(|(_, r)| r)
        .collect())
}

/// The bundled rows, file by file (path as in [`FILES`]).
pub fn records_by_file() -> Result<Vec<(&'static str, Vec<TradeRecord>)>, TradeError> {
    FILES
        .iter()
        .map(|(name, text)| {
            let report = load_reader(name, text.as_bytes(), &LoadOptions::default())?;
            Ok((*name, report.records))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Flow, Level, Status};

    #[test]
    fn bundled_rows_load_and_carry_sources() {
        let rows = records().unwrap();
        assert_eq!(rows.len(), 54);
        // Every row names the publication it comes from, not the repository's notes.
        assert!(rows
            .iter()
            .all(|r| !r.source.trim().is_empty() && !r.source.contains("regime-facts")));
        // China's 2018 imports from the DPRK (GAC): USD 213.15m, §C.1.
        let r2018 = rows
            .iter()
            .find(|r| {
                r.reporter == "CN"
                    && r.flow == Flow::Import
                    && r.period.year == 2018
                    && r.series == "GAC"
            })
            .unwrap();
        assert_eq!(r2018.value_usd, 213_150_000.0);
        assert!(r2018.is_dprk_export());
        // Derived and unconfirmed rows are marked, and categories are not HS-level.
        assert!(rows.iter().any(|r| r.status == Status::Derived));
        assert!(rows.iter().any(|r| r.status == Status::Unconfirmed));
        let textiles_2016 = rows
            .iter()
            .find(|r| r.category.as_deref() == Some("textiles") && r.period.year == 2016)
            .unwrap();
        assert_eq!(textiles_2016.level, Level::Category);
        assert_eq!(textiles_2016.value_usd, 752_000_000.0);
    }
}
