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
fn jewellery_to_dprk_after_2094_op23_annex_iv() {
    // §F.2: OP23 makes the items of Annex IV luxury goods; the number is confirmed.
    let r = regime();
    let a = check(&r, "7113", "IT", "KP", "2013-03-07");
    assert_eq!(a.verdict, Verdict::Prohibited);
    assert!(has_cite(&a, "2094", "23"), "{:?}", cites(&a));
    let c = a
        .citations
        .iter()
        .find(|c| c.resolution == "2094")
        .expect("cited");
    assert_eq!(c.content_confidence, Confidence::Confirmed);
    assert_eq!(c.paragraph_confidence, Confidence::Confirmed);
    assert!(c.title.contains("Annex IV"));
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
    // §F.2: the 2017 cap is OP26(b), confirmed.
    assert_eq!(cap.citation, "2321 OP26(b)");
    assert_eq!(cap.confidence, Confidence::Confirmed);
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
    // No source gives the sub-paragraph of the 2016 limits: plain OP26, partly confirmed.
    assert_eq!(cap.citation, "2321 OP26");
    assert_eq!(cap.confidence, Confidence::Partly);
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
    assert!(a
        .notes
        .iter()
        .any(|n| n.contains("this shipment alone (8,000,000 t) exceeds the limit of 7,500,000 t")));
    // Over the cap, neither the cap nor the livelihood wording under it is a condition
    // the shipment could meet.
    assert!(
        !a.conditions
            .iter()
            .any(|c| c.text.contains("within the cap")),
        "{:#?}",
        a.conditions
    );
    assert!(a.citations.iter().any(|c| c.measure == "2321-26-coal-cap"));
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
fn coal_from_the_dprk_during_the_2371_wind_down_is_prohibited() {
    // §F.1: 2371 OP8's 30-day wind-down covers iron and iron ore only; coal is banned from
    // adoption (5 August 2017), with no wind-down.
    let a = check(&regime(), "2701", "KP", "CN", "2017-08-20");
    assert_eq!(a.verdict, Verdict::Prohibited, "{a:#?}");
    assert!(has_cite(&a, "2371", "8"), "{:?}", cites(&a));
    assert!(
        !a.conditions
            .iter()
            .any(|c| c.kind == ConditionKind::WindDown),
        "{:#?}",
        a.conditions
    );
    assert!(
        !a.conditions.iter().any(|c| c.kind == ConditionKind::Cap),
        "2371 replaced the cap"
    );
    assert!(!a.rests_on_unconfirmed);
    for date in ["2017-08-05", "2017-09-04", "2017-09-05"] {
        assert_eq!(
            check(&regime(), "2702", "KP", "CN", date).verdict,
            Verdict::Prohibited,
            "lignite on {date}"
        );
    }
    // The day before 2371: under the 2321 cap.
    assert_eq!(
        check(&regime(), "2701", "KP", "CN", "2017-08-04").verdict,
        Verdict::Conditional
    );
}

#[test]
fn iron_ore_during_the_2371_wind_down_is_conditional() {
    let a = check(&regime(), "2601", "KP", "CN", "2017-08-20");
    assert_eq!(a.verdict, Verdict::Conditional, "{a:#?}");
    let w = a
        .conditions
        .iter()
        .find(|c| c.kind == ConditionKind::WindDown)
        .expect("wind-down condition");
    assert_eq!(w.citation, "2371 OP8");
    assert!(
        w.text.contains("iron and iron ore")
            && w.text.contains("45 days")
            && w.text.contains("2017-09-04"),
        "{}",
        w.text
    );
    // Steel under chapter 72 ("iron"): the wind-down fits too (the code is broader).
    let steel = check(&regime(), "7206", "KP", "CN", "2017-08-20");
    assert!(steel
        .conditions
        .iter()
        .any(|c| c.kind == ConditionKind::WindDown));
}

#[test]
fn coal_through_rajin_stays_conditional_after_2371() {
    // The only relaxation of the coal ban left in 2371 OP8: non-DPRK coal through Rajin.
    let mut s = ship("2701", "RU", "CN", "2017-08-20");
    s.via = Some(Country::DPRK);
    let a = regime().check(&s);
    assert_eq!(a.verdict, Verdict::Conditional);
    assert!(a
        .conditions
        .iter()
        .all(|c| c.kind != ConditionKind::WindDown));
}

#[test]
fn wind_down_boundary_last_day_and_day_after() {
    let r = regime();
    assert_eq!(
        check(&r, "2601", "KP", "CN", "2017-09-04").verdict,
        Verdict::Conditional
    );
    assert_eq!(
        check(&r, "2601", "KP", "CN", "2017-09-05").verdict,
        Verdict::Prohibited
    );
}

#[test]
fn iron_ore_uses_china_s_national_mapping() {
    // §F.2: China MOFCOM/GAC 2017 No. 40 maps coal to 2701 and 2702, iron ore to 2601.
    let r = regime();
    let m = r.measure("2371-8-coal-iron").expect("present");
    for code in ["2701", "2702", "2601"] {
        let e = m
            .hs_scope()
            .iter()
            .find(|e| e.spec.to_string() == code)
            .unwrap_or_else(|| panic!("{code}"));
        assert_eq!(e.provenance, HsProvenance::ChinaMofcom, "{code}");
        assert_eq!(e.confidence, Confidence::Confirmed, "{code}");
    }
    let coke = m
        .hs_scope()
        .iter()
        .find(|e| e.spec.to_string() == "2704")
        .expect("2704");
    assert_eq!(coke.provenance, HsProvenance::Analyst);
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
        let a = check(&r, hs, "KP", "CN", "2018-01-22");
        assert_eq!(a.verdict, Verdict::Prohibited, "HS {hs}");
        assert!(has_cite(&a, "2397", "6"), "HS {hs}: {:?}", cites(&a));
        assert!(!a.rests_on_unconfirmed, "HS {hs}");
    }
    assert_eq!(
        check(&r, "0805", "KP", "CN", "2017-12-21").verdict,
        Verdict::Permitted,
        "day before 2397"
    );
}

