//! The scoring table: every number by which an entry's features move a name score, and the
//! retrieval limits, each with the feature it belongs to and when it applies. The matcher
//! (`matcher`), its pruning bound ([`most_lift`]) and the table in
//! docs/screening.md read these rows; a test renders the docs table from [`table`].

/// One row of the table: a feature, the condition under which it applies, and its weight.
#[derive(Debug, Clone, Copy)]
pub struct Rule<W> {
    pub feature: &'static str,
    pub when: &'static str,
    pub weight: W,
}

/// Added to the score (negative: subtracted).
#[derive(Debug, Clone, Copy)]
pub struct Add(pub f64);
/// Multiplies the score.
#[derive(Debug, Clone, Copy)]
pub struct Factor(pub f64);
/// The score is at most this.
#[derive(Debug, Clone, Copy)]
pub struct Cap(pub f64);
/// The score becomes this.
#[derive(Debug, Clone, Copy)]
pub struct Set(pub f64);
/// A number of names or hits.
#[derive(Debug, Clone, Copy)]
pub struct Count(pub usize);

impl Rule<Add> {
    pub const fn value(&self) -> f64 {
        self.weight.0
    }
}
impl Rule<Factor> {
    pub const fn value(&self) -> f64 {
        self.weight.0
    }
}
impl Rule<Cap> {
    pub const fn value(&self) -> f64 {
        self.weight.0
    }
}
impl Rule<Set> {
    pub const fn value(&self) -> f64 {
        self.weight.0
    }
}
impl Rule<Count> {
    pub const fn value(&self) -> usize {
        self.weight.0
    }
}

pub const WEAK_ALIAS: Rule<Factor> = Rule {
    feature: "name",
    when: "the best name is a weak alias (UN `Low` quality, a quoted nickname): it identifies less",
    weight: Factor(0.92),
};

pub const IMO_EQUAL: Rule<Set> = Rule {
    feature: "imo",
    when: "the query's IMO equals a listed IMO",
    weight: Set(1.0),
};

pub const IMO_DIFFERS: Rule<Cap> = Rule {
    feature: "imo",
    when:
        "the query's valid IMO differs from the listed ones: a namesake ship, kept below `review`",
    weight: Cap(0.5),
};

pub const DOCUMENT_EQUAL: Rule<Set> = Rule {
    feature: "document",
    when: "the passport or national ID equals a listed one",
    weight: Set(1.0),
};

pub const DOCUMENT_DIFFERS: Rule<Add> = Rule {
    feature: "document",
    when: "the listed documents differ (documents are renewed: a mild signal)",
    weight: Add(-0.05),
};

pub const BIRTH_DAY: Rule<Add> = Rule {
    feature: "birth_date",
    when: "the query's day equals a listed date",
    weight: Add(0.08),
};

pub const BIRTH_YEAR: Rule<Add> = Rule {
    feature: "birth_date",
    when: "the query's year is within a listed date or range",
    weight: Add(0.04),
};

pub const BIRTH_NEAR: Rule<Add> = Rule {
    feature: "birth_date",
    when: "the query's year is one year off a listed date",
    weight: Add(0.0),
};

pub const BIRTH_OFF: Rule<Add> = Rule {
    feature: "birth_date",
    when: "the query's year is more than a year off every listed date",
    weight: Add(-0.20),
};

pub const COUNTRY_MATCH: Rule<Add> = Rule {
    feature: "country",
    when: "the query's country is among the entry's (nationality, address, birth place, flag, document country)",
    weight: Add(0.03),
};

pub const COUNTRY_MISS_PERSON: Rule<Add> = Rule {
    feature: "country",
    when: "a person's countries do not include the query's (a person's are often incomplete: a second nationality, a new address)",
    weight: Add(-0.08),
};

/// An organisation's countries are its seat and offices: a bank of the Republic of Korea is
/// not the DPRK bank of the same name, so the miss costs what a wrong name country costs.
pub const COUNTRY_MISS_OTHER: Rule<Add> = Rule {
    feature: "country",
    when: "an organisation's, vessel's or aircraft's countries do not include the query's",
    weight: Add(NAME_COUNTRY.value()),
};

/// Large enough that even a name score of 1 falls to 0.75, `review`: an institution of
/// another country that shares the generic words is never a `match` on its name.
pub const NAME_COUNTRY: Rule<Add> = Rule {
    feature: "name_country",
    when: "the listed name names a country the query is not about, or the query's name one the entry is not of (not charged again after a `country` miss)",
    weight: Add(-0.25),
};

