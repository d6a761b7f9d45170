//! The README's tour, run line by line as a new user would type it: from a working
//! directory laid out like the repository (its `data/` and `examples/`, with the shared
//! folder at `../shared`), against a fresh data directory. `serve` is left out (it does
//! not return). Lines that read `../shared` skip with a notice when it is absent, as do
//! the lines that screen against the lists those lines import; with `EMBARGO_SHARED` set
//! they must run.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The commands of the README's ```sh block under "## A tour", one per `;`/`&&`-joined
/// part, comments removed.
fn tour_commands(readme: &str) -> Vec<String> {
    let tour = readme
        .split("## A tour")
        .nth(1)
        .expect("README has a section '## A tour'");
    let block = tour
        .split("```sh")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("the tour has a ```sh block");
    let mut commands = Vec::new();
    for line in block.lines() {
        let code = match line.find(" #") {
            Some(i) => &line[..i],
            None => line,
        };
        for part in code.split("&&").flat_map(|p| p.split(';')) {
            let part = part.trim();
            if !part.is_empty() {
                commands.push(part.to_string());
            }
        }
    }
    commands
}

/// Shell words: whitespace-separated, with double- and single-quoted runs kept whole.
fn words(command: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for c in command.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => word.push(c),
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                in_word = true;
            }
            None if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            None => {
                word.push(c);
                in_word = true;
            }
        }
    }
    assert!(quote.is_none(), "unclosed quote in {command:?}");
    if in_word {
        out.push(word);
    }
    out
}

#[cfg(unix)]
fn link(target: &Path, at: &Path) {
    std::os::unix::fs::symlink(target, at)
        .unwrap_or_else(|e| panic!("symlink {} -> {}: {e}", at.display(), target.display()));
}

#[test]
fn words_keep_quoted_runs_whole() {
    assert_eq!(
        words(r#"embargo screen "KIM JONG UN" --schema person"#),
        ["embargo", "screen", "KIM JONG UN", "--schema", "person"]
    );
    assert_eq!(
        words(r#"embargo trade sql "SELECT a FROM t WHERE d = 'x'""#),
        ["embargo", "trade", "sql", "SELECT a FROM t WHERE d = 'x'"]
    );
}

#[cfg(unix)]
#[test]
fn every_line_of_the_readme_tour_runs() {
    let root = embargo_fixtures::workspace_root();
    let readme = std::fs::read_to_string(root.join("README.md")).expect("read README.md");
    let commands = tour_commands(&readme);
    assert!(commands.len() >= 25, "tour too short: {commands:?}");

    let (shared, required) = embargo_fixtures::shared_dir();
    let have_shared = shared.is_dir();
    assert!(
        have_shared || !required,
        "EMBARGO_SHARED is set but {} is absent",
        shared.display()
    );

    let tmp = tempfile::tempdir().expect("temp dir");
    let work = tmp.path().join("repo");
    std::fs::create_dir(&work).expect("work dir");
    link(&root.join("data"), &work.join("data"));
    link(&root.join("examples"), &work.join("examples"));
    if have_shared {
        link(&shared, &tmp.path().join("shared"));
    }
    let data_dir: PathBuf = tmp.path().join("state");

    let mut ran = 0;
    let mut skipped = Vec::new();
    let mut lists_imported = false;
    for command in &commands {
        let argv = words(command);
        assert_eq!(
            argv[0], "embargo",
            "tour line not an embargo command: {command}"
        );
        let sub = argv.get(1).map(String::as_str);
        if sub == Some("serve") {
            continue;
        }
        let needs_shared = command.contains("../shared");
        let needs_lists = matches!(sub, Some("screen" | "vessel"))
            || (sub == Some("eval") && argv.get(2).map(String::as_str) == Some("screening"));
        if (needs_shared && !have_shared) || (needs_lists && !lists_imported) {
            skipped.push(command.clone());
            continue;
        }
        let out = Command::new(env!("CARGO_BIN_EXE_embargo"))
            .args(&argv[1..])
            .current_dir(&work)
            .env("EMBARGO_DATA", &data_dir)
            .env_remove("EMBARGO_REGIME")
            .output()
            .unwrap_or_else(|e| panic!("run {command}: {e}"));
        assert!(
            out.status.success(),
            "tour line failed: {command}\nstdout:\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !(out.stdout.is_empty() && out.stderr.is_empty()),
            "tour line printed nothing: {command}"
        );
        if sub == Some("lists") && argv.get(2).map(String::as_str) == Some("import") {
            lists_imported = true;
        }
        ran += 1;
    }
    if !skipped.is_empty() {
        eprintln!(
            "note: {} tour line(s) skipped without {}:\n  {}",
            skipped.len(),
            shared.display(),
            skipped.join("\n  ")
        );
    }
    assert!(ran >= 15, "only {ran} tour lines ran");
    // What the sample files give when the tour's lines have run.
    let verdicts = std::fs::read_to_string(work.join("verdicts.csv")).expect("verdicts.csv");
    assert!(verdicts.starts_with("line,id,hs,origin,destination,date,verdict,"));
    assert!(verdicts.contains("coal-2017-over-cap,2701,KP,CN,2017-03-01,prohibited,"));
    assert!(verdicts.contains("rice-2018,1006,CN,KP,2018-01-01,permitted,"));
}
