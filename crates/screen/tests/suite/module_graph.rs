//! The crate's modules form a DAG: no module imports one that imports it back, directly or
//! through others (the list readers know nothing of the matcher; the matcher nothing of the regime link). Test modules count too.

use embargo_fixtures::module_graph;

#[test]
fn modules_form_a_dag() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = module_graph::read(&src).expect("src is readable");
    assert!(graph.len() >= 10, "{graph:?}");
    let names = |m: &str| graph.get(m).cloned().unwrap_or_default();
    assert!(!names("matcher").contains("regime_link"));
    assert!(!names("sources").contains("matcher"));
    if let Some(cycle) = module_graph::cycle(&graph) {
        panic!("module cycle: {}", cycle.join(" -> "));
    }
}
