//! The book: the customers, counterparties and vessels a compliance team keeps screening.
//!
//! - [`record`] reads book files (CSV, FtM JSON lines) into [`BookRecord`]s.
//! - [`store`] keeps records, alerts and decisions in `<data dir>/book.sqlite`; every
//!   change is one transaction. A list change re-screens by delta ([`Book::follow_lists`]):
//!   only the book records that can reach an added or changed entry are screened again, and
//!   only the alerts of changed or removed entries are revisited; the result equals a full
//!   re-screen ([`Book::screen_all`]) because each (record, entry) score is a property of the
//!   pair and of the token weights pinned at the last full screening
//!   (`embargo_screen::Matcher::pairwise`).
//!
//! The book knows the lists only through `embargo-screen` (`ListStore`, `Matcher`,
//! `ScreenRequest`); it knows nothing of trade, the regime's analysis or the server.

pub mod error;
pub mod record;
pub mod store;

pub use error::{BookError, Result};
pub use record::{entity_hash, read_book, BookRecord};
pub use store::{
    Alert, AlertStatus, Book, DecisionRecord, FollowReport, ImportReport, ListSource, MemoryLists,
    ScreenReport, Verdict, Versions,
};
