//! What every command gets: output mode, where state lives, which regime to use.

use std::path::PathBuf;

pub struct Context {
    pub json: bool,
    data: Option<PathBuf>,
    regime_dir: Option<PathBuf>,
}

impl Context {
    pub fn new(json: bool, data: Option<PathBuf>, regime_dir: Option<PathBuf>) -> Self {
        Context {
            json,
            data,
            regime_dir,
        }
    }

    /// Where embargo keeps state: `--data`, `$EMBARGO_DATA`, else `~/.local/share/embargo`.
    #[allow(dead_code)]
    pub fn data_dir(&self) -> PathBuf {
        if let Some(d) = &self.data {
            return d.clone();
        }
        let base = std::env::var_os("XDG_DATA_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
            .unwrap_or_else(|| PathBuf::from("."));
        base.join("embargo")
    }

    pub fn regime_dir(&self) -> Option<&PathBuf> {
        self.regime_dir.as_ref()
    }

    /// The regime: the `--regime` directory when given, else the bundled files.
    pub fn regime(&self) -> anyhow::Result<embargo_regime::Regime> {
        Ok(match &self.regime_dir {
            Some(dir) => embargo_regime::Regime::load_dir(dir)?,
            None => embargo_regime::Regime::bundled()?,
        })
    }

    /// Print a value as pretty JSON on stdout.
    /// A closed pipe (`embargo ... --json | head`) is not an error.
    pub fn print_json<T: serde::Serialize>(&self, value: &T) -> anyhow::Result<()> {
        use std::io::Write;
        let text = serde_json::to_string_pretty(value)?;
        let mut out = std::io::stdout().lock();
        match writeln!(out, "{text}").and_then(|()| out.flush()) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => Ok(other?),
        }
    }
}

/// Errors go to stderr; with `--json` as one object so scripts can parse them.
pub fn report_error(err: &anyhow::Error, json: bool) {
    if json {
        let chain: Vec<String> = err.chain().map(|e| e.to_string()).collect();
        let obj = serde_json::json!({ "error": err.to_string(), "causes": chain });
        eprintln!("{obj}");
    } else {
        eprintln!("error: {err}");
        for cause in new_causes(err) {
            eprintln!("  caused by: {cause}");
        }
    }
}

/// The causes of `err` a reader has not read yet: a cause whose text the line before
/// already holds (an error that prints its source and also hands it on) is left out.
fn new_causes(err: &anyhow::Error) -> Vec<String> {
    let mut shown = err.to_string();
    let mut out = Vec::new();
    for cause in err.chain().skip(1) {
        let text = cause.to_string();
        if !shown.contains(&text) {
            out.push(text.clone());
        }
        shown = text;
    }
    out
}

/// Warns on stderr when the file at `path` ends inside a line: CSV has no end marker, so
/// a file cut short in its last row still reads as rows, and this is the one sign of it.
/// Returns whether it warned (for a command's JSON summary).
pub fn warn_if_cut(path: &std::path::Path) -> bool {
    use embargo_records::bounded::{cut_warning, file_ends_inside_a_line};
    let cut = file_ends_inside_a_line(path).unwrap_or(false);
    if cut {
        eprintln!("warning: {}", cut_warning(&path.display().to_string()));
    }
    cut
}

#[cfg(test)]
mod tests {
    use super::new_causes;

    #[test]
    fn a_cause_already_in_the_message_is_not_repeated() {
        /// An error that prints its source and also hands it on.
        #[derive(Debug)]
        struct Open(std::io::Error);
        impl std::fmt::Display for Open {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "a.csv: cannot open: {}", self.0)
            }
        }
        impl std::error::Error for Open {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file");
        let err = anyhow::Error::new(Open(io)).context("running the batch");
        assert_eq!(new_causes(&err), vec!["a.csv: cannot open: No such file"]);
        let plain = anyhow::anyhow!("inner").context("outer");
        assert_eq!(new_causes(&plain), vec!["inner"]);
    }
}
