//! Each command's examples and the global options that mean something to it: what `--help`,
//! `-h`, the man pages and the completions show, and which global options a command refuses.

use crate::kinds::ROWS;

/// The examples each command's help ends with (`--help`, `-h` and its man page), as gcloud's do
/// (issue 19 item 12). One line each, under 80 columns (tests/ux.rs).
pub const EXAMPLES: [(&str, &str); 21] = [
    (
        "grant",
        "  jit grant roles/storage.admin --for 2h --reason INC-42 --project my-project
  jit grant roles/logging.viewer --member bob@example.com --until 18:00
  jit grant roles/storage.objectViewer --for 30m --bucket gs://my-logs
  jit grant @oncall-payments --for 2h --reason INC-42
  jit grant roles/run.invoker --for 1h --policy-file policy.json --in-place",
    ),
    (
        "list",
        "  jit list --project my-project
  jit list --organization 123456789012 --recursive --all
  jit list --member bob@example.com --format json
  jit list --delegations --project my-project",
    ),
    (
        "revoke",
        "  jit revoke roles/storage.admin --project my-project
  jit revoke roles/storage.admin --member bob@example.com --project my-project
  jit revoke roles/logging.viewer --all-members --bucket gs://my-logs
  jit revoke --delegation dana@example.com --project my-project",
    ),
    (
        "cleanup",
        "  jit cleanup --project my-project --dry-run
  jit cleanup --recursive --organization 123456789012
  jit cleanup --recursive --folder 234567890123 --only-jit --grace 24h",
    ),
    (
        "history",
        "  jit history --project my-project
  jit history --since 30d --member bob@example.com --project my-project
  jit history --role roles/storage.admin --format json --project my-project",
    ),
    (
        "roles",
        "  jit roles show roles/storage.admin
  jit roles list storage.",
    ),
    (
        "roles show",
        "  jit roles show roles/storage.admin
  jit roles show iam.serviceAccountUser --all-permissions",
    ),
    (
        "roles list",
        "  jit roles list\n  jit roles list roles/run.\n  jit roles list secretmanager. --format json",
    ),
    (
        "emulator",
        "  jit emulator --port 8080
  jit emulator --port 8080 --state /tmp/emulator.json --no-auth
  jit emulator --print-seed > seed.json",
    ),
    (
        "completions",
        "  jit completions bash > ~/.local/share/bash-completion/completions/jit
  jit completions zsh > ~/.zfunc/_jit
  jit completions fish > ~/.config/fish/completions/jit.fish",
    ),
    ("config", "  jit config check\n  jit config check ./jit.toml --format json"),
    ("config check", "  jit config check\n  jit config check ./jit.toml --format json"),
    (
        "delegate",
        "  jit delegate dana@example.com --roles roles/logging.viewer --for 30d
  jit delegate group:sre@example.com --bundle oncall --for 7d --folder 234567890
  jit delegate group:ops@example.com --roles roles/run.invoker --permanent",
    ),
    (
        "audit",
        "  jit audit --project my-project
  jit audit --recursive --organization 123456789012 --format json",
    ),
    (
        "entitlements",
        "  jit entitlements projects/my-project
  jit entitlements apply --dry-run
  jit entitlements --format json",
    ),
    ("entitlements apply", "  jit entitlements apply --dry-run\n  jit entitlements apply --yes"),
    (
        "request",
        "  jit request prod-debug --for 2h --reason INC-42 projects/my-project
  jit request roles/logging.viewer --for 1h --reason INC-42 --wait",
    ),
    (
        "requests",
        "  jit requests --to-approve projects/my-project
  jit requests --mine --format json",
    ),
    (
        "approve",
        "  jit approve GRANT_ID projects/my-project --reason looks-right
  jit approve projects/my-project/locations/global/entitlements/E/grants/G",
    ),
    ("deny", "  jit deny GRANT_ID projects/my-project --reason \"use the read-only role\""),
    (
        "exec",
        "  jit exec roles/logging.viewer --for 1h -- gcloud logging read --limit 5
  jit exec prod-debug --for 30m --reason INC-42 -- ./debug.sh",
    ),
];

/// The examples of `name` (`roles show` for a nested one), for [`command`] and the man pages.
pub fn examples_of(name: &str) -> Option<&'static str> {
    EXAMPLES.iter().find(|(n, _)| *n == name).map(|(_, e)| *e)
}

/// The subcommands that neither read nor write a policy, with the only global options that mean
/// something to them; every other global option (scopes, endpoint, credentials, retries, …) is
/// kept out of their help, man page and completions, and refused when given (issue 12 item 4).
pub const OWN_GLOBALS: [(&str, &[&str]); 4] = [
    ("emulator", &[]),
    ("completions", &[]),
    ("roles", &["format"]),
    ("config", &["config", "format", "quiet"]),
];

