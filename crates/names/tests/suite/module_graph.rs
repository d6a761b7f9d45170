//! The crate's modules form a DAG: no module imports one that imports it back, directly or
//! through others (lib.rs documents the layers). Test modules count too.

use embargo_fixtures::module_graph;

#[test]
fn modules_form_a_dag() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = module_graph::read(&src).expect("src is readable");
    assert!(graph.len() >= 15, "{graph:?}");
    if let Some(cycle) = module_graph::cycle(&graph) {
        panic!("module cycle: {}", cycle.join(" -> "));
    }
}