pub const HIT_FLOOR: Rule<Factor> = Rule {
    feature: "hits",
    when:
        "of the review threshold: a hit scoring below it is dropped, unless an identifier found it",
    weight: Factor(0.75),
};

pub const CANDIDATES: Rule<Count> = Rule {
    feature: "candidates",
    when: "names with the most shared token weight get the full comparison",
    weight: Count(48),
};

pub const MAX_HITS: Rule<Count> = Rule {
    feature: "hits",
    when: "hits a query returns at most",
    weight: Count(10),
};

/// The most the features can add to a name score, given which of birth date and country the
/// query gives: the pruning bound of `Matcher::screen` (a name that cannot reach the
/// hit floor with this lift needs no alignment).
pub fn most_lift(birth_date: bool, country: bool) -> f64 {
    let birth = if birth_date {
        BIRTH_DAY
            .value()
            .max(BIRTH_YEAR.value())
            .max(BIRTH_NEAR.value())
            .max(BIRTH_OFF.value())
    } else {
        0.0
    };
    let country = if country {
        COUNTRY_MATCH
            .value()
            .max(COUNTRY_MISS_PERSON.value())
            .max(COUNTRY_MISS_OTHER.value())
    } else {
        0.0
    };
    birth + country
}

/// The table's rows, rendered: feature, weight, when it applies.
pub fn table() -> Vec<[String; 3]> {
    let row =
        |feature: &str, weight: String, when: &str| [feature.to_string(), weight, when.to_string()];
    let add = |r: &Rule<Add>| row(r.feature, signed(r.value()), r.when);
    let factor = |r: &Rule<Factor>| row(r.feature, format!("× {:.2}", r.value()), r.when);
    let count = |r: &Rule<Count>| row(r.feature, r.value().to_string(), r.when);
    vec![
        factor(&WEAK_ALIAS),
        row(
            IMO_EQUAL.feature,
            format!("= {:.2}", IMO_EQUAL.value()),
            IMO_EQUAL.when,
        ),
        row(
            IMO_DIFFERS.feature,
            format!("≤ {:.2}", IMO_DIFFERS.value()),
            IMO_DIFFERS.when,
        ),
        row(
            DOCUMENT_EQUAL.feature,
            format!("= {:.2}", DOCUMENT_EQUAL.value()),
            DOCUMENT_EQUAL.when,
        ),
        add(&DOCUMENT_DIFFERS),
        add(&BIRTH_DAY),
        add(&BIRTH_YEAR),
        add(&BIRTH_NEAR),
        add(&BIRTH_OFF),
        add(&COUNTRY_MATCH),
        add(&COUNTRY_MISS_PERSON),
        add(&COUNTRY_MISS_OTHER),
        add(&NAME_COUNTRY),
        factor(&HIT_FLOOR),
        count(&CANDIDATES),
        count(&MAX_HITS),
    ]
}

/// A weight as the docs write it: `+0.08`, `−0.20` (with the minus sign), `0.00`.
fn signed(w: f64) -> String {
    if w > 0.0 {
        format!("+{w:.2}")
    } else if w < 0.0 {
        format!("−{:.2}", -w)
    } else {
        format!("{w:.2}")
    }
}

/// The table as Markdown, as docs/screening.md carries it.
pub fn markdown() -> String {
    let mut out = String::from("| feature | weight | when |\n|---|---:|---|\n");
    for [feature, weight, when] in table() {
        out.push_str(&format!("| {feature} | {weight} | {when} |\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pruning bound must be at least every positive weight a birth date or a country
    /// can add, or pruning would drop a name the features would lift into the hits.
    #[test]
    fn most_lift_bounds_every_bonus() {
        for r in [BIRTH_DAY, BIRTH_YEAR, BIRTH_NEAR, BIRTH_OFF] {
            assert!(most_lift(true, false) >= r.value());
        }
        for r in [COUNTRY_MATCH, COUNTRY_MISS_PERSON, COUNTRY_MISS_OTHER] {
            assert!(most_lift(false, true) >= r.value());
        }
        assert_eq!(most_lift(false, false), 0.0);
    }

    #[test]
    fn docs_carry_the_table() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/screening.md");
        let docs = std::fs::read_to_string(path).expect("docs/screening.md is in the repository");
        let table = markdown();
        assert!(
            docs.contains(&table),
            "docs/screening.md does not carry the scoring table; put this in its place:\n{table}"
        );
    }
}
