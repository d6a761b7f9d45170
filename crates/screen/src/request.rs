//! A screening question as a caller types it (command-line flags, a row of a batch file, a
//! JSON body): text fields, read into a [`Query`] by one set of rules, so the command line
//! and the HTTP API ask the matcher the same question for the same input.

use crate::error::QueryError;
use crate::matcher::{Query, QueryDate};
use crate::model::{normalize_imo, Schema};

/// The fields of a screening request as text; a field left out is `None`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ScreenRequest<'a> {
    pub name: Option<&'a str>,
    /// person, organization, company or vessel.
    pub schema: Option<&'a str>,
    /// YYYY, YYYY-MM or YYYY-MM-DD.
    pub dob: Option<&'a str>,
    /// A country name or ISO code.
    pub country: Option<&'a str>,
    pub imo: Option<&'a str>,
    pub passport: Option<&'a str>,
}

/// A field as given: trimmed, and absent when blank.
fn given(field: Option<&str>) -> Option<&str> {
    field.map(str::trim).filter(|s| !s.is_empty())
}

impl ScreenRequest<'_> {
    /// The query: every field trimmed, a blank field absent, the schema and the birth date
    /// parsed. A name that is an IMO number with its prefix (`IMO 8660313`, `imo:8660313`)
    /// is read as the IMO: no listed name looks like that, and the caller means the ship
    /// (or the company) with that number. A request with neither a name, an IMO nor a
    /// passport is refused ([`QueryError::EmptyName`]); the IMO's check digit and the
    /// name's size are the matcher's to check.
    pub fn to_query(&self) -> Result<Query, QueryError> {
        let (mut name, mut imo) = (given(self.name), given(self.imo));
        if let Some(in_name) = name.and_then(imo_in_name) {
            match imo {
                Some(field) if normalize_imo(field).as_deref() != Some(in_name) => {
                    return Err(QueryError::ImoTwice {
                        in_name: in_name.to_string(),
                        field: field.to_string(),
                    })
                }
                _ => {
                    imo = Some(in_name);
                    name = None;
                }
            }
        }
        let passport = given(self.passport);
        if name.is_none() && imo.is_none() && passport.is_none() {
            return Err(QueryError::EmptyName);
        }
        let schema = given(self.schema)
            .map(|s| Schema::parse(s).ok_or_else(|| QueryError::BadSchema(s.to_string())))
            .transpose()?;
        Ok(Query {
            name: name.unwrap_or_default().to_string(),
            schema,
            birth_date: given(self.dob).map(QueryDate::parse).transpose()?,
            country: given(self.country).map(str::to_string),
            imo: imo.map(str::to_string),
            passport: passport.map(str::to_string),
        })
    }
}

/// The seven digits of a name written as an IMO number: the word IMO, then optional
/// spaces, `:`, `#` or `.`, then exactly seven digits and nothing else. A bare seven-digit
/// number is left a name: without the word, nothing says which register it belongs to.
fn imo_in_name(name: &str) -> Option<&str> {
    let prefix = name.get(..3).filter(|p| p.eq_ignore_ascii_case("IMO"))?;
    let rest = name
        .get(prefix.len()..)?
        .trim_start_matches(|c: char| c.is_whitespace() || matches!(c, ':' | '#' | '.'));
    (rest.len() == 7 && rest.bytes().all(|b| b.is_ascii_digit())).then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_fields_are_absent_and_text_is_trimmed() {
        let q = ScreenRequest {
            name: Some("  Kim Jong Un "),
            schema: Some(" person"),
            dob: Some(""),
            country: Some(" KP "),
            imo: Some("  "),
            passport: None,
        }
        .to_query()
        .expect("a valid request");
        assert_eq!(q.name, "Kim Jong Un");
        assert_eq!(q.schema, Some(Schema::Person));
        assert_eq!(q.birth_date, None);
        assert_eq!(q.country.as_deref(), Some("KP"));
        assert_eq!(q.imo, None);
    }

    #[test]
    fn bad_fields_name_their_field() {
        let field = |r: ScreenRequest| r.to_query().map(|_| ()).map_err(|e| e.field());
        let named = |name| ScreenRequest {
            name: Some(name),
            ..ScreenRequest::default()
        };
        assert_eq!(field(named(" ")), Err("name"));
        assert_eq!(
            field(ScreenRequest {
                schema: Some("boat"),
                ..named("X")
            }),
            Err("schema")
        );
        assert_eq!(
            field(ScreenRequest {
                dob: Some("19x"),
                ..named("X")
            }),
            Err("dob")
        );
        assert_eq!(
            field(ScreenRequest {
                imo: Some("1234567"),
                ..ScreenRequest::default()
            }),
            Ok(())
        );
    }

    #[test]
    fn a_name_written_as_an_imo_number_is_the_imo() {
        // CHON MA SAN, OFAC SDN ent_num 23729: "Vessel Registration Identification IMO 8660313".
        for typed in [
            "IMO 8660313",
            "IMO8660313",
            "imo: 8660313",
            " IMO #8660313 ",
        ] {
            let q = ScreenRequest {
                name: Some(typed),
                ..ScreenRequest::default()
            }
            .to_query()
            .expect("an IMO query");
            assert_eq!(q.imo.as_deref(), Some("8660313"), "{typed}");
            assert_eq!(q.name, "", "{typed}");
        }
        for name in ["8660313", "IMO 866031", "IMO 8660313 LTD", "IMOGEN 8660313"] {
            let q = ScreenRequest {
                name: Some(name),
                ..ScreenRequest::default()
            }
            .to_query()
            .expect("a name query");
            assert_eq!(q.imo, None, "{name}");
            assert_eq!(q.name, name, "{name}");
        }
        let same = ScreenRequest {
            name: Some("IMO 8660313"),
            imo: Some("8660313"),
            ..ScreenRequest::default()
        };
        assert_eq!(
            same.to_query().expect("one IMO").imo.as_deref(),
            Some("8660313")
        );
        let two = ScreenRequest {
            imo: Some("7937317"),
            ..same
        };
        assert_eq!(
            two.to_query().map(|_| ()).map_err(|e| e.field()),
            Err("imo")
        );
    }
}