/// Global options a subcommand refuses with a reason of its own, kept out of its help, man page
/// and completions, and still parsed so that the subcommand can say why (issue 19 item 12):
/// `delegate` refuses the scope flags of the kinds that take no delegation (a delegation is held
/// by a project, folder or organization: their rows name an `admin_role`), --region and
/// --resource.
pub fn refused_globals(name: &str) -> Vec<&'static str> {
    match name {
        "delegate" => ROWS
            .iter()
            .filter(|row| row.admin_role.is_none())
            .map(|row| row.arg_id)
            .chain(["region", "resource"])
            .collect(),
        _ => Vec::new(),
    }
}

/// The global options that mean something to subcommand `name`: `None` for every one of them.
fn own_globals(name: &str) -> Option<&'static [&'static str]> {
    OWN_GLOBALS.iter().find(|(n, _)| *n == name).map(|(_, own)| *own)
}

/// Every subcommand's help ends with its examples ([`EXAMPLES`]). `-h` keeps the global options
/// to their names in one paragraph (`--help` and the man pages have them in full): twenty global
/// options in full buried a command's own few (issue 19 item 12).
pub(super) fn with_examples(mut command: clap::Command, globals: &[clap::Arg]) -> clap::Command {
    for arg in globals {
        // Hidden from `-h` only: its help goes on as the long help, which `--help` and the man
        // pages show (clap_mangen shows no short help that `-h` hides).
        command = command.mut_arg(arg.get_id().clone(), |a| {
            let long = a.get_long_help().or_else(|| a.get_help()).cloned();
            let a = a.hide_short_help(true);
            match long {
                Some(long) => a.long_help(long),
                None => a,
            }
        });
    }
    let names: Vec<String> = command.get_subcommands().map(|c| c.get_name().to_string()).collect();
    for name in names {
        command = command.mut_subcommand(&name, |mut sub| {
            let nested: Vec<String> = sub.get_subcommands().map(|c| c.get_name().to_string()).collect();
            for inner in nested {
                let full = format!("{name} {inner}");
                sub = sub.mut_subcommand(&inner, |c| annotate(c, &full, globals));
            }
            annotate(sub, &name, globals)
        });
    }
    command
}

/// One subcommand's EXAMPLES, and in `-h` the names of the global options it takes.
fn annotate(sub: clap::Command, name: &str, globals: &[clap::Arg]) -> clap::Command {
    let Some(examples) = examples_of(name) else { return sub };
    let top = name.split(' ').next().unwrap_or(name);
    let own = own_globals(top);
    let taken: Vec<String> = globals
        .iter()
        .filter(|a| own.is_none_or(|own| own.contains(&a.get_id().as_str())))
        .filter(|a| !refused_globals(top).contains(&a.get_id().as_str()))
        .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
        .collect();
    let long = format!("Examples:\n{examples}");
    let short = if taken.is_empty() {
        long.clone()
    } else {
        format!("{long}\n\nGlobal options: {} (`jit {name} --help` says what each does).", taken.join(", "))
    };
    sub.after_help(short).after_long_help(long)
}

/// A global option given on the command line, before or after the subcommand's name (or a nested
/// one's), to a subcommand it means nothing to ([`OWN_GLOBALS`]): its long name and the command.
pub(super) fn global_given_to(
    command: &clap::Command,
    matches: &clap::ArgMatches,
) -> Option<(String, String)> {
    let (name, sub) = matches.subcommand()?;
    let own_globals = own_globals(name)?;
    let given = |m: &clap::ArgMatches, id: &str| {
        m.try_contains_id(id).unwrap_or(false)
            && m.value_source(id) == Some(clap::parser::ValueSource::CommandLine)
    };
    let subcommand = command.find_subcommand(name)?;
    let (shown, nested) = match sub.subcommand() {
        Some((inner, m)) => (format!("{name} {inner}"), Some((subcommand.find_subcommand(inner), m))),
        None => (name.to_string(), None),
    };
    let own_of = |c: Option<&clap::Command>| -> Vec<String> {
        c.map(|c| c.get_arguments().filter(|a| !a.is_hide_set()).map(|a| a.get_id().to_string()).collect())
            .unwrap_or_default()
    };
    let mut own = own_of(Some(subcommand));
    if let Some((c, _)) = &nested {
        own.extend(own_of(*c));
    }
    command
        .get_arguments()
        .filter(|a| a.is_global_set() && !own_globals.contains(&a.get_id().as_str()))
        // An option of the subcommand's own with a global's name (`jit emulator --service-account`)
        // is its own: clap hands its value up to the global one too.
        .filter(|a| !own.iter().any(|o| o == a.get_id().as_str()))
        .find(|a| {
            let id = a.get_id().as_str();
            given(matches, id) || given(sub, id) || nested.as_ref().is_some_and(|(_, m)| given(m, id))
        })
        .map(|a| (format!("--{}", a.get_long().unwrap_or_default()), shown))
}
