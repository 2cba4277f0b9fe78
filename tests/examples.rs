//! Every example of README.md and docs/*.md that is meant to run, run as written, read from the
//! files themselves so that an example is tested the day it is written. docs/README.md states the
//! convention; in short:
//!
//! - An example is a fenced code block with a command line starting `jit `, `$ jit `, `VAR=VALUE
//!   jit ` or `cargo run --release -- ` (the README's way to run jit before it is installed; here
//!   it is the `jit` under test). A `<!-- not run: WHY -->` line just before the fence exempts a
//!   block (it names your own project, or Google itself). A whole command in prose,
//!   `` `jit --emulator …` `` on one line with nothing left out (no `…`), is an example too.
//! - The block runs as one bash script (so `export` carries to the next line) in a scratch
//!   directory holding a copy of `docs/example-policy.json`, with `jit` on `PATH` and a `HOME`
//!   and `XDG_STATE_HOME` of its document's own: the examples of one document run in order on one
//!   `--emulator` state, as a reader who follows them would.
//! - In a block with `$ ` prompts, each prompt is one command and the lines after it, up to the
//!   next prompt, are its output: what the terminal shows (stdout, stderr, or both), `…` standing
//!   for any text within a line, or for any number of lines when alone on one. In a block without
//!   prompts, every line is a command. Each command must exit 0, or N when it ends `# exit N`.
//!   A reason may follow the code: `# exit 2: no reason given`.
//! - `<!-- file: NAME -->` just before a fence writes the block into the scratch directory as
//!   NAME for every example after it in the document (a `jit.toml` the reader is told to save):
//!   a reader who follows the page top to bottom in one directory keeps every file it saved
//!   (issue 19 item 11), so a later example must work with it there.
//! - `jit emulator …` (serving, not `--print-seed`) is started in the background for the rest of
//!   its document, on a free port that replaces the port the document names.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::harness::gcloud_available;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// One command of an example block.
#[derive(Debug, Clone, PartialEq)]
struct Cmd {
    /// The command as bash runs it (continuation lines joined).
    text: String,
    /// The output the document shows, when it shows one.
    output: Option<Vec<String>>,
    /// The exit code the document gives (`# exit N`), else 0.
    code: i32,
}

/// One fenced block that is an example.
#[derive(Debug, Clone, PartialEq)]
struct Block {
    /// `FILE:LINE` of the opening fence.
    at: String,
    cmds: Vec<Cmd>,
    /// A file the reader is told to save (`<!-- file: NAME -->`), or its end.
    file: Option<Saved>,
}

/// A file a page tells the reader to save: written for the page's later examples, and kept, as
/// a reader's directory keeps it.
#[derive(Debug, Clone, PartialEq)]
enum Saved {
    Write(String, String),
}

/// True for a line that runs jit: `jit …`, `VAR=VALUE … jit …` or `cargo run --release -- …`.
fn runs_jit(line: &str) -> bool {
    let mut words = line.split_whitespace().skip_while(|w| {
        w.split_once('=')
            .is_some_and(|(k, _)| !k.is_empty() && k.chars().all(|c| c == '_' || c.is_ascii_uppercase()))
    });
    match words.next() {
        Some("jit") => true,
        Some("cargo") => line.contains("cargo run --release -- "),
        _ => false,
    }
}

/// The example blocks of a Markdown document.
fn blocks(file: &str, doc: &str) -> Vec<Block> {
    let lines: Vec<&str> = doc.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let fence = lines[i].trim_start();
        if !fence.starts_with("```") {
            // A whole command in prose: `jit --emulator …` (with no `…` left out of it).
            for (n, span) in lines[i].split('`').enumerate() {
                if n % 2 == 1 && span.starts_with("jit --emulator ") && !span.contains('…') {
                    let cmd = Cmd { text: span.to_string(), output: None, code: 0 };
                    out.push(Block { at: format!("{file}:{}", i + 1), cmds: vec![cmd], file: None });
                }
            }
            i += 1;
            continue;
        }
        let indent = lines[i].len() - fence.len();
        let before = if i > 0 { lines[i - 1].trim() } else { "" };
        let skipped = before.starts_with("<!-- not run:");
        let saved = before.strip_prefix("<!-- file: ").and_then(|r| r.strip_suffix("-->")).map(str::trim);
        let start = i;
        i += 1;
        let mut body = Vec::new();
        while i < lines.len() && !lines[i].trim_start().starts_with("```") {
            body.push(lines[i].get(indent..).unwrap_or(lines[i].trim_start()).trim_end());
            i += 1;
        }
        i += 1;
        if skipped {
            continue;
        }
        if let Some(name) = saved {
            let text = body.iter().map(|l| format!("{l}\n")).collect();
            out.push(Block {
                at: format!("{file}:{}", start + 1),
                cmds: Vec::new(),
                file: Some(Saved::Write(name.into(), text)),
            });
            continue;
        }
        let cmds = commands(&body);
        if cmds.iter().any(|c| runs_jit(&c.text)) {
            out.push(Block { at: format!("{file}:{}", start + 1), cmds, file: None });
        }
    }
    out
}

