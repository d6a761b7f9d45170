//! The analysis inputs the server answers from: the bundled trade figures, proposals,
//! estimates and events, loaded once at start, and the report built from them once
//! (building is pure and the inputs do not change while the server runs).

use embargo_analysis::estimates::{Tourism, Workers};
use embargo_analysis::relief::{Proposal, ReliefOptions};
use embargo_analysis::report::{self, Report};
use embargo_analysis::timeline::Events;
use embargo_analysis::AnalysisError;
use embargo_regime::Regime;
use embargo_trade::TradeRecord;

#[derive(Debug, thiserror::Error)]
pub enum ReportsError {
    #[error("bundled trade data: {0}")]
    Trade(#[from] embargo_trade::TradeError),
    #[error("bundled analysis data: {0}")]
    Analysis(#[from] AnalysisError),
}

/// What the dataset label says in every answer built from these records.
pub const DATASET: &str = "bundled published figures (data/trade)";

pub struct Reports {
    pub records: Vec<TradeRecord>,
    /// Bundled proposals by name.
    pub proposals: Vec<(String, Proposal)>,
    pub workers: Workers,
    pub tourism: Tourism,
    pub events: Events,
    pub report: Report,
}

impl Reports {
    pub fn bundled(regime: &Regime) -> Result<Reports, ReportsError> {
        let records = embargo_trade::bundled::records()?;
        let proposals = embargo_analysis::data::PROPOSALS
            .iter()
            .map(|(name, text)| {
                let file = format!("data/proposals/{name}.toml");
                Proposal::parse(&file, text).map(|p| (name.to_string(), p))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let workers = Workers::bundled()?;
        let tourism = Tourism::bundled()?;
        let events = Events::bundled()?;
        let report = {
            let proposal = &proposals
                .first()
                .ok_or_else(|| AnalysisError::Invalid("no bundled proposal".into()))?
                .1;
            report::build(&report::Inputs {
                regime,
                records: &records,
                dataset: DATASET.to_string(),
                proposal,
                workers: &workers,
                tourism: &tourism,
                events: &events,
                relief: ReliefOptions::default(),
            })
        };
        Ok(Reports {
            records,
            proposals,
            workers,
            tourism,
            events,
            report,
        })
    }

    pub fn proposal(&self, name: &str) -> Option<&Proposal> {
        self.proposals
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, p)| p)
    }

    pub fn proposal_names(&self) -> Vec<&str> {
        self.proposals.iter().map(|(n, _)| n.as_str()).collect()
    }
}
