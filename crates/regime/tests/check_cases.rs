//! Verdicts derived from the fact base (../shared/docs/regime-facts.md §A). Each case
//! names the fact it checks. Dates are New York adoption dates.

use embargo_regime::*;

fn regime() -> Regime {
    Regime::bundled().unwrap_or_else(|e| panic!("bundled regime must load: {e}"))
}

fn d(s: &str) -> chrono::NaiveDate {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_else(|_| panic!("bad test date {s}"))
}

fn ship(hs: &str, origin: &str, dest: &str, date: &str) -> Shipment {
    Shipment {
        hs: HsCode::parse(hs).unwrap_or_else(|e| panic!("{e}")),
        origin: Country::parse(origin).unwrap_or_else(|e| panic!("{e}")),
        destination: Country::parse(dest).unwrap_or_else(|e| panic!("{e}")),
        via: None,
        date: d(date),
        quantity: None,
        value_usd: None,
    }
}

fn check(r: &Regime, hs: &str, o: &str, de: &str, date: &str) -> Assessment {
    r.check(&ship(hs, o, de, date))
}

fn cites(a: &Assessment) -> Vec<String> {
    a.citations
        .iter()
        .map(|c| format!("{} {}", c.resolution, c.paragraph))
        .collect()
}

fn has_cite(a: &Assessment, res: &str, para: &str) -> bool {
    a.citations
        .iter()
        .any(|c| c.resolution == res && c.paragraph == para)
}

fn cond_kinds(a: &Assessment) -> Vec<ConditionKind> {
    a.conditions.iter().map(|c| c.kind).collect()
}

// ---- The issue's own examples ------------------------------------------------------

#[test]
fn coal_after_2371_is_prohibited_citing_2371_op8() {
    let a = check(&regime(), "2701", "KP", "CN", "2017-09-15");
    assert_eq!(a.verdict, Verdict::Prohibited, "{a:#?}");
    assert!(has_cite(&a, "2371", "8"), "{:?}", cites(&a));
    let c = a
        .citations
        .iter()
        .find(|c| c.resolution == "2371")
        .expect("2371 cited");
    assert_eq!(c.confidence, Confidence::Confirmed);
}

#[test]
fn coal_in_2016_is_conditional_under_the_livelihood_exception() {
    let a = check(&regime(), "2701", "KP", "CN", "2016-06-01");
    assert_eq!(a.verdict, Verdict::Conditional);
    assert!(has_cite(&a, "2270", "29"));
    assert!(has_cite(&a, "2270", "29(b)"));
    assert!(
        a.conditions
            .iter()
            .any(|c| c.kind == ConditionKind::Exception && c.text.contains("livelihood")),
        "{:#?}",
        a.conditions
    );
}

#[test]
fn computers_to_dprk_in_2018_are_prohibited_citing_2397() {
    let a = check(&regime(), "8471", "CN", "KP", "2018-06-01");
    assert_eq!(a.verdict, Verdict::Prohibited);
    assert!(has_cite(&a, "2397", "7"), "{:?}", cites(&a));
}

// ---- 1718 / 1874 / 2094: arms and luxury goods -------------------------------------

#[test]
fn tanks_to_dprk_prohibited_from_1718_adoption_day() {
    let r = regime();
    assert_eq!(
        check(&r, "8710", "RU", "KP", "2006-10-14").verdict,
        Verdict::Prohibited
    );
    assert_eq!(
        check(&r, "8710", "RU", "KP", "2006-10-13").verdict,
        Verdict::Permitted,
        "the day before adoption"
    );
}

#[test]
fn small_arms_to_dprk_in_2010_are_conditional_not_prohibited() {
    // 1874 OP10 banned all arms except small arms and light weapons (after notice).
    let a = check(&regime(), "9302", "RU", "KP", "2010-01-01");
    assert_eq!(a.verdict, Verdict::Conditional, "{a:#?}");
    assert!(has_cite(&a, "1874", "10"));
}

#[test]
fn small_arms_to_dprk_after_2270_are_prohibited() {
    let a = check(&regime(), "9302", "RU", "KP", "2016-03-02");
    assert_eq!(a.verdict, Verdict::Prohibited);
    assert!(has_cite(&a, "2270", "6"));
}

#[test]
fn arms_exports_from_dprk_in_2010_prohibited_by_1874_op9() {
    let a = check(&regime(), "9301", "KP", "IR", "2010-05-01");
    assert_eq!(a.verdict, Verdict::Prohibited);
    assert!(has_cite(&a, "1874", "9"));
}

