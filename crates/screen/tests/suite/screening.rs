//! The matcher and the list store on the real lists in ../shared.

use embargo_screen::matcher::{Decision, FoundBy, Query, QueryDate, Thresholds};
use embargo_screen::model::Schema;
use embargo_screen::{ofac, un, ListStore, Matcher, ScreenRequest, Source};

fn dprk_matcher() -> Option<Matcher> {
    let un_path = embargo_fixtures::shared_file("data/un-sc-consolidated/consolidated_dprk.xml")?;
    let ofac_path = embargo_fixtures::shared_file("data/ofac-sdn/sdn_dprk.csv")?;
    let mut entities = un::read_file(&un_path).expect("UN file").entities;
    entities.extend(
        ofac::read_files(&ofac::OfacFiles {
            sdn: ofac_path,
            ..Default::default()
        })
        .expect("OFAC")
        .entities,
    );
    Some(Matcher::new(entities))
}

fn q(name: &str) -> Query {
    Query {
        name: name.into(),
        ..Default::default()
    }
}

#[test]
fn korean_spellings_find_the_listed_person() {
    let Some(m) = dprk_matcher() else { return };
    let th = Thresholds::default();
    // KPi.024 KIM YONG CHOL, alias Kim Young-Cheol; OFAC 12211 "KIM, Yong Chol".
    for name in [
        "Kim Yong-chol",
        "KIM YONGCHOL",
        "김영철",
        "Kim Yeong-cheol",
        "Yong Chol Kim",
    ] {
        let s = m.screen(&q(name), &th).expect("screen");
        let ids: Vec<&str> = s.hits.iter().take(4).map(|h| h.id.as_str()).collect();
        assert!(ids.contains(&"KPi.024"), "{name}: top hits {ids:?}");
        assert_ne!(s.decision, Decision::NoMatch, "{name}");
    }
    // The explanation names the matched name and the aligned tokens.
    let s = m.screen(&q("KIM YONG-CHOL"), &th).expect("screen");
    let h = s
        .hits
        .iter()
        .find(|h| h.id == "KPi.024")
        .expect("KPi.024 hit");
    assert_eq!(h.source, Source::Un);
    assert_eq!(
        h.listed_on.map(|d| d.to_string()).as_deref(),
        Some("2016-03-02")
    );
    assert!(h.explanation.name.pairs.iter().any(|p| p.query == "CHOL"));
}

#[test]
fn birth_date_moves_the_score() {
    let Some(m) = dprk_matcher() else { return };
    let th = Thresholds::default();
    let base = m.screen(&q("Kim Yeong Cheol"), &th).expect("screen");
    let score =
        |s: &embargo_screen::Screening| s.hits.iter().find(|h| h.id == "KPi.024").map(|h| h.score);
    let with_dob = Query {
        birth_date: Some(QueryDate::parse("1962-02-18").expect("date")),
        ..q("Kim Yeong Cheol")
    };
    let wrong_dob = Query {
        birth_date: Some(QueryDate::parse("1990").expect("date")),
        ..q("Kim Yeong Cheol")
    };
    let a = score(&base).expect("base hit");
    let b = score(&m.screen(&with_dob, &th).expect("screen")).expect("dob hit");
    assert!(b > a, "exact birth date raises the score ({a} -> {b})");
    let c = score(&m.screen(&wrong_dob, &th).expect("screen")).unwrap_or(0.0);
    assert!(c < a, "a different birth year lowers it ({a} -> {c})");
}

