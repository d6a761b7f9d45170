//! OFAC records to FtM-shaped entities: an `sdn.csv` row with its remarks (parsed by
//! [`super::remarks`]), an `alt.csv` alias, an `add.csv` address.

use std::path::Path;

use super::reader::field;
use super::remarks;
use crate::error::ListError;
use crate::model::{Address, Entity, Name, NameKind, Schema, Source, VesselInfo};

/// The entry of one `sdn.csv` row (12 columns), its remarks continued by `continuation`
/// (`sdn_comments.csv`) when OFAC's field overflowed.
pub(super) fn sdn_entity(
    sdn_path: &Path,
    line: usize,
    num: u64,
    r: &[String],
    continuation: Option<&str>,
) -> Result<Entity, ListError> {
    let Some(name) = field(&r[1]) else {
        return Err(ListError::field(sdn_path, line, "SDN_Name", "empty"));
    };
    let schema = match field(&r[2]).map(|s| s.to_ascii_lowercase()).as_deref() {
        None => Schema::Organization,
        Some("individual") => Schema::Person,
        Some("vessel") => Schema::Vessel,
        Some("aircraft") => Schema::Airplane,
        Some(other) => {
            return Err(ListError::field(
                sdn_path,
                line,
                "SDN_Type",
                format!("unknown type {other:?}"),
            ))
        }
    };
    let mut e = Entity::new(num.to_string(), Source::Ofac, schema);
    e.names.push(Name {
        value: name,
        kind: NameKind::Primary,
        quality: None,
    });
    if let Some(p) = field(&r[3]) {
        // Multi-program fields are written `NPWMD] [DPRK2` (brackets of the outer pair dropped).
        e.programs = p
            .split("] [")
            .map(|s| {
                s.trim_matches(|c| c == '[' || c == ']' || c == ' ')
                    .to_string()
            })
            .filter(|s| !s.is_empty())
            .collect();
    }
    if let Some(t) = field(&r[4]) {
        e.positions.push(t);
    }
    let mut remarks_text = field(&r[11]).unwrap_or_default();
    if let Some(more) = continuation {
        remarks_text.push_str(more);
    }
    if schema == Schema::Vessel || [5, 6, 7, 8, 9, 10].iter().any(|&i| field(&r[i]).is_some()) {
        e.vessel = Some(VesselInfo {
            call_sign: field(&r[5]),
            vessel_type: field(&r[6]),
            tonnage: field(&r[7]),
            gross_registered_tonnage: field(&r[8]),
            flag: field(&r[9]),
            owner: field(&r[10]),
            ..Default::default()
        });
    }
    if !remarks_text.is_empty() {
        remarks::apply(&mut e, &remarks_text);
        e.remarks = Some(remarks_text);
    }
    Ok(e)
}

/// The name of one `alt.csv` row (5 columns), its kind from the alias type and remarks.
pub(super) fn alias(p: &Path, line: usize, r: &[String]) -> Result<Name, ListError> {
    let Some(value) = field(&r[3]) else {
        return Err(ListError::field(p, line, "alt_name", "empty"));
    };
    let quality = field(&r[2]);
    let kind = match quality.as_deref().map(str::to_ascii_lowercase).as_deref() {
        Some("fka") => NameKind::FormerName,
        // OFAC marks low-quality aliases with "weak" in alt_remarks (dat_spec.txt).
        _ if field(&r[4]).is_some_and(|s| s.to_ascii_lowercase().contains("weak")) => {
            NameKind::WeakAlias
        }
        _ => NameKind::StrongAlias,
    };
    Ok(Name {
        value,
        kind,
        quality,
    })
}

/// The address of one `add.csv` row (6 columns).
pub(super) fn address(r: &[String]) -> Address {
    Address {
        street: field(&r[2]),
        city: field(&r[3]),
        region: None,
        postal_code: None,
        country: field(&r[4]),
        note: field(&r[5]),
    }
}
