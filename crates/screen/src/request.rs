//! A screening question as a caller types it (command-line flags, a row of a batch file, a
//! JSON body): text fields, read into a [`Query`] by one set of rules, so the command line
//! and the HTTP API ask the matcher the same question for the same input.

use crate::error::QueryError;
use crate::matcher::{Query, QueryDate};
use crate::model::Schema;

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
    /// parsed. A request with neither a name, an IMO nor a passport is refused
    /// ([`QueryError::EmptyName`]); the IMO's check digit and the name's size are the
    /// matcher's to check.
    pub fn to_query(&self) -> Result<Query, QueryError> {
        let name = given(self.name);
        let (imo, passport) = (given(self.imo), given(self.passport));
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
}