#[test]
fn imo_is_decisive() {
    let Some(m) = dprk_matcher() else { return };
    let th = Thresholds::default();
    // CHONG CHON GANG, IMO 7937317 (OFAC 17069). A name that shares nothing still hits by IMO.
    let s = m
        .screen(
            &Query {
                imo: Some("IMO 7937317".into()),
                schema: Some(Schema::Vessel),
                ..q("RENAMED SHIP")
            },
            &th,
        )
        .expect("screen");
    assert_eq!(s.hits[0].id, "17069");
    assert_eq!(s.hits[0].score, 1.0);
    assert_eq!(s.hits[0].explanation.found_by, FoundBy::Identifier);
    assert_eq!(s.decision, Decision::Match);
    // The right name with another valid IMO is capped below review.
    let s = m
        .screen(
            &Query {
                imo: Some("9417115".into()),
                schema: Some(Schema::Vessel),
                ..q("CHONG CHON GANG")
            },
            &th,
        )
        .expect("screen");
    let ccg = s
        .hits
        .iter()
        .find(|h| h.id == "17069")
        .map(|h| h.score)
        .unwrap_or(0.0);
    assert!(ccg <= 0.5);
    // A bad check digit is an input error.
    let e = m
        .screen(
            &Query {
                imo: Some("7937318".into()),
                ..q("X")
            },
            &th,
        )
        .unwrap_err()
        .to_string();
    assert!(
        e.ends_with("and no listed entry carries it as a company or registered-owner number"),
        "{e}"
    );
}

#[test]
fn a_listed_company_imo_is_decisive_without_the_ship_check_digit() {
    let Some(m) = dprk_matcher() else { return };
    // The UN list gives CHONGCHONGANG SHIPPING COMPANY (KPe.022) "IMO Number: 5342883",
    // a company number: the ship check digit (weighted sum 121 → 1) does not hold for it.
    let s = m
        .screen(
            &Query {
                imo: Some("5342883".into()),
                ..Default::default()
            },
            &Thresholds::default(),
        )
        .expect("a listed company number is screened");
    assert_eq!(s.hits[0].id, "KPe.022");
    assert_eq!(s.hits[0].score, 1.0);
    assert_eq!(s.hits[0].explanation.found_by, FoundBy::Identifier);
    assert_eq!(s.decision, Decision::Match);
}

#[test]
fn an_imo_alone_or_typed_as_a_name_finds_the_ship_and_says_how() {
    let Some(m) = dprk_matcher() else { return };
    let th = Thresholds::default();
    // CHON MA SAN, OFAC SDN ent_num 23729: "Vessel Registration Identification IMO 8660313".
    let by_field = ScreenRequest {
        imo: Some("8660313"),
        ..ScreenRequest::default()
    };
    let as_name = ScreenRequest {
        name: Some("IMO 8660313"),
        ..ScreenRequest::default()
    };
    for request in [by_field, as_name] {
        let s = m
            .screen(&request.to_query().expect("query"), &th)
            .expect("screen");
        assert_eq!(s.query, "IMO 8660313");
        assert_eq!(s.decision, Decision::Match);
        let hit = &s.hits[0];
        assert_eq!((hit.source, hit.id.as_str()), (Source::Ofac, "23729"));
        assert_eq!(hit.explanation.found_by, FoundBy::Identifier);
        let imo = &hit.explanation.features[0];
        assert_eq!(imo.feature, "imo");
        assert_eq!(
            imo.detail,
            "IMO 8660313 equals the ship's IMO number listed in ofac 23729"
        );
    }
    // The right name finds it by name; the IMO then confirms it.
    let s = m
        .screen(
            &Query {
                imo: Some("8660313".into()),
                ..q("CHON MA SAN")
            },
            &th,
        )
        .expect("screen");
    assert_eq!(s.hits[0].id, "23729");
    assert_eq!(s.hits[0].explanation.found_by, FoundBy::Name);
}

#[test]
fn company_forms_are_neutral_on_real_entries() {
    let Some(m) = dprk_matcher() else { return };
    let th = Thresholds::default();
    let s = m
        .screen(&q("Korea Mining Development Trading Corp."), &th)
        .expect("screen");
    assert_eq!(s.decision, Decision::Match);
    let ids: Vec<&str> = s.hits.iter().take(2).map(|h| h.id.as_str()).collect();
    assert!(ids.contains(&"KPe.001") && ids.contains(&"9345"), "{ids:?}");
    // Unrelated name: nothing to report.
    let s = m
        .screen(&q("Siemens Aktiengesellschaft"), &th)
        .expect("screen");
    assert_eq!(s.decision, Decision::NoMatch);
}

