//! Developer aid: print the comparison of two names. `--example score_pair -- NAME1 NAME2`
fn main() {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let (Some(x), Some(y)) = (a.first(), a.get(1)) else {
        eprintln!("usage: score_pair NAME1 NAME2");
        return;
    };
    let c = embargo_names::compare::compare_names(
        x,
        y,
        &embargo_names::compare::CompareParams::default(),
    );
    println!("{c:#?}");
}