#[test]
fn jewellery_to_dprk_after_2094_annex_iv() {
    let r = regime();
    let a = check(&r, "7113", "IT", "KP", "2013-03-07");
    assert_eq!(a.verdict, Verdict::Prohibited);
    assert!(has_cite(&a, "2094", "Annex IV"));
    let c = a
        .citations
        .iter()
        .find(|c| c.resolution == "2094")
        .expect("cited");
    assert_eq!(c.content_confidence, Confidence::Confirmed);
    assert_eq!(
        check(&r, "7113", "IT", "KP", "2013-03-06").verdict,
        Verdict::Permitted
    );
}

#[test]
fn cars_to_dprk_before_2397_are_conditional_luxury() {
    // 8703 holds luxury and ordinary cars: a match is "prohibited if luxury".
    let a = check(&regime(), "8703", "DE", "KP", "2015-01-01");
    assert_eq!(a.verdict, Verdict::Conditional);
    assert!(cond_kinds(&a).contains(&ConditionKind::HsScope));
}

#[test]
fn cars_to_dprk_after_2397_are_prohibited() {
    let a = check(&regime(), "870323", "DE", "KP", "2018-01-10");
    assert_eq!(a.verdict, Verdict::Prohibited);
    assert!(has_cite(&a, "2397", "7"));
}

#[test]
fn luxury_goods_without_hs_scope_are_named_as_unscoped() {
    let a = check(&regime(), "2204", "FR", "KP", "2010-01-01"); // wine
    assert_eq!(a.verdict, Verdict::Permitted);
    assert!(a
        .unscoped
        .iter()
        .any(|c| c.resolution == "1718" && c.paragraph == "8(a)(iii)"));
}

// ---- 2270 ---------------------------------------------------------------------------

#[test]
fn coal_the_day_before_2270_is_permitted() {
    assert_eq!(
        check(&regime(), "2701", "KP", "CN", "2016-03-01").verdict,
        Verdict::Permitted
    );
}

#[test]
fn coal_on_2270_adoption_day_is_conditional() {
    assert_eq!(
        check(&regime(), "2701", "KP", "CN", "2016-03-02").verdict,
        Verdict::Conditional
    );
}

#[test]
fn gold_from_dprk_after_2270_is_prohibited_by_op30() {
    let a = check(&regime(), "7108", "KP", "CN", "2016-04-01");
    assert_eq!(a.verdict, Verdict::Prohibited);
    assert!(has_cite(&a, "2270", "30"));
    assert_eq!(
        a.citations
            .iter()
            .find(|c| c.resolution == "2270")
            .map(|c| c.paragraph_confidence),
        Some(Confidence::Unconfirmed)
    );
}

#[test]
fn titanium_ore_prohibited_but_vanadium_heading_is_conditional() {
    let r = regime();
    assert_eq!(
        check(&r, "2614", "KP", "CN", "2016-04-01").verdict,
        Verdict::Prohibited
    );
    assert_eq!(
        check(&r, "2615", "KP", "CN", "2016-04-01").verdict,
        Verdict::Conditional
    );
}

#[test]
fn aviation_fuel_to_dprk_is_conditional_on_civil_aviation_and_scope() {
    let a = check(&regime(), "271019", "CN", "KP", "2016-05-01");
    assert_eq!(a.verdict, Verdict::Conditional);
    assert!(has_cite(&a, "2270", "31"));
}

#[test]
fn iron_ore_in_2016_is_conditional_livelihood() {
    let a = check(&regime(), "2601", "KP", "CN", "2016-06-01");
    assert_eq!(a.verdict, Verdict::Conditional);
    assert!(has_cite(&a, "2270", "29(b)"));
}

#[test]
fn rajin_transit_of_russian_coal_is_conditional_not_prohibited() {
    let r = regime();
    let mut s = ship("2701", "RU", "CN", "2018-03-01");
    s.via = Some(Country::DPRK);
    let a = r.check(&s);
    assert_eq!(a.verdict, Verdict::Conditional, "{a:#?}");
    assert!(a
        .conditions
        .iter()
        .any(|c| c.kind == ConditionKind::Exception && c.citation == "2371 OP8"));
}

#[test]
fn dprk_origin_coal_via_rajin_gets_no_transit_exception() {
    let mut s = ship("2701", "KP", "CN", "2018-03-01");
    s.via = Some(Country::DPRK);
    assert_eq!(regime().check(&s).verdict, Verdict::Prohibited);
}

