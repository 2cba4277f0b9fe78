//! `jit completions SHELL`, the generator behind the committed scripts under completions/, and the
//! completer the scripts call back into.
//!
//! The scripts are clap_complete's dynamic ones: on TAB the shell runs `COMPLETE=SHELL jit -- WORDS`
//! and jit answers from its own command line definition, so role names (2,461 predefined roles)
//! come from the catalog in the binary instead of a script that would have to spell them all out.

use std::ffi::{OsStr, OsString};

use clap_complete::Shell;
use clap_complete::engine::CompletionCandidate;
use clap_complete::env::{CompleteEnv, EnvCompleter};

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
    CompleteEnv::with_factory(crate::cli::command)
        .var(VAR)
        .bin("jit")
        .completer("jit")
        .try_complete(args.iter().cloned(), current_dir.as_deref())
        .map_err(|e| Error::io(format!("cannot complete: {e}")))
}

/// Candidates for a role argument: the predefined roles that start with what was typed (with or
/// without `roles/`), each with its title for the shells that show one. Until something is typed
/// past `roles/`'s own letters, the one candidate is `roles/`, not 2,461 names.
pub fn role_names(current: &OsStr) -> Vec<CompletionCandidate> {
    let Some(current) = current.to_str() else { return Vec::new() };
    if "roles/".starts_with(current) && current != "roles/" {
        return vec![CompletionCandidate::new("roles/")];
    }
    let prefix = if current.starts_with("roles/") || current.contains('/') {
        current.to_string()
    } else {
        format!("roles/{current}")
    };
    crate::roles::with_prefix(&prefix)
        .map(|r| CompletionCandidate::new(r.name()).help(Some(r.title().into())))
        .collect()
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
