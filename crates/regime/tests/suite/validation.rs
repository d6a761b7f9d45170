//! Validation: broken regime files give errors naming file, line and field; the bundled
//! files pass, and their HS codes exist in the real nomenclature (../shared).

use embargo_regime::*;

fn bundled_sources() -> Vec<(String, String)> {
    Regime::bundled()
        .unwrap_or_else(|e| panic!("{e}"))
        .sources()
        .to_vec()
}

fn with_file(name: &str, text: &str) -> Vec<Issue> {
    let mut s = bundled_sources();
    s.push((name.to_string(), text.to_string()));
    Regime::validate_sources(s, None)
        .into_iter()
        .filter(|i| i.severity == Severity::Error)
        .collect()
}

const HEAD: &str = "[resolution]\nnumber = \"9999\"\nyear = 2020\nadopted = 2020-01-01\nsymbol = \"S/RES/9999 (2020)\"\ntitle = \"test\"\nsources = [\"test\"]\n";

#[test]
fn bundled_files_validate_clean() {
    let issues = Regime::validate_sources(bundled_sources(), None);
    let errors: Vec<_> = issues
        .iter()
        .filter(|i| i.severity == Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn bad_hs_code_names_file_line_and_field() {
    let text = format!("{HEAD}\n[[measure]]\nid = \"9999-1-x\"\nparagraph = \"1\"\nkind = \"goods_ban\"\ndirection = \"from_dprk\"\ntitle = \"x\"\nconfidence = \"confirmed\"\nsources = [\"s\"]\n  [[measure.hs]]\n  code = \"27A1\"\n  provenance = \"analyst\"\n  confidence = \"unconfirmed\"\n");
    let errs = with_file("bad.toml", &text);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_eq!(
        (errs[0].file.as_str(), errs[0].line, errs[0].field.as_str()),
        ("bad.toml", 18, "hs.code")
    );
}

#[test]
fn syntax_error_has_a_line() {
    let errs = with_file("syntax.toml", "[resolution]\nnumber = \"1\"\nyear = = 2\n");
    assert_eq!(errs[0].line, 3, "{errs:#?}");
    assert_eq!(errs[0].field, "(syntax)");
}

#[test]
fn unknown_field_and_bad_enum_are_errors() {
    let errs = with_file("f.toml", &format!("{HEAD}\n[[measure]]\nid = \"9999-1-x\"\nparagraph = \"1\"\nkind = \"goods_ban\"\ndirection = \"sideways\"\ntitle = \"x\"\nconfidence = \"confirmed\"\nsources = [\"s\"]\n"));
    assert!(!errs.is_empty());
    assert!(
        errs[0].message.contains("sideways") || errs[0].message.contains("unknown variant"),
        "{errs:#?}"
    );
}

#[test]
fn dangling_supersession_and_self_reference() {
    let text = format!("{HEAD}\n[[measure]]\nid = \"9999-1-x\"\nparagraph = \"1\"\nkind = \"shipping\"\nrule = \"r\"\ntitle = \"x\"\nconfidence = \"confirmed\"\nsources = [\"s\"]\nsupersedes = [\"no-such-measure\"]\n");
    let errs = with_file("dangling.toml", &text);
    assert!(
        errs.iter().any(|e| e.field == "supersedes"
            && e.line == 17
            && e.message.contains("no-such-measure")),
        "{errs:#?}"
    );
}

#[test]
fn dates_before_adoption_and_reversed_periods() {
    let text = format!("{HEAD}\n[[measure]]\nid = \"9999-1-x\"\nparagraph = \"1\"\nkind = \"shipping\"\nrule = \"r\"\ntitle = \"x\"\nconfidence = \"confirmed\"\nsources = [\"s\"]\neffective_from = 2019-12-31\n");
    let errs = with_file("early.toml", &text);
    assert!(
        errs.iter().any(|e| e.field == "effective_from"
            && e.message.contains("before the resolution's adoption")),
        "{errs:#?}"
    );
    let text = format!("{HEAD}\n[[measure]]\nid = \"9999-1-x\"\nparagraph = \"1\"\nkind = \"shipping\"\nrule = \"r\"\ntitle = \"x\"\nconfidence = \"confirmed\"\nsources = [\"s\"]\neffective_until = 2019-06-01\n");
    assert!(with_file("rev.toml", &text)
        .iter()
        .any(|e| e.field == "effective_until"));
}

#[test]
fn analyst_mapping_cannot_claim_confirmed() {
    let text = format!("{HEAD}\n[[measure]]\nid = \"9999-1-x\"\nparagraph = \"1\"\nkind = \"goods_ban\"\ndirection = \"from_dprk\"\ntitle = \"x\"\nconfidence = \"confirmed\"\nsources = [\"s\"]\n  [[measure.hs]]\n  code = \"2701\"\n  provenance = \"analyst\"\n  confidence = \"confirmed\"\n");
    assert!(with_file("upgrade.toml", &text)
        .iter()
        .any(|e| e.field == "hs.confidence"));
}

#[test]
fn value_thresholds_only_on_bans_and_positive() {
    let ban = |v: &str| {
        format!("{HEAD}\n[[measure]]\nid = \"9999-1-x\"\nparagraph = \"1\"\nkind = \"goods_ban\"\ndirection = \"to_dprk\"\ntitle = \"x\"\nconfidence = \"confirmed\"\nsources = [\"s\"]\n  [[measure.hs]]\n  code = \"5701\"\n  provenance = \"analyst\"\n  confidence = \"unconfirmed\"\n  value_over_usd = {v}\n")
    };
    assert!(with_file("ok.toml", &ban("500")).is_empty());
    let errs = with_file("neg.toml", &ban("-5"));
    assert_eq!(
        errs.iter()
            .map(|e| (e.line, e.field.as_str()))
            .collect::<Vec<_>>(),
        vec![(21, "hs.value_over_usd")],
        "{errs:#?}"
    );
    let exception = format!("{HEAD}\n[[measure]]\nid = \"9999-1-x\"\nparagraph = \"1\"\nkind = \"exception\"\nexception = \"humanitarian\"\napplies_to = [\"2321-5-luxury\"]\ncondition = \"c\"\ntitle = \"x\"\nconfidence = \"confirmed\"\nsources = [\"s\"]\n  [[measure.hs]]\n  code = \"5701\"\n  provenance = \"analyst\"\n  confidence = \"unconfirmed\"\n  value_over_usd = 500\n");
    assert!(with_file("exc.toml", &exception)
        .iter()
        .any(|e| e.field == "hs.value_over_usd" && e.message.contains("exception")));
}

#[test]
fn a_disputed_wind_down_end_needs_its_dispute_and_a_different_day() {
    let wd = |extra: &str| {
        format!("{HEAD}\n[[measure]]\nid = \"9999-1-w\"\nparagraph = \"1\"\nkind = \"wind_down\"\napplies_to = [\"2375-16-textiles\"]\ndays = 30\nscope = \"s\"\ntitle = \"x\"\nconfidence = \"confirmed\"\nsources = [\"s\"]\n{extra}")
    };
    assert!(with_file(
        "ok.toml",
        &wd("disputed_until = 2020-02-01\ndispute = \"who counts how\"\n")
    )
    .is_empty());
    assert!(
        with_file("nodispute.toml", &wd("disputed_until = 2020-02-01\n"))
            .iter()
            .any(|e| e.field == "dispute")
    );
    assert!(with_file(
        "same.toml",
        &wd("disputed_until = 2020-01-31\ndispute = \"d\"\n")
    )
    .iter()
    .any(|e| e.field == "disputed_until"));
    assert!(with_file("orphan.toml", &wd("dispute = \"d\"\n"))
        .iter()
        .any(|e| e.field == "dispute"));
}

#[test]
fn overlapping_caps_on_the_same_goods_are_errors() {
    // A second coal cap in force alongside 2321 OP26 without superseding it.
    let text = "[resolution]\nnumber = \"9998\"\nyear = 2017\nadopted = 2017-02-01\nsymbol = \"s\"\ntitle = \"t\"\nsources = [\"s\"]\n\n[[measure]]\nid = \"9998-1-cap\"\nparagraph = \"1\"\nkind = \"cap\"\ndirection = \"from_dprk\"\ntitle = \"x\"\nconfidence = \"confirmed\"\nsources = [\"s\"]\n  [[measure.hs]]\n  code = \"270112\"\n  provenance = \"analyst\"\n  confidence = \"unconfirmed\"\n  [[measure.limits]]\n  amount = 1\n  unit = \"usd\"\n  period = \"calendar_year\"\n  from = 2017-02-01\n";
    let errs = with_file("cap.toml", text);
    assert!(
        errs.iter()
            .any(|e| e.message.contains("2321-26-coal-cap") && e.message.contains("9998-1-cap")),
        "{errs:#?}"
    );
}

#[test]
fn duplicate_ids_and_bad_paragraphs() {
    let text = format!("{HEAD}\n[[measure]]\nid = \"9999-1-x\"\nparagraph = \"1a\"\nkind = \"other\"\nrule = \"r\"\ntitle = \"x\"\nconfidence = \"confirmed\"\nsources = [\"s\"]\n\n[[measure]]\nid = \"9999-1-x\"\nparagraph = \"2\"\nkind = \"other\"\nrule = \"r\"\ntitle = \"x\"\nconfidence = \"confirmed\"\nsources = [\"s\"]\n");
    let errs = with_file("dup.toml", &text);
    assert!(errs.iter().any(|e| e.field == "paragraph"));
    assert!(
        errs.iter()
            .any(|e| e.field == "id" && e.message.contains("duplicate")),
        "{errs:#?}"
    );
    assert!(
        paragraph_is_well_formed("8(a)(iii)")
            && paragraph_is_well_formed("Annex IV")
            && paragraph_is_well_formed("11-17")
    );
    assert!(
        !paragraph_is_well_formed("17-11")
            && !paragraph_is_well_formed("8()")
            && !paragraph_is_well_formed("08")
    );
}

#[test]
fn load_dir_reports_every_error_at_once() {
    let dir = tempfile_dir();
    std::fs::write(dir.join("a.toml"), "[resolution]\nnumber = \"x\"\n")
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.join("b.toml"), "not toml at all =").unwrap_or_else(|e| panic!("{e}"));
    match Regime::load_dir(&dir) {
        Err(RegimeError::Invalid(issues)) => {
            assert!(issues.iter().any(|i| i.file.ends_with("a.toml")));
            assert!(issues.iter().any(|i| i.file.ends_with("b.toml")));
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn tempfile_dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("embargo-regime-test-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&d);
    d
}

#[test]
fn every_hs_code_exists_in_hs2017_or_hs2022() {
    let hs2022 = embargo_fixtures::shared_or_skip!("data/harmonized-system/harmonized-system.csv");
    let hs2017 =
        embargo_fixtures::shared_or_skip!("data/harmonized-system/harmonized-system-hs2017.csv");
    let mut n = Nomenclature::new();
    assert_eq!(
        n.add_file(&hs2022).unwrap_or_else(|e| panic!("{e}")),
        97 + 1229 + 5613
    );
    assert_eq!(
        n.add_file(&hs2017).unwrap_or_else(|e| panic!("{e}")),
        97 + 1223 + 5388
    );
    let issues = Regime::validate_sources(bundled_sources(), Some(&n));
    let errors: Vec<_> = issues
        .iter()
        .filter(|i| i.severity == Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(
        n.description(&HsCode::parse("2701").unwrap_or_else(|e| panic!("{e}")))
            .map(|s| s.starts_with("Coal")),
        Some(true)
    );
}

#[test]
fn a_code_missing_from_the_nomenclature_is_reported() {
    let mut n = Nomenclature::new();
    n.add_text(
        "mini.csv",
        "section,hscode,description,parent,level\nV,27,Mineral fuels,TOTAL,2\nV,2701,Coal,27,4\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let issues = Regime::validate_sources(bundled_sources(), Some(&n));
    assert!(issues
        .iter()
        .any(|i| i.field == "hs" && i.message.contains("HS 2702 is not in the nomenclature")));
}

#[test]
fn the_edition_in_force_is_the_latest_started() {
    let d = |y, m, day| chrono::NaiveDate::from_ymd_opt(y, m, day).unwrap();
    assert_eq!(embargo_regime::edition_in_force(d(2006, 10, 14)), 2002);
    assert_eq!(embargo_regime::edition_in_force(d(2016, 12, 31)), 2012);
    assert_eq!(embargo_regime::edition_in_force(d(2017, 1, 1)), 2017);
    assert_eq!(embargo_regime::edition_in_force(d(2017, 12, 22)), 2017);
    assert_eq!(embargo_regime::edition_in_force(d(2022, 1, 1)), 2022);
    assert_eq!(embargo_regime::edition_in_force(d(1999, 1, 1)), 2002);
}

/// Two one-chapter editions, named by their files: a 2017 resolution's code that only
/// HS 2022 has is a warning naming both; with HS 2017 alone it is an error.
#[test]
fn codes_are_checked_against_their_resolutions_edition() {
    let hs17 = "section,hscode,description,parent,level\nV,27,Mineral fuels,TOTAL,2\nV,2701,Coal,27,4\nXVII,88,Aircraft,TOTAL,2\nXVII,8803,Parts of aircraft,88,4\n";
    let hs22 = "section,hscode,description,parent,level\nTOTAL,TOTAL,Total of all HS2022 commodities,TOTAL,5\nV,27,Mineral fuels,TOTAL,2\nV,2701,Coal,27,4\nV,2702,Lignite,27,4\nXVII,88,Aircraft,TOTAL,2\n";
    let mut n = Nomenclature::new();
    n.add_text("mini-hs2017.csv", hs17).unwrap();
    n.add_text("mini.csv", hs22).unwrap();
    assert_eq!(
        n.editions.iter().map(|e| e.year).collect::<Vec<_>>(),
        vec![Some(2017), Some(2022)],
        "editions from the file name and from the TOTAL row"
    );
    let issues = Regime::validate_sources(bundled_sources(), Some(&n));
    // 2397 (2017-12-22) names HS 8803, which HS 2017 has and HS 2022 dropped: no issue.
    assert!(
        !issues.iter().any(|i| i.message.contains("HS 8803")),
        "{issues:#?}"
    );
    // 2270 (2016) names lignite, 2702: HS 2012 was in force, HS 2017 (nearest) lacks it
    // in this mini file, HS 2022 has it: a warning that says all of that.
    let lignite = issues
        .iter()
        .find(|i| i.message.contains("HS 2702"))
        .unwrap_or_else(|| panic!("{issues:#?}"));
    assert_eq!(lignite.severity, Severity::Warning);
    assert!(
        lignite
            .message
            .contains("HS 2017: HS 2012 was in force on 2016-")
            && lignite.message.contains("found in HS 2022"),
        "{}",
        lignite.message
    );
}

#[test]
fn hs_8803_is_an_error_against_hs_2022_alone() {
    let hs2022 = embargo_fixtures::shared_or_skip!("data/harmonized-system/harmonized-system.csv");
    let mut n = Nomenclature::new();
    n.add_file(&hs2022).unwrap();
    assert_eq!(n.editions[0].year, Some(2022));
    let issues = Regime::validate_sources(bundled_sources(), Some(&n));
    let e = issues
        .iter()
        .find(|i| i.message.contains("HS 8803"))
        .unwrap_or_else(|| panic!("{issues:#?}"));
    assert_eq!(e.severity, Severity::Error);
    assert!(
        e.message
            .contains("HS 2022: HS 2017 was in force on 2017-12-22 and is not loaded"),
        "{}",
        e.message
    );
}
