//! `jit completions SHELL`, the generator behind the committed scripts under completions/, and the
//! completer the scripts call back into.
//!
//! The scripts are clap_complete's dynamic ones: on TAB the shell runs `COMPLETE=SHELL jit -- WORDS`
//! and jit answers from its own command line definition, so role names (2,461 predefined roles)
//! come from the catalog in the binary instead of a script that would have to spell them all out.

use std::ffi::OsString;

use clap_complete::Shell;
use clap_complete::engine::{ArgValueCompleter, CompletionCandidate};
use clap_complete::env::{CompleteEnv, EnvCompleter};

pub use crate::cli::role_names;
use crate::error::Error;

/// The variable the scripts set to ask jit for completions instead of running a command.
const VAR: &str = "COMPLETE";

/// The completion script for `shell`, as committed under completions/ (and as `COMPLETE=SHELL jit`
/// prints it). It calls `jit` from PATH.
pub fn script(shell: Shell) -> Vec<u8> {
    let mut out = Vec::new();
    let completer: &dyn EnvCompleter = match shell {
        Shell::Bash => &clap_complete::env::Bash,
        Shell::Zsh => &clap_complete::env::Zsh,
        Shell::Fish => &clap_complete::env::Fish,
        Shell::Elvish => &clap_complete::env::Elvish,
        Shell::PowerShell => &clap_complete::env::Powershell,
        // A shell clap_complete adds later: its static script, without role names.
        _ => {
            clap_complete::generate(shell, &mut crate::cli::command(), "jit", &mut out);
            return out;
        }
    };
    completer.write_registration(VAR, "jit", "jit", "jit", &mut out).expect("writing to memory cannot fail");
    out
}

/// Answers a shell's completion request (`COMPLETE=SHELL jit -- WORDS`) if this run is one; true
/// then, and the caller exits. Reads only one variable otherwise.
pub fn complete_from_env(args: &[OsString], env: &crate::config::Env) -> Result<bool, Error> {
    if env.vars.os(VAR).is_none_or(|v| v == "0") {
        return Ok(false);
    }
    let current_dir = env.cwd.clone();
    let bundles = bundle_names(env);
    let projects = crate::config::configured_projects(env);
    CompleteEnv::with_factory(move || with_local_values(crate::cli::command(), &bundles, &projects))
        .var(VAR)
        .bin("jit")
        .completer("jit")
        .try_complete(args.iter().cloned(), current_dir.as_deref())
        .map_err(|e| Error::io(format!("cannot complete: {e}")))
}

/// The names of the team file's bundles (found as every command finds it, without --config, which
/// is not parsed while completing); none when there is no file or it does not parse. Silent: a
/// completion must not print warnings into the shell's line.
fn bundle_names(env: &crate::config::Env) -> Vec<String> {
    let found = crate::config::team_file::locate(None, &env.vars, env.cwd.as_deref(), &mut |_| {});
    let Ok(Some((path, _))) = found else { return Vec::new() };
    crate::config::team_file::read(&path).map(|t| t.bundles.into_keys().collect()).unwrap_or_default()
}

/// The command line with completers that know this machine: `jit grant` completes `@BUNDLE`
/// names of the team file as well as roles, and `--project` the project IDs of gcloud's
/// configuration (issue 19 item 14).
fn with_local_values(cmd: clap::Command, bundles: &[String], projects: &[String]) -> clap::Command {
    let bundles = bundles.to_vec();
    let roles = move |current: &std::ffi::OsStr| role_or_bundle(current, &bundles);
    let projects = projects.to_vec();
    let project = move |current: &std::ffi::OsStr| -> Vec<CompletionCandidate> {
        let current = current.to_string_lossy();
        projects.iter().filter(|p| p.starts_with(current.as_ref())).map(CompletionCandidate::new).collect()
    };
    cmd.mut_subcommand("grant", |g| g.mut_arg("roles", |a| a.add(ArgValueCompleter::new(roles))))
        .mut_arg("project", |a| a.add(ArgValueCompleter::new(project)))
}

/// Role names as [`role_names`] gives them, and `@NAME` for each bundle: all of them when `@` is
/// typed, besides `roles/` when nothing is.
pub fn role_or_bundle(current: &std::ffi::OsStr, bundles: &[String]) -> Vec<CompletionCandidate> {
    let Some(text) = current.to_str() else { return Vec::new() };
    let at = |b: &String| format!("@{b}");
    match text.strip_prefix('@') {
        Some(name) => bundles
            .iter()
            .filter(|b| b.starts_with(name))
            .map(|b| CompletionCandidate::new(at(b)).help(Some("bundle of the team config".into())))
            .collect(),
        None if text.is_empty() => {
            let mut out = role_names(current);
            out.extend(bundles.iter().map(|b| CompletionCandidate::new(at(b))));
            out
        }
        None => role_names(current),
    }
}