// ---- 2321: the coal cap -------------------------------------------------------------

#[test]
fn coal_in_2017_is_conditional_under_the_2321_cap_whichever_first() {
    let a = check(&regime(), "2701", "KP", "CN", "2017-03-01");
    assert_eq!(a.verdict, Verdict::Conditional);
    let cap = a
        .conditions
        .iter()
        .find(|c| c.kind == ConditionKind::Cap)
        .expect("cap condition");
    assert_eq!(cap.citation, "2321 OP26");
    assert!(
        cap.text.contains("400,870,018 USD")
            && cap.text.contains("7,500,000 t")
            && cap.text.contains("whichever is reached first"),
        "{}",
        cap.text
    );
    assert!(
        !a.conditions
            .iter()
            .any(|c| c.measure == "2270-29b-livelihood-coal"),
        "2321 replaced 29(b) for coal"
    );
}

#[test]
fn coal_cap_for_the_rest_of_2016_uses_the_smaller_window() {
    let a = check(&regime(), "2701", "KP", "CN", "2016-12-15");
    let cap = a
        .conditions
        .iter()
        .find(|c| c.kind == ConditionKind::Cap)
        .expect("cap");
    assert!(
        cap.text.contains("53,495,894 USD") && cap.text.contains("1,000,866 t"),
        "{}",
        cap.text
    );
}

#[test]
fn one_shipment_over_the_tonnage_cap_is_prohibited_even_under_the_value_cap() {
    let mut s = ship("2701", "KP", "CN", "2017-03-01");
    s.quantity = Some(Quantity {
        amount: 8_000_000.0,
        unit: QuantityUnit::Tonnes,
    });
    s.value_usd = Some(300_000_000.0);
    let a = regime().check(&s);
    assert_eq!(
        a.verdict,
        Verdict::Prohibited,
        "whichever limit is reached first binds: {a:#?}"
    );
    assert!(a.notes.iter().any(|n| n.contains("exceeds")));
}

#[test]
fn one_shipment_over_the_value_cap_is_prohibited_even_under_the_tonnage_cap() {
    let mut s = ship("2701", "KP", "CN", "2017-03-01");
    s.quantity = Some(Quantity {
        amount: 1_000.0,
        unit: QuantityUnit::Kg,
    });
    s.value_usd = Some(400_870_019.0);
    assert_eq!(regime().check(&s).verdict, Verdict::Prohibited);
}

#[test]
fn statues_and_copper_prohibited_after_2321() {
    let r = regime();
    let a = check(&r, "7403", "KP", "CN", "2016-12-01");
    assert_eq!(a.verdict, Verdict::Prohibited);
    assert!(has_cite(&a, "2321", "28"));
    let s = check(&r, "9703", "KP", "NA", "2016-12-01");
    assert_eq!(
        s.verdict,
        Verdict::Conditional,
        "9703 is broader than statues"
    );
    assert!(has_cite(&s, "2321", "29"));
}

#[test]
fn new_helicopters_to_dprk_after_2321() {
    let a = check(&regime(), "880212", "RU", "KP", "2017-01-01");
    assert!(has_cite(&a, "2321", "30"));
}

// ---- 2371 ---------------------------------------------------------------------------

#[test]
fn coal_during_the_2371_wind_down_is_conditional() {
    let a = check(&regime(), "2701", "KP", "CN", "2017-08-20");
    assert_eq!(a.verdict, Verdict::Conditional);
    assert!(
        a.conditions
            .iter()
            .any(|c| c.kind == ConditionKind::WindDown && c.text.contains("2017-09-04")),
        "{:#?}",
        a.conditions
    );
    assert!(
        !a.conditions.iter().any(|c| c.kind == ConditionKind::Cap),
        "2371 replaced the cap"
    );
}

#[test]
fn wind_down_boundary_last_day_and_day_after() {
    let r = regime();
    assert_eq!(
        check(&r, "2701", "KP", "CN", "2017-09-04").verdict,
        Verdict::Conditional
    );
    assert_eq!(
        check(&r, "2701", "KP", "CN", "2017-09-05").verdict,
        Verdict::Prohibited
    );
}

#[test]
fn seafood_prohibited_from_2371_adoption_and_permitted_before() {
    let r = regime();
    let a = check(&r, "030749", "KP", "CN", "2017-08-05");
    assert_eq!(a.verdict, Verdict::Prohibited);
    assert!(has_cite(&a, "2371", "9"));
    assert_eq!(
        check(&r, "030749", "KP", "CN", "2017-08-04").verdict,
        Verdict::Permitted
    );
}