#[test]
fn the_2397_op6_wind_down_runs_30_days() {
    // §F.2: 30 days for imports under prior written contracts, notified within 45 days.
    let r = regime();
    for date in ["2017-12-22", "2018-01-15", "2018-01-21"] {
        let a = check(&r, "4403", "KP", "CN", date);
        assert_eq!(a.verdict, Verdict::Conditional, "{date}");
        let w = a
            .conditions
            .iter()
            .find(|c| c.kind == ConditionKind::WindDown)
            .expect("wind-down");
        assert_eq!(w.citation, "2397 OP6");
        assert!(
            w.text.contains("2018-01-21") && w.text.contains("45 days"),
            "{}",
            w.text
        );
    }
    assert_eq!(
        check(&r, "4403", "KP", "CN", "2018-01-22").verdict,
        Verdict::Prohibited
    );
}

#[test]
fn fishing_rights_cite_2397_op6() {
    // §F.1: the fishing-rights ban is in OP6, as a clarification of 2371 OP9.
    let r = regime();
    assert!(r.measure("2397-9-fishing-rights").is_none());
    let m = r.measure("2397-6-fishing-rights").expect("present");
    assert_eq!(m.short_citation(), "2397 OP6");
    assert_eq!(m.paragraph_confidence, Confidence::Confirmed);
    assert!(m.title.contains("2371 OP9"));
    assert!(r
        .paragraph("2397", "6")
        .iter()
        .any(|m| m.id == "2397-6-fishing-rights"));
    assert!(!r
        .paragraph("2397", "9")
        .iter()
        .any(|m| matches!(m.kind, MeasureKind::Services { .. })));
    // 2371 OP9 (seafood) is confirmed by that citation.
    assert_eq!(
        r.measure("2371-9-seafood").map(|m| m.paragraph_confidence),
        Some(Confidence::Confirmed)
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
    // §F.2: ship-to-ship transfers: the content is confirmed, OP11 is not.
    let sts = r.measure("2375-11-ship-to-ship").expect("present");
    assert_eq!(sts.confidence, Confidence::Confirmed);
    assert_eq!(sts.paragraph_confidence, Confidence::Unconfirmed);
    // §F.1: the small-arms paragraph stays unconfirmed.
    assert_eq!(
        r.measure("2270-6-arms").map(|m| m.paragraph_confidence),
        Some(Confidence::Unconfirmed)
    );
    // §F.3: 1718 OP8(b) is still open.
    assert_eq!(
        r.measure("1718-8b-arms-export")
            .map(|m| m.paragraph_confidence),
        Some(Confidence::Partly)
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

// ---- Corrections and confirmations of the fact base (§F) ------------------------------

fn with_value(hs: &str, o: &str, de: &str, date: &str, value: Option<f64>) -> Assessment {
    let mut s = ship(hs, o, de, date);
    s.value_usd = value;
    regime().check(&s)
}

#[test]
fn a_rug_without_a_value_is_conditional_naming_usd_500() {
    // §F.1: 2321's luxury items carry value thresholds (rugs and tapestries over USD 500).
    let a = with_value("5701", "CN", "KP", "2017-01-01", None);
    assert_eq!(a.verdict, Verdict::Conditional, "{a:#?}");
    let c = a
        .conditions
        .iter()
        .find(|c| c.kind == ConditionKind::ValueThreshold)
        .expect("value condition");
    assert_eq!(c.citation, "2321 OP5");
    assert!(c.text.contains("USD 500"), "{}", c.text);
    // The day before 2321: not a listed luxury item yet.
    assert_eq!(
        with_value("5701", "CN", "KP", "2016-11-29", None).verdict,
        Verdict::Permitted
    );
}

#[test]
fn a_rug_at_usd_400_is_not_covered_and_at_usd_900_is_prohibited() {
    let cheap = with_value("5701", "CN", "KP", "2017-01-01", Some(400.0));
    assert_eq!(cheap.verdict, Verdict::Permitted, "{cheap:#?}");
    assert!(cheap.citations.is_empty());
    assert!(
        cheap
            .notes
            .iter()
            .any(|n| n.contains("2321 OP5") && n.contains("USD 500") && n.contains("USD 400")),
        "{:?}",
        cheap.notes
    );
    let at = with_value("5701", "CN", "KP", "2017-01-01", Some(500.0));
    assert_eq!(
        at.verdict,
        Verdict::Permitted,
        "'over USD 500' excludes 500"
    );
    let dear = with_value("5701", "CN", "KP", "2017-01-01", Some(900.0));
    assert_eq!(dear.verdict, Verdict::Prohibited, "{dear:#?}");
    assert!(has_cite(&dear, "2321", "5"));
    // OP5's number is unconfirmed, and the verdict rests on nothing else.
    assert!(dear.rests_on_unconfirmed);
    assert_eq!(dear.confidence, Some(Confidence::Unconfirmed));
    // Tapestries share the threshold.
    assert_eq!(
        with_value("5805", "CN", "KP", "2017-01-01", Some(900.0)).verdict,
        Verdict::Prohibited
    );
}

#[test]
fn porcelain_tableware_threshold_is_usd_100() {
    let none = with_value("691110", "CN", "KP", "2017-01-01", None);
    assert_eq!(none.verdict, Verdict::Conditional);
    assert!(none
        .conditions
        .iter()
        .any(|c| c.kind == ConditionKind::ValueThreshold && c.text.contains("USD 100")));
    assert_eq!(
        with_value("691110", "CN", "KP", "2017-01-01", Some(60.0)).verdict,
        Verdict::Permitted
    );
    // Over the threshold, 6911 still holds kitchenware and toilet articles: conditional on
    // the goods being tableware.
    let over = with_value("691110", "CN", "KP", "2017-01-01", Some(150.0));
    assert_eq!(over.verdict, Verdict::Conditional);
    assert!(over
        .conditions
        .iter()
        .any(|c| c.kind == ConditionKind::HsScope));
}

#[test]
fn textile_wind_down_ends_10_december_and_names_the_11_december_reading() {
    // §F.2: 90 days from 11 September 2017; China reads 10 December, the Korean notice 11.
    let r = regime();
    let before = check(&r, "6203", "KP", "CN", "2017-12-09");
    assert_eq!(before.verdict, Verdict::Conditional);
    assert!(before
        .conditions
        .iter()
        .all(|c| !c.text.contains("2017-12-11")));
    let tenth = check(&r, "6203", "KP", "CN", "2017-12-10");
    assert_eq!(tenth.verdict, Verdict::Conditional);
    assert!(
        tenth
            .conditions
            .iter()
            .any(|c| c.kind == ConditionKind::WindDown
                && c.text.contains("2017-12-10")
                && c.text.contains("2017-12-11")
                && c.text.contains("KOFOTI")),
        "{:#?}",
        tenth.conditions
    );
    let eleventh = check(&r, "6203", "KP", "CN", "2017-12-11");
    assert_eq!(eleventh.verdict, Verdict::Prohibited);
    let other = eleventh
        .conditions
        .iter()
        .find(|c| c.kind == ConditionKind::WindDown)
        .expect("the other reading is named on 11 December");
    assert!(
        other.text.contains("2017-12-11") && other.text.contains("ban applies"),
        "{}",
        other.text
    );
    assert!(has_cite(&eleventh, "2375", "16"));
    assert!(
        eleventh
            .citations
            .iter()
            .all(|c| c.measure != "2375-16-wind-down"),
        "a wind-down that has ended is not cited"
    );
    let twelfth = check(&r, "6203", "KP", "CN", "2017-12-12");
    assert_eq!(twelfth.verdict, Verdict::Prohibited);
    assert!(twelfth.conditions.is_empty(), "{:#?}", twelfth.conditions);
    let m = r.measure("2375-16-wind-down").expect("present");
    assert_eq!(m.effective_until, Some(d("2017-12-10")));
    assert!(m
        .notes
        .as_deref()
        .is_some_and(|n| n.contains("11 December")));
    assert_eq!(m.confidence, Confidence::Confirmed);
}

#[test]
fn a_verdict_resting_only_on_unconfirmed_paragraphs_says_so() {
    let r = regime();
    // Small arms after 2270: prohibited by the small-arms paragraph, whose number (OP6?) is
    // unconfirmed; the other arms measures only match chapter 93 partially.
    let a = check(&r, "9302", "RU", "KP", "2016-03-02");
    assert_eq!(a.verdict, Verdict::Prohibited);
    assert!(a.rests_on_unconfirmed, "{a:#?}");
    assert_eq!(a.confidence, Some(Confidence::Unconfirmed));
    // Gold: 2270 OP30, number unconfirmed.
    assert!(check(&r, "7108", "KP", "CN", "2016-04-01").rests_on_unconfirmed);
    // Coal after 2371: confirmed.
    let coal = check(&r, "2701", "KP", "CN", "2017-09-15");
    assert!(!coal.rests_on_unconfirmed);
    assert_eq!(coal.confidence, Some(Confidence::Confirmed));
    // Conditional on the 2321 cap: the 2270 OP29 ban is confirmed.
    let capped = check(&r, "2701", "KP", "CN", "2017-03-01");
    assert_eq!(capped.confidence, Some(Confidence::Confirmed));
    // Permitted: no confidence to claim, nothing resting on anything.
    let food = check(&r, "1001", "CN", "KP", "2019-01-01");
    assert_eq!(food.confidence, None);
    assert!(!food.rests_on_unconfirmed);
}

#[test]
fn the_2270_op8_catch_all_is_a_list_defined_measure() {
    // §F.1: OP8 is the catch-all on items for the DPRK's armed forces, not the small-arms
    // paragraph; it has no HS scope, so checks name it as unscoped.
    let r = regime();
    let m = r.measure("2270-8-catch-all").expect("present");
    assert_eq!(m.paragraph, "8");
    assert_eq!(m.paragraph_confidence, Confidence::Confirmed);
    assert!(m.hs_scope().is_empty());
    let a = check(&r, "8708", "CN", "KP", "2016-06-01");
    assert!(a
        .unscoped
        .iter()
        .any(|c| c.resolution == "2270" && c.paragraph == "8"));
    assert!(!check(&r, "8708", "CN", "KP", "2016-03-01")
        .unscoped
        .iter()
        .any(|c| c.resolution == "2270"));
}

#[test]
fn the_2321_op12_vessel_designation_is_what_the_vessel_list_cites() {
    // §F.1: the 1718 vessel list cites 2321 "12 (a)" and "12 (d)".
    let r = regime();
    let ves: Vec<&str> = r
        .designation_measures(TargetKind::Vessel, Some(d("2018-01-01")))
        .iter()
        .map(|m| m.id.as_str())
        .collect();
    assert!(
        ves.contains(&"2321-12a-deflag") && ves.contains(&"2321-12d-asset-freeze"),
        "{ves:?}"
    );
    assert_eq!(r.paragraph("2321", "12(a)").len(), 1);
    assert_eq!(r.paragraph("2321", "12(d)").len(), 1);
    assert_eq!(r.paragraph("2321", "12").len(), 3);
    let flagging = r.measure("2321-9-flagging").expect("present");
    assert_eq!(flagging.paragraph, "9-11");
    assert_eq!(flagging.paragraph_confidence, Confidence::Unconfirmed);
}

#[test]
fn newly_confirmed_paragraphs_carry_their_sources() {
    let r = regime();
    for (id, para) in [
        ("1718-8a-arms", "8(a)(i)"),
        ("1718-8a-wmd", "8(a)(ii)"),
        ("1874-12-high-seas-inspection", "12"),
        ("1874-17-bunkering", "17"),
        ("2094-22-catch-all", "22"),
        ("2094-annexIV-luxury", "23"),
        ("2270-18-inspection", "18"),
        ("2321-26-coal-cap", "26(b)"),
        ("2371-9-seafood", "9"),
        ("2375-7-inspection", "7"),
        ("2375-16-textiles", "16"),
        ("2397-6-exports", "6"),
    ] {
        let m = r.measure(id).unwrap_or_else(|| panic!("{id}"));
        assert_eq!(m.paragraph, para, "{id}");
        assert_eq!(m.paragraph_confidence, Confidence::Confirmed, "{id}");
        assert_eq!(m.confidence, Confidence::Confirmed, "{id}");
        assert!(
            m.sources.iter().all(|s| !s.contains("regime-facts")),
            "{id} cites the original sources"
        );
    }
    // 2094 OP22 is permissive and about supplies to the DPRK.
    let op22 = r.measure("2094-22-catch-all").expect("present");
    assert_eq!(op22.directions(), &[Direction::ToDprk]);
    assert!(op22.title.contains("permissive"));
    assert!(!check(&r, "2701", "KP", "CN", "2014-01-01")
        .unscoped
        .iter()
        .any(|c| c.resolution == "2094" && c.paragraph == "22"));
}

#[test]
fn confidence_summary_keeps_the_open_paragraphs_in_sight() {
    let r = regime();
    let rows = r.confidence_summary();
    assert_eq!(rows.len(), 10);
    let row = |n: &str| {
        rows.iter()
            .find(|x| x.resolution == n)
            .unwrap_or_else(|| panic!("{n}"))
    };
    let r2270 = row("2270");
    assert_eq!(
        r2270.measures,
        r.measures()
            .iter()
            .filter(|m| m.resolution == "2270")
            .count()
    );
    assert_eq!(
        r2270.paragraph.confirmed + r2270.paragraph.partly + r2270.paragraph.unconfirmed,
        r2270.measures
    );
    for open in [
        "2270 OP30",
        "2270 OP6",
        "2270 OP29(b)",
        "2270 OP20",
        "2270 OP33-35",
    ] {
        assert!(
            r2270.open_paragraphs.contains(&open.to_string()),
            "{open}: {:?}",
            r2270.open_paragraphs
        );
    }
    assert!(!r2270.open_paragraphs.contains(&"2270 OP18".to_string()));
    assert!(row("2397")
        .open_paragraphs
        .contains(&"2397 OP7".to_string()));
    assert!(row("2375")
        .open_paragraphs
        .contains(&"2375 OP11".to_string()));
}

#[test]
fn the_batch_index_agrees_around_the_new_breakpoints_and_values() {
    let r = regime();
    let mut index = r.check_index();
    let dates = [
        "2017-08-04",
        "2017-08-05",
        "2017-08-20",
        "2017-09-04",
        "2017-09-05",
        "2017-12-09",
        "2017-12-10",
        "2017-12-11",
        "2017-12-12",
        "2018-01-21",
        "2018-01-22",
    ];
    let values = [None, Some(60.0), Some(150.0), Some(400.0), Some(900.0)];
    for hs in [
        "2701", "2601", "6203", "5701", "5805", "691110", "4403", "57",
    ] {
        for (o, de) in [("KP", "CN"), ("CN", "KP")] {
            for date in dates {
                for v in values {
                    let mut s = ship(hs, o, de, date);
                    s.value_usd = v;
                    assert_eq!(index.assess(&s), r.check(&s), "{s:?}");
                    let seg = index.segment(&s).clone();
                    if !needs_full_check(&seg, &s) {
                        assert_eq!(seg.assessment, r.check(&s), "{s:?}");
                    }
                }
            }
        }
    }
}
