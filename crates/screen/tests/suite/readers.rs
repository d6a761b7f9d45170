//! The readers on the real published files in ../shared (counts from their PROVENANCE.md)
//! and on small hand-written fixtures.

use std::path::Path;

use chrono::NaiveDate;
use embargo_screen::model::{DateQualifier, DateValue, IdentifierKind, NameKind, Schema};
use embargo_screen::{ofac, un, ListError};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
}

#[test]
fn un_dprk_file_counts_and_records() {
    let path = embargo_fixtures::shared_or_skip!("data/un-sc-consolidated/consolidated_dprk.xml");
    let list = un::read_file(&path).expect("consolidated_dprk.xml parses");
    assert_eq!(list.generated.as_deref(), Some("2026-02-27T00:00:09.554Z"));
    let people = list
        .entities
        .iter()
        .filter(|e| e.schema == Schema::Person)
        .count();
    let orgs = list
        .entities
        .iter()
        .filter(|e| e.schema == Schema::Organization)
        .count();
    assert_eq!((people, orgs), (80, 75));
    assert!(list.entities.iter().all(|e| e.programs == ["DPRK"]));
    let first = list.entities.iter().map(|e| e.listed_on).min().flatten();
    let last = list.entities.iter().map(|e| e.listed_on).max().flatten();
    assert_eq!(
        (first, last),
        (Some(day(2009, 4, 24)), Some(day(2018, 3, 30)))
    );

    let kim = list
        .entities
        .iter()
        .find(|e| e.id == "KPi.024")
        .expect("KPi.024 present");
    assert_eq!(kim.caption(), "KIM YONG CHOL");
    assert_eq!(kim.listed_on, Some(day(2016, 3, 2)));
    assert_eq!(kim.last_updated, vec![day(2017, 6, 1), day(2022, 7, 26)]);
    let aliases: Vec<&str> = kim
        .names
        .iter()
        .filter(|n| n.kind == NameKind::StrongAlias)
        .map(|n| n.value.as_str())
        .collect();
    assert_eq!(
        aliases,
        vec![
            "Kim Yong-Chol",
            "Kim Young-Chol",
            "Kim Young-Cheol",
            "Young-Chul"
        ]
    );
    assert_eq!(
        kim.birth_dates[0].value,
        DateValue::Day {
            date: day(1962, 2, 18)
        }
    );
    assert_eq!(kim.identifiers[0].kind, IdentifierKind::Passport);
    assert_eq!(kim.identifiers[0].value, "472310168");

    // A BETWEEN birth date and a typographic apostrophe (&#8217;) in an alias.
    let sik = list
        .entities
        .iter()
        .find(|e| e.id == "KPi.066")
        .expect("KPi.066 present");
    assert_eq!(sik.birth_dates[0].qualifier, DateQualifier::Between);
    assert_eq!(
        sik.birth_dates[0].value,
        DateValue::YearRange {
            from: 1967,
            to: 1969
        }
    );
    assert!(sik.names.iter().any(|n| n.value == "Kim Cho\u{2019}ng-sik"));

    // KOMID: quoted alias kept without its quotes; address kept.
    let komid = list
        .entities
        .iter()
        .find(|e| e.id == "KPe.001")
        .expect("KPe.001 present");
    assert_eq!(
        komid.caption(),
        "KOREA MINING DEVELOPMENT TRADING CORPORATION"
    );
    assert!(komid
        .names
        .iter()
        .any(|n| n.value == "KOMID" && n.quality.as_deref() == Some("a.k.a.")));
    assert_eq!(komid.addresses[0].city.as_deref(), Some("Pyongyang"));

    // 16 DPRK entities give an IMO (company) number in their comments.
    let with_imo = list
        .entities
        .iter()
        .filter(|e| {
            e.identifiers
                .iter()
                .any(|i| i.kind == IdentifierKind::ImoCompany)
        })
        .count();
    assert_eq!(with_imo, 16);
}

