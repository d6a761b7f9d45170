//! The server for the load bench, without DataFusion: the same router, handlers, audit
//! log and key store as `embargo serve`, built with `--no-default-features` (no trade
//! store routes), so its release build takes minutes instead of the ~20+ that
//! DataFusion needs on two cores. It takes the `embargo` arguments that
//! `bench/server/load.sh` and `faults.sh` use, so either binary can be passed as
//! `EMBARGO_BIN`:
//!
//! ```text
//! bench_serve --data DIR serve --addr ADDR
//! bench_serve --data DIR --json serve keys create --label LABEL   # {"id":..,"token":..}
//! bench_serve --data DIR audit verify
//! ```
//!
//! Build: `cargo build --release -p embargo-server --no-default-features --example bench_serve`.

use anyhow::{bail, Context};
use embargo_server::{audit, config, keys::KeyStore, store, ServerConfig};
use std::path::PathBuf;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut data: Option<PathBuf> = None;
    let mut addr = "127.0.0.1:8080".to_string();
    let mut label = "bench".to_string();
    let mut words: Vec<&str> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--data" => data = Some(it.next().context("--data needs a directory")?.into()),
            "--addr" => addr = it.next().context("--addr needs host:port")?.clone(),
            "--label" => label = it.next().context("--label needs text")?.clone(),
            "--json" => {}
            w => words.push(w),
        }
    }
    let data = data.context("--data DIR is required")?;
    match words.as_slice() {
        ["serve"] => {
            embargo_server::init_logging(true);
            let config = ServerConfig::new(addr.parse().context("--addr")?, data);
            let regime = embargo_regime::Regime::bundled()?;
            embargo_server::run(config, regime)?;
        }
        ["serve", "keys", "create"] => {
            let key = KeyStore::open(&config::store_path(&data))?.create(&label)?;
            println!(
                "{}",
                serde_json::json!({"id": key.id, "label": label, "token": key.token})
            );
        }
        ["audit", "verify"] => {
            let conn = store::open_read_only(&config::store_path(&data))?;
            let v = audit::verify(&conn)?;
            match &v.broken {
                None => println!(
                    "audit log verified: {} records, head hash {}",
                    v.records, v.head_hash
                ),
                Some(b) => bail!("audit log broken at record {}: {}", b.seq, b.reason),
            }
        }
        other => bail!("unknown command {other:?}: serve | serve keys create | audit verify"),
    }
    Ok(())
}
