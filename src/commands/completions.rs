//! `jit completions SHELL`, and the generator behind the committed scripts under completions/.

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;
use crate::error::Error;

/// The completion script for `shell`, as committed under completions/.
pub fn script(shell: Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "jit", &mut out);
    out
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
    let mut jit = Cli::command().disable_help_subcommand(true);
    jit.build();
    let subcommands: Vec<clap::Command> =
        jit.get_subcommands().filter(|s| !s.is_hide_set()).cloned().collect();
    let mut pages = vec![("jit.1".to_string(), man_page_of(&jit, &[]))];
    for sub in &subcommands {
        let name = sub.get_display_name().unwrap_or_else(|| sub.get_name()).to_string();
        pages.push((format!("{name}.1"), man_page_of(sub, &["jit"])));
    }
    pages
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