#[test]
fn store_import_switches_atomically_and_keeps_versions() {
    let Some(un_path) =
        embargo_fixtures::shared_file("data/un-sc-consolidated/consolidated_dprk.xml")
    else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let store = ListStore::open(dir.path());
    let first = store.import(&un_path, None).expect("import");
    assert_eq!(first.entities, 155);
    assert_eq!(first.counts.get("Person"), Some(&80));
    // A malformed file fails and leaves the active version alone.
    let bad = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bad_date.xml");
    assert!(store.import(&bad, Some(Source::Un)).is_err());
    assert_eq!(
        store.active_version(Source::Un).expect("read").as_deref(),
        Some(first.version.as_str())
    );
    let small =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/small_un.xml");
    // 2 entries against 155: refused as a shrink unless forced.
    let err = store.import(&small, None).expect_err("shrink refused");
    assert!(
        err.to_string().contains("lacks 155 of the 155 entries"),
        "{err}"
    );
    let forced = embargo_screen::ImportOptions {
        allow_shrink: true,
        ..Default::default()
    };
    let second = store
        .import_with(&small, None, forced)
        .expect("second import");
    assert_ne!(first.version, second.version);
    let status = store.status().expect("status");
    let un_status = status.iter().find(|s| s.source == Source::Un).expect("un");
    assert_eq!(un_status.versions.len(), 2, "earlier version kept");
    assert_eq!(un_status.active.as_deref(), Some(second.version.as_str()));
    assert_eq!(store.active_entities().expect("load").len(), 2);
}

#[test]
fn fetch_reads_urls_and_fails_cleanly() {
    let Some(sdn) = embargo_fixtures::shared_file("data/ofac-sdn/sdn_dprk.csv") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let store = ListStore::open(dir.path());
    if std::process::Command::new("curl")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("notice: curl not installed; fetch test skipped");
        return;
    }
    let url = format!("file://{}", sdn.display());
    let meta = store
        .fetch(Source::Ofac, Some(&[("sdn.csv".to_string(), url)]))
        .expect("fetch from file URL");
    assert_eq!(meta.entities, 484);
    let missing = format!("file://{}/does-not-exist.xml", dir.path().display());
    let err = store
        .fetch(
            Source::Un,
            Some(&[("consolidated.xml".to_string(), missing)]),
        )
        .expect_err("missing file");
    assert!(err.to_string().contains("download of"), "{err}");
    assert_eq!(store.active_version(Source::Un).expect("read"), None);
}

/// An acronym finds the organization it spells on the real lists when the query says it is an
/// organization (OFAC 20573 KOREA NATIONAL INSURANCE CORPORATION for KNIC), and a person's
/// name whose initials happen to spell a listed acronym does not.
#[test]
fn acronyms_find_organizations_and_only_organizations() {
    let Some(m) = dprk_matcher() else { return };
    let th = Thresholds::default();
    let org = Query {
        schema: Some(Schema::Organization),
        ..q("KNIC")
    };
    let s = m.screen(&org, &th).expect("screen");
    let h = s.hits.iter().find(|h| h.id == "20573").expect("OFAC 20573");
    assert_eq!(h.decision, Decision::Match);
    assert!(h
        .explanation
        .name
        .pairs
        .iter()
        .any(|p| p.relation == embargo_names::compare::TokenRelation::Acronym));
    // Without a schema the query may be a person's initials: no acronym pairing.
    let s = m.screen(&q("KNIC"), &th).expect("screen");
    assert!(s.hits.iter().all(|h| h.id != "20573"), "{:?}", s.hits);
}