/// The commands of a block's lines (see the module's comment).
fn commands(body: &[&str]) -> Vec<Cmd> {
    let prompted = body.iter().any(|l| l.starts_with("$ "));
    let mut cmds: Vec<Cmd> = Vec::new();
    let mut lines = body.iter();
    while let Some(line) = lines.next() {
        let text = if prompted {
            match line.strip_prefix("$ ") {
                Some(t) => t,
                None => {
                    if let Some(Cmd { output: Some(out), .. }) = cmds.last_mut() {
                        out.push(line.to_string());
                    }
                    continue;
                }
            }
        } else {
            line
        };
        if text.trim().is_empty() || text.starts_with('#') {
            continue;
        }
        let mut text = text.to_string();
        while text.ends_with('\\') {
            text.pop();
            match lines.next() {
                Some(next) => text.push_str(next.trim_start()),
                None => break,
            }
        }
        // `# exit N`, or `# exit N: why`.
        let code = text
            .rsplit_once("# exit ")
            .and_then(|(_, n)| n.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok())
            .unwrap_or(0);
        let text = text.replace("cargo run --release -- ", "jit ");
        cmds.push(Cmd { text, output: prompted.then(Vec::new), code });
    }
    for cmd in &mut cmds {
        if cmd.output.as_ref().is_some_and(|o| o.iter().all(|l| l.is_empty())) {
            cmd.output = None;
        }
        if let Some(out) = &mut cmd.output {
            while out.last().is_some_and(|l| l.is_empty()) {
                out.pop();
            }
        }
    }
    cmds
}