#[test]
fn lead_prohibited_by_2371_op10() {
    let a = check(&regime(), "2607", "KP", "CN", "2017-10-01");
    assert_eq!(a.verdict, Verdict::Prohibited);
    assert!(has_cite(&a, "2371", "10"));
}

// ---- 2375 ---------------------------------------------------------------------------

#[test]
fn textiles_in_the_90_day_wind_down_then_prohibited() {
    let r = regime();
    let during = check(&r, "6203", "KP", "CN", "2017-11-01");
    assert_eq!(during.verdict, Verdict::Conditional);
    assert!(during
        .conditions
        .iter()
        .any(|c| c.kind == ConditionKind::WindDown && c.text.contains("2017-12-10")));
    assert_eq!(
        check(&r, "6203", "KP", "CN", "2017-12-10").verdict,
        Verdict::Conditional
    );
    let after = check(&r, "6203", "KP", "CN", "2017-12-11");
    assert_eq!(after.verdict, Verdict::Prohibited);
    assert!(has_cite(&after, "2375", "16"));
    assert_eq!(
        check(&r, "6203", "KP", "CN", "2017-09-10").verdict,
        Verdict::Permitted
    );
}

#[test]
fn textile_chapter_range_covers_50_and_63_but_not_64() {
    let r = regime();
    assert_eq!(
        check(&r, "50", "KP", "CN", "2018-06-01").verdict,
        Verdict::Prohibited
    );
    assert_eq!(
        check(&r, "630900", "KP", "CN", "2018-06-01").verdict,
        Verdict::Prohibited
    );
    assert_eq!(
        check(&r, "6403", "KP", "CN", "2018-06-01").verdict,
        Verdict::Permitted
    );
}

#[test]
fn refined_petroleum_cap_2375_then_2397() {
    let r = regime();
    // Before 1 Oct 2017 only 2270 OP31 touches 2710 (the heading holds jet fuel): conditional
    // on what the oil is, with no 2375 cap yet.
    let sept = check(&r, "2710", "CN", "KP", "2017-09-20");
    assert_eq!(sept.verdict, Verdict::Conditional);
    assert!(
        has_cite(&sept, "2270", "31") && !has_cite(&sept, "2375", "14"),
        "{:?}",
        cites(&sept)
    );
    assert_eq!(
        check(&r, "271020", "CN", "KP", "2017-09-20").verdict,
        Verdict::Permitted,
        "2375 limits start 1 Oct 2017"
    );
    let q4 = check(&r, "2710", "CN", "KP", "2017-11-01");
    assert_eq!(q4.verdict, Verdict::Conditional);
    assert!(q4
        .conditions
        .iter()
        .any(|c| c.citation == "2375 OP14" && c.text.contains("500,000 bbl")));
    let y18 = check(&r, "2710", "CN", "KP", "2018-03-01");
    assert!(y18
        .conditions
        .iter()
        .any(|c| c.citation == "2397 OP5" && c.text.contains("500,000 bbl")));
    assert!(
        !y18.conditions.iter().any(|c| c.citation == "2375 OP14"),
        "2397 OP5 superseded the 2M bbl cap"
    );
}

#[test]
fn a_single_refined_petroleum_cargo_over_the_annual_cap_is_prohibited() {
    let mut s = ship("2710", "RU", "KP", "2019-05-01");
    s.quantity = Some(Quantity {
        amount: 600_000.0,
        unit: QuantityUnit::Barrels,
    });
    assert_eq!(regime().check(&s).verdict, Verdict::Prohibited);
    s.quantity = Some(Quantity {
        amount: 60_000.0,
        unit: QuantityUnit::Barrels,
    });
    assert_eq!(regime().check(&s).verdict, Verdict::Conditional);
}

#[test]
fn condensates_to_dprk_conditional_on_scope_after_2375() {
    let a = check(&regime(), "2711", "QA", "KP", "2017-10-01");
    assert_eq!(a.verdict, Verdict::Conditional);
    assert!(has_cite(&a, "2375", "13"));
}

#[test]
fn crude_to_dprk_under_2397_cap_with_both_limits() {
    let a = check(&regime(), "2709", "CN", "KP", "2018-06-01");
    let cap = a
        .conditions
        .iter()
        .find(|c| c.citation == "2397 OP4")
        .expect("2397 OP4 cap");
    assert!(
        cap.text.contains("4,000,000 bbl")
            && cap.text.contains("525,000 t")
            && cap.text.contains("2017-12-22..2018-12-21"),
        "{}",
        cap.text
    );
}

