//! Developer aid (the CLI's `eval cross-script` / `eval aliases` without building the CLI):
//! `name_checks CROSS_SCRIPT_CSV PUTIN_NAMES_TXT`
use embargo_names::compare::{compare_names, CompareParams};
use embargo_screen::matcher::{DEFAULT_MATCH, DEFAULT_REVIEW};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [cross, putin, ..] = args.as_slice() else {
        return Err("usage: name_checks CROSS PUTIN".into());
    };
    let p = CompareParams::default();
    let (mut n, mut ok) = (0, 0);
    for line in std::fs::read_to_string(cross)?.lines() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = t.splitn(4, ',').collect();
        let (Some(a), Some(b)) = (f.first(), f.get(1)) else {
            continue;
        };
        let s = compare_names(a, b, &p).map(|c| c.score).unwrap_or(0.0);
        n += 1;
        ok += usize::from(s >= DEFAULT_MATCH);
        println!(
            "{s:.3} {a} -> {b} (watchman min {})",
            f.get(2).unwrap_or(&"")
        );
    }
    println!("cross-script: {ok}/{n} at {DEFAULT_MATCH}");
    let names: Vec<String> = std::fs::read_to_string(putin)?
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    let reference = "Vladimir Putin".to_string();
    let (mut m, mut r) = (0, 0);
    for a in &names {
        let s = compare_names(a, &reference, &p)
            .map(|c| c.score)
            .unwrap_or(0.0);
        m += usize::from(s >= DEFAULT_MATCH);
        r += usize::from(s >= DEFAULT_REVIEW);
        println!("{s:.3} {a}");
    }
    println!(
        "aliases vs {reference:?}: {m}/{} match, {r}/{} review-or-match",
        names.len(),
        names.len()
    );
    Ok(())
}