#[test]
fn un_full_file_counts_and_date_kinds() {
    let path = embargo_fixtures::shared_or_skip!("data/un-sc-consolidated/consolidated.xml");
    let list = un::read_file(&path).expect("consolidated.xml parses");
    let people = list
        .entities
        .iter()
        .filter(|e| e.schema == Schema::Person)
        .count();
    assert_eq!((people, list.entities.len() - people), (730, 273));
    let dprk = list
        .entities
        .iter()
        .filter(|e| e.programs == ["DPRK"])
        .count();
    assert_eq!(dprk, 155);
    let between = list
        .entities
        .iter()
        .flat_map(|e| &e.birth_dates)
        .filter(|b| b.qualifier == DateQualifier::Between)
        .count();
    // 31 BETWEEN elements in the file, each with FROM_YEAR/TO_YEAR.
    assert_eq!(between, 31);
}

#[test]
fn ofac_dprk_file_counts_and_vessels() {
    let path = embargo_fixtures::shared_or_skip!("data/ofac-sdn/sdn_dprk.csv");
    let list = ofac::read_files(&ofac::OfacFiles {
        sdn: path,
        ..Default::default()
    })
    .expect("sdn_dprk.csv parses");
    let count = |s: Schema| list.entities.iter().filter(|e| e.schema == s).count();
    assert_eq!(list.entities.len(), 484);
    assert_eq!(
        (
            count(Schema::Organization),
            count(Schema::Person),
            count(Schema::Vessel),
            count(Schema::Airplane)
        ),
        (199, 164, 105, 16)
    );
    let vessels: Vec<_> = list
        .entities
        .iter()
        .filter(|e| e.schema == Schema::Vessel)
        .collect();
    assert!(
        vessels.iter().all(|v| v.imo().is_some()),
        "all 105 vessels carry an IMO number"
    );
    let checks = vessels
        .iter()
        .filter(|v| v.imo().is_some_and(embargo_screen::model::imo_checksum_ok))
        .count();
    assert_eq!(checks, 105);
    let flags = vessels
        .iter()
        .filter(|v| {
            v.vessel.as_ref().and_then(|x| x.flag.as_deref())
                == Some("Democratic People's Republic of Korea")
        })
        .count();
    assert_eq!(flags, 73);

    let ccg = list
        .entities
        .iter()
        .find(|e| e.id == "17069")
        .expect("ent_num 17069");
    assert_eq!(ccg.caption(), "CHONG CHON GANG");
    assert_eq!(ccg.imo(), Some("7937317"));
    // RYONG GUN BONG's remark lacks the word IMO.
    let rgb = list
        .entities
        .iter()
        .find(|e| e.caption() == "RYONG GUN BONG")
        .expect("RYONG GUN BONG");
    assert_eq!(rgb.imo(), Some("8606173"));

    let komid = list
        .entities
        .iter()
        .find(|e| e.id == "9345")
        .expect("ent_num 9345");
    assert_eq!(komid.programs, vec!["NPWMD", "DPRK2"]);
    assert!(komid
        .names
        .iter()
        .any(|n| n.value == "KOMID" && n.kind == NameKind::WeakAlias));

    let kim = list
        .entities
        .iter()
        .find(|e| e.id == "12211")
        .expect("ent_num 12211");
    assert_eq!(kim.caption(), "KIM, Yong Chol");
    let spans: Vec<_> = kim.birth_dates.iter().map(|b| b.year_span()).collect();
    assert_eq!(spans, vec![(1946, 1948), (1945, 1947)]);

    let former: Vec<&str> = list
        .entities
        .iter()
        .flat_map(|e| e.names.iter().filter(|n| n.kind == NameKind::FormerName))
        .map(|n| n.value.as_str())
        .collect();
    assert_eq!(
        former,
        vec!["KYONGYONG CREDIT BANK", "SAM 5", "THINH CUONG"]
    );
}