// ---- 2397 ---------------------------------------------------------------------------

#[test]
fn dprk_exports_banned_by_2397_op6_for_each_chapter() {
    let r = regime();
    for hs in ["12", "0805", "0703", "8407", "8501", "2519", "4403", "8901"] {
        let a = check(&r, hs, "KP", "CN", "2018-01-15");
        assert_eq!(a.verdict, Verdict::Prohibited, "HS {hs}");
        assert!(has_cite(&a, "2397", "6"), "HS {hs}: {:?}", cites(&a));
    }
    assert_eq!(
        check(&r, "0805", "KP", "CN", "2017-12-21").verdict,
        Verdict::Permitted,
        "day before 2397"
    );
}

#[test]
fn metals_to_dprk_in_2397_range_72_83() {
    let r = regime();
    assert_eq!(
        check(&r, "7208", "CN", "KP", "2018-02-01").verdict,
        Verdict::Prohibited
    );
    assert_eq!(
        check(&r, "8301", "CN", "KP", "2018-02-01").verdict,
        Verdict::Prohibited
    );
    assert_eq!(
        check(&r, "8401", "CN", "KP", "2018-02-01").verdict,
        Verdict::Prohibited
    );
    assert_eq!(
        check(&r, "7101", "CN", "KP", "2018-02-01").verdict,
        Verdict::Permitted,
        "chapter 71 is outside 72-83"
    );
}

#[test]
fn aircraft_spare_parts_are_conditional_under_2397() {
    let a = check(&regime(), "880330", "RU", "KP", "2018-02-01");
    assert_eq!(a.verdict, Verdict::Conditional, "{a:#?}");
    assert!(a
        .conditions
        .iter()
        .any(|c| c.kind == ConditionKind::Exception && c.citation == "2397 OP7"));
}

#[test]
fn same_code_both_directions_differ() {
    // Computers: DPRK exports banned by 2397 OP6; imports by OP7.
    let r = regime();
    assert!(has_cite(
        &check(&r, "8471", "KP", "CN", "2018-06-01"),
        "2397",
        "6"
    ));
    assert!(has_cite(
        &check(&r, "8471", "CN", "KP", "2018-06-01"),
        "2397",
        "7"
    ));
}

#[test]
fn food_to_the_dprk_is_permitted() {
    // 2397 OP6 bans DPRK exports of HS 07/08/12, not supplies of food to the DPRK.
    let a = check(&regime(), "1001", "CN", "KP", "2019-01-01");
    assert_eq!(a.verdict, Verdict::Permitted);
    assert!(a.citations.is_empty());
}

// ---- HS granularity -----------------------------------------------------------------

#[test]
fn chapter_27_is_coarser_than_coal_and_conditional() {
    let a = check(&regime(), "27", "KP", "CN", "2018-01-01");
    assert_eq!(a.verdict, Verdict::Conditional);
    assert!(a
        .findings
        .iter()
        .any(|f| f.hs_match == HsMatch::Coarser && f.measure == "2371-8-coal-iron"));
}

#[test]
fn coal_subheading_and_heading_agree() {
    let r = regime();
    for hs in ["2701", "270111", "270112", "2701.19"] {
        assert_eq!(
            check(&r, hs, "KP", "CN", "2018-01-01").verdict,
            Verdict::Prohibited,
            "{hs}"
        );
    }
}

#[test]
fn trade_between_third_countries_is_out_of_scope() {
    let a = check(&regime(), "2701", "AU", "CN", "2018-01-01");
    assert_eq!(a.verdict, Verdict::Permitted);
    assert!(a.directions.is_empty());
    assert!(!a.notes.is_empty());
}

// ---- Bad input ------------------------------------------------------------------------

#[test]
fn malformed_hs_codes_are_errors() {
    assert!(matches!(HsCode::parse("27O1"), Err(HsError::NotDigits(_))));
    assert!(matches!(
        HsCode::parse("270"),
        Err(HsError::BadLength(_, 3))
    ));
    assert!(matches!(
        HsCode::parse("2701121"),
        Err(HsError::BadLength(_, 7))
    ));
    assert!(matches!(HsCode::parse(""), Err(HsError::Empty)));
    assert!(matches!(HsCode::parse("00"), Err(HsError::ChapterZero(_))));
    assert_eq!(
        HsCode::parse_truncating("27011200").map(|h| h.to_string()),
        Ok("270112".to_string())
    );
}