/// The file name a shell expects its completion script under.
pub fn file_name(shell: Shell) -> &'static str {
    match shell {
        Shell::Bash => "jit.bash",
        Shell::Zsh => "_jit",
        Shell::Fish => "jit.fish",
        Shell::Elvish => "jit.elv",
        Shell::PowerShell => "_jit.ps1",
        _ => "jit.completion",
    }
}

/// Every man page, as committed: `jit.1` under docs/, and a page per subcommand (`jit-grant.1`, …)
/// under docs/man/, each with its file name.
pub fn man_pages() -> Vec<(String, Vec<u8>)> {
    // As clap_mangen's `generate_to` does: no `help` subcommand, and after `build` each subcommand
    // carries its display name (`jit-grant`) and the global options.
    let mut jit = crate::cli::command().disable_help_subcommand(true);
    jit.build();
    let mut pages = vec![("jit.1".to_string(), man_page_of(&jit, &[]))];
    sub_pages(&jit, "jit", &mut pages);
    pages
}

/// A page for every visible subcommand of `parent`, and of theirs (`jit roles show`), each naming
/// its parent's page under SEE ALSO.
fn sub_pages(parent: &clap::Command, parent_name: &str, pages: &mut Vec<(String, Vec<u8>)>) {
    for sub in parent.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = sub.get_display_name().unwrap_or_else(|| sub.get_name()).to_string();
        pages.push((format!("{name}.1"), man_page_of(sub, &[parent_name])));
        sub_pages(sub, &name, pages);
    }
}

/// One man page: clap_mangen's sections, then the examples as typed (no fill: an example stays on
/// its line and can be pasted), then SEE ALSO. `.nh` turns hyphenation off, so that no flag is
/// broken at the end of a line (`--pol‐icy-file`); clap_mangen writes every hyphen as `\-`, which
/// groff never breaks at.
fn man_page_of(cmd: &clap::Command, see_also: &[&str]) -> Vec<u8> {
    use clap_mangen::roff::{Roff, bold, roman};
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd.clone().after_help(None::<&str>).after_long_help(None::<&str>))
        .source(concat!("jit ", env!("CARGO_PKG_VERSION")))
        .render(&mut page)
        .expect("rendering to memory cannot fail");
    let page = String::from_utf8(page).expect("clap_mangen writes UTF-8");

    let mut more = Roff::new();
    if let Some(examples) = cmd.get_after_long_help().or_else(|| cmd.get_after_help()) {
        more.control("SH", ["EXAMPLES"]).control("nf", []);
        for line in examples.to_string().lines().filter(|l| *l != "Examples:") {
            more.text([roman(line)]);
        }
        more.control("fi", []);
    }
    let name = cmd.get_display_name().unwrap_or_else(|| cmd.get_name());
    let sub = name.strip_prefix("jit-").unwrap_or("");
    more.control("SH", ["EXIT STATUS"]);
    for (code, meaning) in exit_status(sub) {
        more.control("TP", []).text([bold(code)]).text([roman(meaning)]);
    }
    let environment = environment(sub);
    if !environment.is_empty() {
        more.control("SH", ["ENVIRONMENT"]);
        for (var, meaning) in environment {
            more.control("TP", []).text([bold(var)]).text([roman(meaning)]);
        }
    }
    let mut refs: Vec<String> = see_also.iter().map(|s| s.to_string()).collect();
    refs.extend(
        cmd.get_subcommands()
            .filter(|s| !s.is_hide_set())
            .map(|s| s.get_display_name().unwrap_or_else(|| s.get_name()).to_string()),
    );
    if !refs.is_empty() {
        more.control("SH", ["SEE ALSO"]);
        let mut text = Vec::new();
        for (i, name) in refs.iter().enumerate() {
            text.push(bold(name.as_str()));
            text.push(roman(if i + 1 == refs.len() { "(1)" } else { "(1), " }));
        }
        more.text(text);
    }
    // Without the preamble that defines `\*(Aq` (the page starts with it already).
    let more = more.render();
    let more: String = more.lines().skip(2).map(|l| format!("{l}\n")).collect();

    let mut out = String::with_capacity(page.len() + more.len() + 4);
    let mut rest = page.as_str();
    if let Some(th) = rest.find(".TH ") {
        let end = rest[th..].find('\n').map_or(rest.len(), |n| th + n + 1);
        out.push_str(&rest[..end]);
        out.push_str(".nh\n");
        rest = &rest[end..];
    }
    match rest.find(".SH VERSION\n") {
        Some(at) => {
            out.push_str(&rest[..at]);
            out.push_str(&more);
            out.push_str(&rest[at..]);
        }
        None => {
            out.push_str(rest);
            out.push_str(&more);
        }
    }
    out.into_bytes()
}

