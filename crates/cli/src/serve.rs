//! `embargo serve [--addr ADDR]` (plus `serve keys create|list|revoke`) and
//! `embargo audit verify|export`.

use crate::context::Context;
use anyhow::{bail, Context as _};
use clap::{Args as ClapArgs, Subcommand, ValueEnum};
use embargo_server::{audit, config, keys::KeyStore, store, Limits, ReadAccess, ServerConfig};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(ClapArgs)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    command: Option<ServeCommand>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Require an API key for reads too (writes always need one).
    #[arg(long)]
    keyed_reads: bool,
    /// Largest JSON request body, in bytes.
    #[arg(long, default_value_t = Limits::default().max_body_bytes)]
    max_body_bytes: usize,
    /// Largest list or ownership upload, in bytes.
    #[arg(long, default_value_t = Limits::default().max_upload_bytes)]
    max_upload_bytes: usize,
    /// Most items in one batch request.
    #[arg(long, default_value_t = Limits::default().max_batch)]
    max_batch: usize,
    /// Per-request deadline, in seconds.
    #[arg(long, default_value_t = Limits::default().request_timeout.as_secs())]
    timeout_secs: u64,
    /// Requests in flight at once before new ones are refused with 503.
    #[arg(long, default_value_t = Limits::default().max_in_flight)]
    max_in_flight: usize,
    /// Rows in one trade query answer at most (clients page with limit/offset).
    #[arg(long, default_value_t = Limits::default().max_query_rows)]
    max_query_rows: usize,
    /// Refuse a list upload lacking more than this share (0 to 1) of the active version's
    /// entries, unless the request says `?allow_shrink=true`.
    #[arg(long, default_value_t = Limits::default().max_list_shrink)]
    max_list_shrink: f64,
    /// Log format on stderr.
    #[arg(long, value_enum, default_value_t = LogFormat::Json)]
    log_format: LogFormat,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Json,
    Text,
}

#[derive(Subcommand)]
enum ServeCommand {
    /// Manage API keys (stored hashed in DATA/server.sqlite).
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Create a key and print it once (it cannot be shown again).
    Create {
        /// What the key is for (shown in `keys list`).
        #[arg(long)]
        label: String,
    },
    /// Keys with ids, labels, creation and revocation times (never the secrets).
    List,
    /// Revoke a key by id (takes effect in a running server within seconds).
    Revoke {
        /// The key's id, as `serve keys list` shows it.
        id: String,
    },
}

pub fn run(args: Args, ctx: &Context) -> anyhow::Result<()> {
    let data_dir = ctx.data_dir();
    if let Some(ServeCommand::Keys { command }) = args.command {
        return keys(command, &data_dir, ctx);
    }
    embargo_server::init_logging(matches!(args.log_format, LogFormat::Json));
    let regime = ctx.regime()?;
    let mut config = ServerConfig::new(args.addr, data_dir);
    config.read_access = if args.keyed_reads {
        ReadAccess::Keyed
    } else {
        ReadAccess::Open
    };
    if !(0.0..=1.0).contains(&args.max_list_shrink) {
        bail!(
            "--max-list-shrink {}: a share between 0 and 1 (0.2 = 20%)",
            args.max_list_shrink
        );
    }
    config.limits = Limits {
        max_body_bytes: args.max_body_bytes,
        max_upload_bytes: args.max_upload_bytes,
        max_batch: args.max_batch,
        request_timeout: Duration::from_secs(args.timeout_secs.max(1)),
        max_in_flight: args.max_in_flight.max(1),
        max_query_rows: args.max_query_rows.max(1),
        max_list_shrink: args.max_list_shrink,
        ..Limits::default()
    };
    embargo_server::run(config, regime)?;
    Ok(())
}

fn keys(command: KeysCommand, data_dir: &std::path::Path, ctx: &Context) -> anyhow::Result<()> {
    let path = config::store_path(data_dir);
    let store = KeyStore::open(&path).with_context(|| format!("opening {}", path.display()))?;
    match command {
        KeysCommand::Create { label } => {
            let key = store.create(&label)?;
            if ctx.json {
                ctx.print_json(&key)?;
            } else {
                println!("key id:  {}", key.id);
                println!("label:   {}", key.label);
                println!("token:   {}", key.token);
                eprintln!("Store the token now: only its salted hash is kept. Send it as the x-api-key header.");
            }
        }
        KeysCommand::List => {
            let list = store.list()?;
            if ctx.json {
                ctx.print_json(&list)?;
            } else {
                println!("{:<10} {:<24} {:<34} revoked", "id", "label", "created");
                for k in &list {
                    println!(
                        "{:<10} {:<24} {:<34} {}",
                        k.id,
                        k.label,
                        k.created,
                        k.revoked.as_deref().unwrap_or("-")
                    );
                }
                println!("{} key(s)", list.len());
            }
        }
        KeysCommand::Revoke { id } => {
            store.revoke(&id)?;
            if ctx.json {
                ctx.print_json(&serde_json::json!({ "revoked": id }))?;
            } else {
                println!("revoked {id}");
            }
        }
    }
    Ok(())
}

#[derive(ClapArgs)]
pub struct AuditArgs {
    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk the hash chain; fails naming the first broken record.
    Verify,
    /// Every record as JSON lines (seq, prev_hash, hash, record), in order.
    Export {
        /// Write to this file (atomically) instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

pub fn run_audit(args: AuditArgs, ctx: &Context) -> anyhow::Result<()> {
    let path = config::store_path(&ctx.data_dir());
    if !path.exists() {
        bail!(
            "no audit log at {} (the server creates it; pass --data DIR)",
            path.display()
        );
    }
    let conn =
        store::open_read_only(&path).with_context(|| format!("opening {}", path.display()))?;
    match args.command {
        AuditCommand::Verify => {
            let v = audit::verify(&conn)?;
            if ctx.json {
                ctx.print_json(&v)?;
            } else {
                println!("records verified: {}", v.records);
                println!("head hash:        {}", v.head_hash);
            }
            if let Some(b) = v.broken {
                bail!(
                    "audit log {} is broken at record {}: {}",
                    path.display(),
                    b.seq,
                    b.reason
                );
            }
            if !ctx.json {
                println!(
                    "chain intact (keep the head hash elsewhere to detect a rewrite of the tail)"
                );
            }
        }
        AuditCommand::Export { out } => match out {
            None => {
                let stdout = std::io::stdout();
                let mut lock = stdout.lock();
                let n = audit::export(&conn, &mut lock)?;
                lock.flush()?;
                eprintln!("{n} record(s) exported");
            }
            Some(file) => {
                let n = audit::export_file(&conn, &file)?;
                if ctx.json {
                    ctx.print_json(&serde_json::json!({ "records": n, "out": file }))?;
                } else {
                    println!("{n} record(s) exported to {}", file.display());
                }
            }
        },
    }
    Ok(())
}