#[test]
fn unknown_countries_are_errors() {
    assert!(Country::parse("XX").is_err());
    assert!(Country::parse("NK").is_err(), "NK is not the DPRK's code");
    assert_eq!(
        Country::parse("prk").map(|c| c.code().to_string()),
        Ok("KP".to_string())
    );
    assert_eq!(Country::parse("kp").map(|c| c.is_dprk()), Ok(true));
}

#[test]
fn impossible_dates_are_rejected_by_the_fast_parser() {
    assert!(parse_date_fast(b"2017-02-30").is_none());
    assert!(parse_date_fast(b"2017-13-01").is_none());
    assert!(parse_date_fast(b"17-09-15").is_none());
    assert_eq!(parse_date_fast(b"2016-02-29"), Some(d("2016-02-29")));
}

// ---- Queries ------------------------------------------------------------------------

#[test]
fn in_force_and_diff_across_2371() {
    let r = regime();
    let diff = r.diff(d("2017-08-04"), d("2017-08-05"));
    let added: Vec<&str> = diff.added.iter().map(|c| c.measure.id.as_str()).collect();
    let removed: Vec<(&str, Option<&str>)> = diff
        .removed
        .iter()
        .map(|c| (c.measure.id.as_str(), c.superseded_by.as_deref()))
        .collect();
    assert!(
        added.contains(&"2371-8-coal-iron") && added.contains(&"2371-9-seafood"),
        "{added:?}"
    );
    assert!(
        removed.contains(&("2321-26-coal-cap", Some("2371-8-coal-iron"))),
        "{removed:?}"
    );
    assert!(r.in_force(d("2006-10-13")).is_empty());
    assert!(r
        .in_force(d("2006-10-14"))
        .iter()
        .all(|m| m.resolution == "1718"));
}

#[test]
fn paragraph_lookup_finds_sub_paragraphs() {
    let r = regime();
    let ids: Vec<&str> = r
        .paragraph("2270", "29")
        .iter()
        .map(|m| m.id.as_str())
        .collect();
    assert!(
        ids.contains(&"2270-29-coal") && ids.contains(&"2270-29b-livelihood-coal"),
        "{ids:?}"
    );
    assert_eq!(r.paragraph("2371", "OP9").len(), 1);
}

#[test]
fn designation_measures_for_screening() {
    let r = regime();
    let ind: Vec<&str> = r
        .designation_measures(TargetKind::Individual, None)
        .iter()
        .map(|m| m.id.as_str())
        .collect();
    assert_eq!(ind, vec!["1718-8d-asset-freeze", "1718-8e-travel-ban"]);
    let ves: Vec<&str> = r
        .designation_measures(TargetKind::Vessel, Some(d("2018-01-01")))
        .iter()
        .map(|m| m.id.as_str())
        .collect();
    assert!(
        ves.contains(&"2371-6-vessels") && ves.contains(&"2397-9-maritime"),
        "{ves:?}"
    );
}

#[test]
fn unconfirmed_facts_stay_unconfirmed() {
    let r = regime();
    // regime-facts.md A.10: 2397 OP7's number and HS ranges are [U].
    let m = r.measure("2397-7-imports").expect("present");
    assert_eq!(m.paragraph_confidence, Confidence::Unconfirmed);
    assert!(m
        .hs_scope()
        .iter()
        .all(|e| e.confidence == Confidence::Unconfirmed));
    // A.9: ship-to-ship transfers [U].
    assert_eq!(
        r.measure("2375-11-ship-to-ship").map(|m| m.confidence),
        Some(Confidence::Unconfirmed)
    );
    // Every measure cites a source.
    assert!(r.measures().iter().all(|m| !m.sources.is_empty()));
}

#[test]
fn every_resolution_of_the_regime_is_present_with_its_adoption_date() {
    let r = regime();
    let got: Vec<(String, String)> = r
        .resolutions()
        .iter()
        .map(|x| (x.number.clone(), x.adopted.to_string()))
        .collect();
    let want = [
        ("1718", "2006-10-14"),
        ("1874", "2009-06-12"),
        ("2087", "2013-01-22"),
        ("2094", "2013-03-07"),
        ("2270", "2016-03-02"),
        ("2321", "2016-11-30"),
        ("2356", "2017-06-02"),
        ("2371", "2017-08-05"),
        ("2375", "2017-09-11"),
        ("2397", "2017-12-22"),
    ];
    assert_eq!(
        got,
        want.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect::<Vec<_>>()
    );
}
