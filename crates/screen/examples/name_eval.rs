//! Developer aid: score nomenklatura's name_bench cases and print the errors at a threshold.
//! `cargo run -p embargo-screen --example name_eval -- FILE [THRESHOLD]`
use embargo_names::compare::CompareParams;
use embargo_screen::eval::{best, metrics, read_cases, score_cases};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: name_eval FILE [THRESHOLD]")?;
    let t: f64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(0.8);
    let cases = read_cases(std::path::Path::new(&path))?;
    // EVAL_PARAM=name=value overrides one parameter, for sensitivity checks.
    let mut params = CompareParams::default();
    if let Ok(spec) = std::env::var("EVAL_PARAM") {
        for kv in spec.split(',') {
            let (k, v) = kv.split_once('=').ok_or("EVAL_PARAM: name=value")?;
            let v: f64 = v.parse()?;
            match k {
                "fuzzy_base" => params.fuzzy_base = v,
                "fuzzy_floor" => params.fuzzy_floor = v,
                "short_floor" => params.short_floor = v,
                "conflict_penalty" => params.conflict_penalty = v,
                "number_conflict_penalty" => params.number_conflict_penalty = v,
                "order_penalty" => params.order_penalty = v,
                "lineage_penalty" => params.lineage_penalty = v,
                "patronymic_factor" => params.patronymic_factor = v,
                "coverage_max" => params.coverage_max = v,
                "form_weight" => params.form_weight = v,
                other => return Err(format!("unknown parameter {other}").into()),
            }
        }
    }
    let scored = score_cases(&cases, &params);
    let pairs: Vec<(bool, f64)> = scored.iter().map(|s| (s.case.is_match, s.score)).collect();
    let b = best(&pairs);
    println!("at {t}: {:?}", metrics(&pairs, t));
    println!("best: {b:?}");
    // Groups and the Korean/DPRK rows at the default threshold and at the overall best one.
    let line = |name: &str, subset: &[(bool, f64)]| {
        let (m, mb) = (metrics(subset, t), metrics(subset, b.threshold));
        println!(
            "{name} n={} | at {t}: p={:.3} r={:.3} f1={:.3} (tp {} fp {} fn {} tn {}) | at {:.2}: p={:.3} r={:.3} f1={:.3}",
            subset.len(),
            m.precision,
            m.recall,
            m.f1,
            m.tp,
            m.fp,
            m.fn_,
            m.tn,
            b.threshold,
            mb.precision,
            mb.recall,
            mb.f1
        );
    };
    let kor: Vec<(bool, f64)> = scored
        .iter()
        .filter(|s| s.case.is_korean())
        .map(|s| (s.case.is_match, s.score))
        .collect();
    line("korean", &kor);
    let mut groups: Vec<String> = scored.iter().map(|s| s.case.group.clone()).collect();
    groups.sort();
    groups.dedup();
    for g in groups {
        let gp: Vec<(bool, f64)> = scored
            .iter()
            .filter(|s| s.case.group == g)
            .map(|s| (s.case.is_match, s.score))
            .collect();
        line(&format!("group {g}"), &gp);
    }
    for s in &scored {
        let pred = s.score >= t;
        if pred != s.case.is_match {
            println!(
                "{} {:.3} {} | {} | {} | {}",
                if s.case.is_match { "FN" } else { "FP" },
                s.score,
                s.case.schema,
                s.case.name1,
                s.case.name2,
                s.case.notes
            );
        }
    }
    Ok(())
}
