//! `embargo trade fetch`: rows from the UN Comtrade API into a JSON file that `embargo
//! trade import` reads. The requests are built by `embargo_trade::fetch`; the GET is run
//! by the system's `curl` (embargo carries no TLS stack), with the subscription key from
//! `COMTRADE_API_KEY` passed on curl's standard input, so it appears in no command line,
//! URL, output or error.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context as _};
use embargo_trade::fetch::{
    comtrade_code, parse_years, requests_at, ApiRequest, ApiResponse, FetchSpec, API_BASE, KEY_ENV,
    KEY_HEADER,
};
use embargo_trade::{Flow, TradeError};
use serde_json::json;

use crate::context::Context;

#[derive(clap::Args)]
pub struct FetchArgs {
    /// Reporter: ISO code (CN, CHN) or Comtrade numeric code (156).
    #[arg(long)]
    pub reporter: String,
    /// Partner: ISO code (KP), Comtrade numeric code (408), or WLD for all partners.
    #[arg(long)]
    pub partner: String,
    /// Years: 2017, 2016-2019 or 2016,2018 (one request per year).
    #[arg(long)]
    pub years: String,
    /// Flow as the reporter declares it: M, X, RX, RM (repeatable; default M and X).
    #[arg(long)]
    pub flow: Vec<String>,
    /// Commodities: AG6 (every HS6 code), AG4, AG2, TOTAL, or HS codes separated by commas.
    #[arg(long, default_value = "AG6")]
    pub cmd: String,
    /// Output file (default: comtrade-<reporter>-<partner>-<years>.json).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print the requests as JSON and stop: no key needed, nothing is sent.
    #[arg(long)]
    pub dry_run: bool,
    /// Another endpoint with the same interface (tests).
    #[arg(long, hide = true)]
    pub api_base: Option<String>,
}

pub fn run(ctx: &Context, a: FetchArgs) -> anyhow::Result<()> {
    let flows = a
        .flow
        .iter()
        .map(|f| Flow::parse(f).with_context(|| format!("unknown flow `{f}` (M, X, RX, RM)")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let spec = FetchSpec {
        reporter: comtrade_code(&a.reporter)?,
        partner: comtrade_code(&a.partner)?,
        years: parse_years(&a.years)?,
        flows,
        cmd: a.cmd.clone(),
    };
    let reqs = requests_at(a.api_base.as_deref().unwrap_or(API_BASE), &spec)?;
    if a.dry_run {
        return ctx.print_json(&reqs);
    }
    let key = std::env::var(KEY_ENV)
        .ok()
        .filter(|k| !k.trim().is_empty())
        .with_context(|| {
            format!(
                "set {KEY_ENV} to a Comtrade API subscription key (comtradedeveloper.un.org), \
                 or use --dry-run to see the requests"
            )
        })?;
    if key.contains(['\r', '\n']) {
        bail!("{KEY_ENV} holds a line break; it must be the key alone");
    }
    let out = a.out.unwrap_or_else(|| {
        let years: String = a.years.chars().filter(|c| !c.is_whitespace()).collect();
        PathBuf::from(format!(
            "comtrade-{}-{}-{}.json",
            a.reporter.trim(),
            a.partner.trim(),
            years.replace(',', "_")
        ))
    });
    let fetched = embargo_trade::fetch::fetch(&reqs, &mut |r| curl_get(r, &key))?;
    write_atomic(&out, &serde_json::to_vec_pretty(&fetched.to_json())?)?;
    if ctx.json {
        return ctx.print_json(&json!({
            "requests": reqs.len(),
            "rows": fetched.data.len(),
            "per_year": fetched.rows,
            "written": out,
        }));
    }
    for (year, n) in &fetched.rows {
        println!("{year}: {n} rows");
    }
    println!(
        "{} rows -> {} (load with: embargo trade import {})",
        fetched.data.len(),
        out.display(),
        out.display()
    );
    Ok(())
}

/// One GET through curl: the key header is read from curl's standard input (`-H @-`),
/// the HTTP status is written after the body.
fn curl_get(req: &ApiRequest, key: &str) -> Result<ApiResponse, TradeError> {
    let curl_err = |message: String| TradeError::Io {
        path: PathBuf::from("curl"),
        source: std::io::Error::other(message),
    };
    let mut child = Command::new("curl")
        .args([
            "--silent",
            "--show-error",
            "--location",
            "--max-time",
            "300",
            "--header",
            "@-",
            "--write-out",
            "\n%{http_code}",
            &req.url,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| curl_err(format!("cannot run curl (needed for `trade fetch`): {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(format!("{KEY_HEADER}: {key}\n").as_bytes())
            .map_err(|e| curl_err(format!("cannot pass the key to curl: {e}")))?;
    }
    let output = child
        .wait_with_output()
        .map_err(|e| curl_err(e.to_string()))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr).replace(key, "***");
        return Err(curl_err(format!(
            "{}: {} ({})",
            req.url,
            stderr.trim(),
            output.status
        )));
    }
    let mut body = output.stdout;
    let cut = body.iter().rposition(|b| *b == b'\n').unwrap_or(0);
    let status = String::from_utf8_lossy(&body[cut..])
        .trim()
        .parse()
        .unwrap_or(0);
    body.truncate(cut);
    Ok(ApiResponse { status, body })
}

fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "fetch.json".into());
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