#[test]
fn ofac_full_file_ends_with_dos_eof() {
    let path = embargo_fixtures::shared_or_skip!("data/ofac-sdn/sdn.csv");
    let bytes = std::fs::read(&path).expect("read sdn.csv");
    assert_eq!(bytes.last(), Some(&0x1A));
    let list = ofac::parse_sdn(&bytes, &path).expect("sdn.csv parses");
    assert_eq!(list.entities.len(), 14_965);
    assert!(list.entities.iter().filter(|e| e.is_dprk()).count() == 484);
}

#[test]
fn ofac_2021_set_joins_aliases_and_addresses() {
    let path = embargo_fixtures::shared_or_skip!("data/ofac-sdn/2021-07-snapshot/sdn_dprk.csv");
    let files = ofac::OfacFiles::beside(&path);
    assert!(files.alt.is_some() && files.add.is_some());
    let list = ofac::read_files(&files).expect("2021 DPRK set parses");
    assert_eq!(list.entities.len(), 414);
    let komid = list
        .entities
        .iter()
        .find(|e| e.id == "9345")
        .expect("ent_num 9345");
    assert!(komid
        .names
        .iter()
        .any(|n| n.value == "CHANGGWANG SINYONG CORPORATION" && n.kind == NameKind::StrongAlias));
    let aliases: usize = list
        .entities
        .iter()
        .map(|e| e.names.iter().filter(|n| n.quality.is_some()).count())
        .sum();
    assert!(
        aliases >= 322,
        "all 322 alt.csv rows attach (plus remark a.k.a.s), got {aliases}"
    );
    assert!(list.skipped.is_empty());
}

#[test]
fn malformed_files_name_line_and_field() {
    let p = Path::new("tests/fixtures/bad_date.xml");
    let err = un::read_file(p).expect_err("bad LISTED_ON is an error");
    match &err {
        ListError::Field { line, field, .. } => {
            assert_eq!(*line, 8);
            assert_eq!(field, "INDIVIDUAL/LISTED_ON");
        }
        other => panic!("unexpected error {other}"),
    }
    let p = Path::new("tests/fixtures/unclosed.xml");
    assert!(matches!(un::read_file(p), Err(ListError::Xml { .. })));

    let csv = b"1,\"A\",-0- ,\"DPRK\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\nx2,\"B\",-0- ,\"DPRK\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n\x1a";
    let err = ofac::parse_sdn(csv, Path::new("sdn.csv")).expect_err("bad ent_num");
    assert_eq!(
        err.to_string(),
        "sdn.csv:2: field ent_num: \"x2\" is not a number"
    );
    let short = b"1,\"A\",-0- \r\n";
    let err = ofac::parse_sdn(short, Path::new("sdn.csv")).expect_err("short row");
    assert_eq!(
        err.to_string(),
        "sdn.csv:1: malformed CSV record: 3 columns, expected 12"
    );
}

#[test]
fn fixture_un_file_maps_every_field() {
    let list = un::read_file(Path::new("tests/fixtures/small_un.xml")).expect("fixture parses");
    assert_eq!(list.entities.len(), 2);
    let p = &list.entities[0];
    assert_eq!(p.id, "KPi.901");
    assert_eq!(p.caption(), "PAK CHOL MIN");
    assert_eq!(p.names[1].kind, NameKind::OriginalScript);
    assert_eq!(p.names[1].value, "박철민");
    assert_eq!(p.names[2].kind, NameKind::WeakAlias);
    assert_eq!(p.birth_dates.len(), 2);
    assert_eq!(p.birth_dates[1].qualifier, DateQualifier::Approximately);
    assert_eq!(
        p.identifiers.len(),
        1,
        "English/French label duplicates collapse"
    );
    assert_eq!(
        p.birth_places,
        vec!["Pyongyang, Democratic People's Republic of Korea"]
    );
    let e = &list.entities[1];
    assert_eq!(e.schema, Schema::Organization);
    assert_eq!(e.names[1].kind, NameKind::FormerName);
    assert_eq!(
        e.remarks.as_deref(),
        Some("Line one continues here. & more")
    );
    let ftm = e.to_ftm();
    assert_eq!(ftm["schema"], "Organization");
    assert_eq!(ftm["properties"]["previousName"][0], "OLD SHIPPING CO");
}
