//! The graph in memory: nodes and edges indexed by dense integers, with adjacency both
//! ways. Built from the store (or directly in tests and benchmarks); all traversals and
//! the 50% rule run here.

use std::collections::HashMap;

use crate::error::{NetworkError, Result};
use crate::model::{Edge, Node, NodeKind};

/// Dense node index inside one [`Graph`].
pub type NodeIx = u32;
/// Dense edge index inside one [`Graph`].
pub type EdgeIx = u32;

#[derive(Debug, Default, Clone)]
pub struct Graph {
    nodes: Vec<Node>,
    edges: Vec<Edge>,
    by_id: HashMap<String, NodeIx>,
    by_name: HashMap<String, Vec<NodeIx>>,
    /// For each node, the edges pointing at it (its owners, controllers, managers).
    incoming: Vec<Vec<EdgeIx>>,
    /// For each node, the edges leaving it (what it owns, controls, manages).
    outgoing: Vec<Vec<EdgeIx>>,
    edge_ends: Vec<(NodeIx, NodeIx)>,
}

/// Names compare after upper-casing and turning punctuation into spaces, so that
/// "Korea Mining Development Trading Corp." equals "KOREA MINING DEVELOPMENT TRADING CORP".
pub fn normalize_name(name: &str) -> String {
    let mapped: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_uppercase().next().unwrap_or(c)
            } else {
                ' '
            }
        })
        .collect();
    mapped.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Graph {
    pub fn new() -> Self {
        Graph::default()
    }

    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    pub fn edge_count(&self) -> usize {
        self.edges.len()
    }

    /// Adds a node, or merges names, aliases and designations into the existing node with
    /// the same id. Returns its index.
    pub fn add_node(&mut self, node: Node) -> NodeIx {
        if let Some(&ix) = self.by_id.get(&node.id) {
            let names: Vec<String> = std::iter::once(node.name.clone())
                .chain(node.aliases.iter().cloned())
                .collect();
            if let Some(existing) = self.nodes.get_mut(ix as usize) {
                if existing.kind == NodeKind::Unknown {
                    existing.kind = node.kind;
                }
                for n in &names {
                    if !n.is_empty() && *n != existing.name && !existing.aliases.contains(n) {
                        existing.aliases.push(n.clone());
                    }
                }
                for d in node.designations {
                    if !existing.designations.contains(&d) {
                        existing.designations.push(d);
                    }
                }
            }
            for n in names {
                self.index_name(&n, ix);
            }
            return ix;
        }
        let ix = self.nodes.len() as NodeIx;
        self.by_id.insert(node.id.clone(), ix);
        self.index_name(&node.name.clone(), ix);
        for a in node.aliases.clone() {
            self.index_name(&a, ix);
        }
        self.nodes.push(node);
        self.incoming.push(Vec::new());
        self.outgoing.push(Vec::new());
        ix
    }

    fn index_name(&mut self, name: &str, ix: NodeIx) {
        let key = normalize_name(name);
        if key.is_empty() {
            return;
        }
        let list = self.by_name.entry(key).or_default();
        if !list.contains(&ix) {
            list.push(ix);
        }
    }

    /// Adds an edge; both ends must already be nodes.
    pub fn add_edge(&mut self, edge: Edge) -> Result<EdgeIx> {
        let from = self.require(&edge.from, &edge.origin)?;
        let to = self.require(&edge.to, &edge.origin)?;
        let ix = self.edges.len() as EdgeIx;
        self.edges.push(edge);
        self.edge_ends.push((from, to));
        if let Some(v) = self.outgoing.get_mut(from as usize) {
            v.push(ix);
        }
        if let Some(v) = self.incoming.get_mut(to as usize) {
            v.push(ix);
        }
        Ok(ix)
    }

    fn require(&self, id: &str, origin: &str) -> Result<NodeIx> {
        self.by_id
            .get(id)
            .copied()
            .ok_or_else(|| NetworkError::InvalidFile {
                file: origin.to_string(),
                message: format!("edge refers to unknown node `{id}`"),
            })
    }

    pub fn ix(&self, id: &str) -> Option<NodeIx> {
        self.by_id.get(id).copied()
    }

    pub fn node(&self, ix: NodeIx) -> Option<&Node> {
        self.nodes.get(ix as usize)
    }

    pub fn node_by_id(&self, id: &str) -> Option<&Node> {
        self.ix(id).and_then(|ix| self.node(ix))
    }

    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    pub fn edges(&self) -> &[Edge] {
        &self.edges
    }

    pub fn edge(&self, ix: EdgeIx) -> Option<&Edge> {
        self.edges.get(ix as usize)
    }

    /// (from, to) node indices of an edge.
    pub fn ends(&self, ix: EdgeIx) -> Option<(NodeIx, NodeIx)> {
        self.edge_ends.get(ix as usize).copied()
    }

    pub fn incoming(&self, ix: NodeIx) -> &[EdgeIx] {
        self.incoming.get(ix as usize).map_or(&[], |v| v.as_slice())
    }

    pub fn outgoing(&self, ix: NodeIx) -> &[EdgeIx] {
        self.outgoing.get(ix as usize).map_or(&[], |v| v.as_slice())
    }

    /// Nodes whose name or alias equals `name` after normalization.
    pub fn find_by_name(&self, name: &str) -> &[NodeIx] {
        self.by_name
            .get(&normalize_name(name))
            .map_or(&[], |v| v.as_slice())
    }

    /// Resolves what a user typed: an id (`ofac:9345`), a bare IMO number, or an exact
    /// (normalized) name or alias. Several name matches are an error listing them.
    pub fn resolve(&self, query: &str) -> Result<NodeIx> {
        let q = query.trim();
        if let Some(ix) = self.ix(q) {
            return Ok(ix);
        }
        if let Ok(imo) = crate::vessel::Imo::parse(q) {
            if let Some(ix) = self.ix(&imo.node_id()) {
                return Ok(ix);
            }
        }
        match self.find_by_name(q) {
            [] => Err(NetworkError::UnknownEntity(q.to_string())),
            [one] => Ok(*one),
            many => Err(NetworkError::AmbiguousEntity {
                query: q.to_string(),
                candidates: many
                    .iter()
                    .filter_map(|&ix| self.node(ix))
                    .map(|n| format!("{} ({})", n.id, n.name))
                    .collect(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalization_ignores_case_and_punctuation() {
        assert_eq!(
            normalize_name("Korea Mining Development Trading Corp."),
            "KOREA MINING DEVELOPMENT TRADING CORP"
        );
        assert_eq!(normalize_name("  KIM  Jong-Un "), "KIM JONG UN");
    }

    #[test]
    fn add_node_merges_aliases_and_designations() {
        let mut g = Graph::new();
        let a = g.add_node(Node::new("x", NodeKind::Unknown, "Alpha"));
        let mut again = Node::new("x", NodeKind::Organization, "Alpha Trading");
        again.designations.push(crate::model::Designation {
            list: "ofac".into(),
            reference: "1".into(),
            programs: vec![],
            listed_on: None,
        });
        let b = g.add_node(again);
        assert_eq!(a, b);
        let n = g.node(a).unwrap();
        assert_eq!(n.kind, NodeKind::Organization);
        assert_eq!(n.aliases, vec!["Alpha Trading".to_string()]);
        assert!(n.is_designated());
        assert_eq!(g.find_by_name("alpha trading"), &[a]);
    }
}
