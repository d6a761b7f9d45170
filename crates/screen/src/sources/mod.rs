//! The published lists, one folder each: a reader that turns the publisher's files into
//! records (checking that each file is a whole publication) and a mapper that turns records
//! into FtM-shaped [`Entity`](crate::model::Entity) values. Nothing here knows the matcher.

pub mod ofac;
pub mod un;