/// True when `text` matches `pattern`, where `…` stands for any text.
fn line_matches(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('…').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let Some(mut rest) = text.strip_prefix(parts[0]) else { return false };
    for (n, part) in parts[1..].iter().enumerate() {
        if n == parts.len() - 2 {
            return rest.len() >= part.len() && rest.ends_with(part);
        }
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// True when the lines match the pattern lines, where a line `…` stands for any number of lines.
fn lines_match(pattern: &[String], text: &[&str]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((p, rest)) if p == "…" => (0..=text.len()).any(|n| lines_match(rest, &text[n..])),
        Some((p, rest)) => {
            text.split_first().is_some_and(|(t, more)| line_matches(p, t) && lines_match(rest, more))
        }
    }
}

/// The documents whose examples are run.
fn documents() -> Vec<PathBuf> {
    let mut docs = vec![Path::new(ROOT).join("README.md")];
    let mut more: Vec<PathBuf> = std::fs::read_dir(Path::new(ROOT).join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    more.sort();
    docs.extend(more);
    docs
}

/// A `jit emulator` started for the rest of a document.
struct Served(Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The scratch place one document's examples run in.
struct Place {
    _dir: tempfile::TempDir,
    work: PathBuf,
    home: PathBuf,
    state: PathBuf,
    path: String,
}

fn place() -> Place {
    let dir = tempfile::tempdir().unwrap();
    let (work, home, state, bin) =
        (dir.path().join("work"), dir.path().join("home"), dir.path().join("state"), dir.path().join("bin"));
    for d in [&work.join("docs"), &home.join(".config/gcloud"), &state, &bin] {
        std::fs::create_dir_all(d).unwrap();
    }
    std::fs::copy(Path::new(ROOT).join("docs/example-policy.json"), work.join("docs/example-policy.json"))
        .unwrap();
    // gcloud caches whether it runs on GCE here; "False" spares it the probe.
    std::fs::write(home.join(".config/gcloud/gce"), "False").unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_jit"), bin.join("jit")).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    Place { _dir: dir, work, home, state, path }
}

/// bash with the place's environment: the test's own variables that could change what jit does
/// are removed, as `support::jit` does.
fn shell(place: &Place) -> Command {
    let mut cmd = Command::new("bash");
    for var in [
        "CLOUDSDK_CORE_PROJECT",
        "GOOGLE_CLOUD_PROJECT",
        "CLOUDSDK_ACTIVE_CONFIG_NAME",
        "CLOUDSDK_CONFIG",
        "CLOUDSDK_AUTH_ACCESS_TOKEN_FILE",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDRESOURCEMANAGER",
        "JIT_MAX_DURATION",
        "GCE_METADATA_HOST",
        "COLUMNS",
    ] {
        cmd.env_remove(var);
    }
    cmd.current_dir(&place.work)
        .env("PATH", &place.path)
        .env("HOME", &place.home)
        .env("XDG_STATE_HOME", &place.state)
        .env("TZ", "UTC")
        .env("NO_COLOR", "1")
        .env("CLOUDSDK_CORE_DISABLE_PROMPTS", "1")
        .env("CLOUDSDK_CORE_CHECK_GCE_METADATA", "false")
        .env("CLOUDSDK_CORE_DISABLE_USAGE_REPORTING", "true")
        .env("CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK", "true")
        .env("CLOUDSDK_SURVEY_DISABLE_PROMPTS", "true")
        .stdin(Stdio::null());
    cmd
}

/// `jit emulator …` as the document writes it, served on a free port; returns the port the
/// document names (to be replaced) and the one it got.
fn serve(place: &Place, text: &str) -> (Served, String, String) {
    let words: Vec<&str> = text.split_whitespace().collect();
    let named =
        words.iter().position(|w| *w == "--port").map(|i| words[i + 1].to_string()).unwrap_or_default();
    let line = if named.is_empty() { format!("{text} --port 0") } else { text.replace(&named, "0") };
    let mut child = shell(place)
        .arg("-c")
        .arg(format!("exec {line}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    let url = first.trim().strip_prefix("jit emulator listening on ").unwrap_or_else(|| panic!("{first:?}"));
    let port = url.rsplit(':').next().unwrap().to_string();
    (Served(child), named, port)
}

/// Runs one document's examples in order; returns the commands run and the failures.
fn run_document(file: &Path) -> (Vec<String>, Vec<String>) {
    let name = file.strip_prefix(ROOT).unwrap().display().to_string();
    let doc = std::fs::read_to_string(file).unwrap();
    let place = place();
    let mut served: Vec<Served> = Vec::new();
    let mut ports: Vec<(String, String)> = Vec::new();
    let mut failures = Vec::new();
    let mut ran = Vec::new();
    for block in blocks(&name, &doc) {
        match &block.file {
            Some(Saved::Write(name, text)) => std::fs::write(place.work.join(name), text).unwrap(),
            None => {}
        }
        if block.file.is_some() {
            continue;
        }
        if block.cmds.iter().any(|c| c.text.starts_with("gcloud ") || c.text.contains("| gcloud"))
            && !gcloud_available()
        {
            continue;
        }
        // One script for the block, so that `export` carries on; each command's output and exit
        // code go to files of their own.
        let out = place.work.join(".out");
        let _ = std::fs::remove_dir_all(&out);
        std::fs::create_dir_all(&out).unwrap();
        let mut script = String::from("set -o pipefail\n");
        let mut run = Vec::new();
        for (n, cmd) in block.cmds.iter().enumerate() {
            let mut text = cmd.text.clone();
            for (from, to) in &ports {
                text = text.replace(&format!(":{from}"), &format!(":{to}"));
            }
            let words: Vec<&str> = text.split_whitespace().collect();
            if words.starts_with(&["jit", "emulator"])
                && !text.contains("--print-seed")
                && !text.contains("--help")
            {
                let (child, from, to) = serve(&place, &text);
                served.push(child);
                if !from.is_empty() {
                    ports.push((from, to));
                }
                continue;
            }
            script.push_str(&format!(
                "{{ {text}\n}} >{o}/{n}.out 2>{o}/{n}.err </dev/null; echo $? >{o}/{n}.rc\n",
                o = out.display()
            ));
            ran.push(text.clone());
            run.push((n, cmd, text));
        }
        // The script's own status is the last command's; each command's is checked below.
        shell(&place).arg("-c").arg(&script).status().expect("bash runs");
        for (n, cmd, text) in run {
            let read =
                |ext: &str| std::fs::read_to_string(out.join(format!("{n}.{ext}"))).unwrap_or_default();
            let (stdout, stderr) = (read("out"), read("err"));
            let code: i32 = read("rc").trim().parse().unwrap_or(-1);
            let shown = || format!("{}: `{text}`\nstdout:\n{stdout}\nstderr:\n{stderr}", block.at);
            if code != cmd.code {
                failures.push(format!("exit {code}, not {}, at {}", cmd.code, shown()));
                continue;
            }
            if let Some(want) = &cmd.output {
                let (o, e): (Vec<&str>, Vec<&str>) = (stdout.lines().collect(), stderr.lines().collect());
                let candidates = [o.clone(), e.clone(), [o.clone(), e.clone()].concat(), [e, o].concat()];
                if !candidates.iter().any(|c| lines_match(want, c)) {
                    failures.push(format!("output differs from\n{}\nat {}", want.join("\n"), shown()));
                }
            }
        }
    }
    (ran, failures)
}

#[test]
fn every_example_of_the_docs_runs_as_written() {
    let docs = documents();
    let results: Vec<(Vec<String>, Vec<String>)> = std::thread::scope(|s| {
        let runs: Vec<_> = docs.iter().map(|d| s.spawn(|| run_document(d))).collect();
        runs.into_iter().map(|r| r.join().unwrap()).collect()
    });
    let ran: Vec<&String> = results.iter().flat_map(|(r, _)| r).collect();
    let failures: Vec<String> = results.iter().flat_map(|(_, f)| f.clone()).collect();
    // The test itself finds what it should: the README's first command, usage.md's scope examples,
    // the export and gcloud lines beside `jit emulator --port 8085` (served on another port).
    let has = |pat: &str| ran.iter().any(|c| c.contains(pat));
    assert!(
        has(
            "jit --emulator grant roles/storage.objectViewer --for 2h --member alice@example.com --project jit-demo-prod --yes && jit --emulator list"
        ),
        "{ran:#?}"
    );
    assert!(has("--run-service api --region europe-west1"), "{ran:#?}");
    assert!(has("export CLOUDSDK_AUTH_ACCESS_TOKEN_FILE=$(mktemp)"), "{ran:#?}");
    assert!(!has(":8085") && has("jit --endpoint http://127.0.0.1:"), "{ran:#?}");
    assert!(ran.len() >= 40, "{} commands: {ran:#?}", ran.len());
    assert!(failures.is_empty(), "{} example(s) failed:\n\n{}", failures.len(), failures.join("\n\n"));
}

/// The examples found are the ones meant: the README's three (its first names `my-project` and is
/// marked), usage.md's, and none of a `<!-- not run: … -->` block.
#[test]
fn the_examples_are_found_by_the_convention() {
    let doc = "Intro, `jit --emulator list` and `jit --emulator COMMAND …`\n\n```\njit --emulator list --project p\nVAR=1 jit list \\\n  --all\ncargo test\n```\n\n\
               <!-- not run: Google -->\n```\njit list --project my-project\n```\n\n\
               ```\n$ jit grant x # exit 2\nerror: `x` …\n  hint: …\n$ jit list\n```\n\n```\ntitle: jit until\n```\n\n\
               <!-- file: jit.toml -->\n```toml\nmax_duration = \"8h\"\n```\n```\njit grant y # exit 2: a reason\n```\n";
    let found = blocks("d.md", doc);
    assert_eq!(
        found,
        vec![
            Block {
                at: "d.md:1".into(),
                cmds: vec![Cmd { text: "jit --emulator list".into(), output: None, code: 0 }],
                file: None,
            },
            Block {
                at: "d.md:3".into(),
                cmds: vec![
                    Cmd { text: "jit --emulator list --project p".into(), output: None, code: 0 },
                    Cmd { text: "VAR=1 jit list --all".into(), output: None, code: 0 },
                    Cmd { text: "cargo test".into(), output: None, code: 0 },
                ],
                file: None,
            },
            Block {
                at: "d.md:15".into(),
                cmds: vec![
                    Cmd {
                        text: "jit grant x # exit 2".into(),
                        output: Some(vec!["error: `x` …".into(), "  hint: …".into()]),
                        code: 2
                    },
                    Cmd { text: "jit list".into(), output: None, code: 0 },
                ],
                file: None,
            },
            Block {
                at: "d.md:27".into(),
                cmds: Vec::new(),
                file: Some(Saved::Write("jit.toml".into(), "max_duration = \"8h\"\n".into()))
            },
            Block {
                at: "d.md:30".into(),
                cmds: vec![Cmd { text: "jit grant y # exit 2: a reason".into(), output: None, code: 2 }],
                file: None,
            },
        ]
    );
    assert!(line_matches("error: `x` …", "error: `x` is not a role"));
    assert!(!line_matches("error: `x` …", "error: `y` is not a role"));
    assert!(line_matches("a … c … e", "a b c d e"));
    assert!(!line_matches("a … c", "a b c d"));
    let want: Vec<String> = vec!["x".into(), "…".into(), "z".into()];
    assert!(lines_match(&want, &["x", "z"]));
    assert!(lines_match(&want, &["x", "1", "2", "z"]));
    assert!(!lines_match(&want, &["x", "1"]));
    let readme = std::fs::read_to_string(Path::new(ROOT).join("README.md")).unwrap();
    let cmds: Vec<String> =
        blocks("README.md", &readme).into_iter().flat_map(|b| b.cmds).map(|c| c.text).collect();
    assert!(cmds[0].starts_with("jit --emulator grant roles/storage.objectViewer --for 2h"), "{cmds:?}");
    assert!(!cmds.iter().any(|c| c.contains("my-project") && !c.contains("gcloud")), "{cmds:?}");
}
