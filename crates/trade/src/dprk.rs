//! The DPRK's trade as the analyses read it: records (condensed by the engine, or as read)
//! and the HS rows outside every measure's scope, counted. The plan that fills it is in
//! `condensed` (feature `store`); these types need no engine.

use std::sync::Arc;

use serde::Serialize;

use crate::hs::HsField;

use crate::record::{
    dprk_counterpart, reads_dprk_exports, reads_dprk_supplies, Flow, Period, TradeRecord,
};

/// Puts an HS field in the class of fields that every analysis treats alike, or `None`
/// when no measure names its goods. The engine plan calls it from its worker threads.
pub type ClassOf = Arc<dyn Fn(&HsField) -> Option<String> + Send + Sync>;

/// HS rows outside every measure's scope, summed per group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutsideScope {
    pub reporter: String,
    pub partner: String,
    pub flow: Flow,
    pub period: Period,
    pub series: String,
    pub value_usd: f64,
    pub rows: u64,
}

impl OutsideScope {
    /// The same direction rule as [`TradeRecord::is_dprk_export`].
    pub fn is_dprk_export(&self) -> bool {
        reads_dprk_exports(&self.reporter, &self.partner, self.flow)
    }
    pub fn is_dprk_import(&self) -> bool {
        reads_dprk_supplies(&self.reporter, &self.partner, self.flow)
    }
    pub fn dprk_counterpart(&self) -> &str {
        dprk_counterpart(&self.reporter, &self.partner)
    }
}

/// The DPRK's trade as the analyses read it.
#[derive(Debug, Clone, Default)]
pub struct DprkTrade {
    /// In-scope HS rows (condensed: `rows` says how many rows each stands for), published
    /// category rows, and totals (condensed).
    pub records: Vec<TradeRecord>,
    /// HS rows outside every measure's scope.
    pub outside: Vec<OutsideScope>,
}

impl DprkTrade {
    /// Every row, uncondensed: the input of the reference computations in tests, and of
    /// callers that already hold records.
    pub fn from_records(records: Vec<TradeRecord>) -> DprkTrade {
        DprkTrade {
            records,
            outside: Vec::new(),
        }
    }

    /// Source rows this input stands for.
    pub fn source_rows(&self) -> u64 {
        self.records.iter().map(|r| r.rows).sum::<u64>()
            + self.outside.iter().map(|o| o.rows).sum::<u64>()
    }
}