pub fn run(shell: Shell) -> Result<(), Error> {
    use std::io::Write;
    std::io::stdout().write_all(&script(shell)).map_err(|e| Error::io(format!("cannot write to stdout: {e}")))
}

/// The exit codes of `jit SUB` (`""` for jit itself), as docs/usage.md and error.rs's `exit` give
/// them (issue 19 item 13).
fn exit_status(sub: &str) -> Vec<(&'static str, &'static str)> {
    let offline = sub.starts_with("roles") || sub.starts_with("config") || sub == "completions";
    let mut codes = vec![("0", "Success (a declined confirmation too: nothing was written).")];
    match sub {
        "audit" => codes.push(("1", "Findings were reported, or the operation failed.")),
        "config" | "config-check" => {}
        _ if offline => {}
        _ => codes.push(("1", "The operation failed (an API error, the network, credentials).")),
    }
    codes.push((
        "2",
        "Bad input (flags, durations, principals, roles, files, the team config): nothing was sent.",
    ));
    if !offline {
        codes.push(("3", "Permission denied: the caller lacks a permission on a resource."));
        codes.push(("4", "Partial failure: some resources failed, the others were done."));
    }
    codes
}

/// The environment variables `jit SUB` reads (`""` for jit itself).
fn environment(sub: &str) -> Vec<(&'static str, &'static str)> {
    let mut vars = Vec::new();
    if sub == "completions" {
        return vars;
    }
    if !sub.starts_with("roles") && sub != "emulator" {
        vars.push(("JIT_CONFIG", "The team config file, when --config is not given."));
        vars.push((
            "XDG_CONFIG_HOME",
            "Where the team config is looked for last ($XDG_CONFIG_HOME/jit/config.toml).",
        ));
    }
    if sub.starts_with("roles") || sub.starts_with("config") {
        vars.push(("COLUMNS", "The width tables and help fit, as ls reads it."));
        return vars;
    }
    if sub == "emulator" {
        vars.push((
            "XDG_STATE_HOME",
            "Where jit --emulator keeps its state ($XDG_STATE_HOME/jit/emulator.json).",
        ));
        return vars;
    }
    if sub.is_empty() || sub == "grant" || sub == "delegate" {
        vars.push(("JIT_MAX_DURATION", "The longest grant allowed, when --max-duration is not given."));
    }
    vars.extend([
        ("CLOUDSDK_CORE_PROJECT, GOOGLE_CLOUD_PROJECT", "The default project, before the active gcloud configuration's."),
        ("CLOUDSDK_CONFIG, CLOUDSDK_ACTIVE_CONFIG_NAME", "gcloud's configuration directory and active configuration (core/project)."),
        ("CLOUDSDK_BILLING_QUOTA_PROJECT", "The quota project, when --billing-project is not given."),
        ("GOOGLE_APPLICATION_CREDENTIALS", "A credentials file (service account key, external account), before gcloud's application-default credentials."),
        ("GCE_METADATA_HOST", "The metadata server to ask for credentials on Google Cloud."),
        (
            "CLOUDSDK_API_ENDPOINT_OVERRIDES_<SERVICE>",
            "Each service's endpoint, as gcloud reads them: CLOUDRESOURCEMANAGER, STORAGE, SECRETMANAGER, IAM, IAMCREDENTIALS, CLOUDKMS, RUN, CLOUDASSET, LOGGING.",
        ),
        ("HTTPS_PROXY, HTTP_PROXY, NO_PROXY", "The proxy for Google's APIs."),
        ("XDG_STATE_HOME", "Where --emulator keeps its state ($XDG_STATE_HOME/jit/emulator.json)."),
        ("COLUMNS", "The width tables and help fit, as ls reads it."),
    ]);
    vars
}
