//! One file per subcommand, one flow each over `target` (a policy file, or resources through
//! Google's API): resolve → read → edit → show and confirm → write → report. No command calls
//! another; what they share (asking, the removal report) is here.

use std::io::Write;

use crate::cli::{Cli, Command};
use crate::config::{self, Config, Env};
use crate::error::{Error, exit};

pub mod audit;
pub mod cleanup;
pub mod completions;
pub mod delegate;
pub mod emulator;
pub mod grant;
pub mod history;
pub mod list;
pub mod offline;
pub mod revoke;
pub mod roles;
pub mod team;

/// Runs a parsed command line in `env`; returns the exit code. Every setting is resolved once
/// here, from the command line, the environment, the team file and gcloud's configuration
/// (src/config/), and nothing parsed is changed afterwards.
pub fn run(cli: Cli, env: &Env) -> Result<i32, Error> {
    let global = &cli.global;
    // The team config (src/team.rs), read once; `config check` reads it itself.
    let team_file = match &cli.command {
        Command::Grant(_)
        | Command::List(_)
        | Command::Revoke(_)
        | Command::Cleanup(_)
        | Command::Delegate(_)
        | Command::Audit(_)
        | Command::History(_) => config::team_file::load(global.config.as_deref(), env)?,
        _ => None,
    };
    let tf = team_file.as_ref();
    let team = tf.map(|f| &f.team);
    match &cli.command {
        Command::Grant(args) => {
            let bundle = team::grant_bundle(team, args)?;
            let config = Config::resolve(global, Some(&args.file), env, tf, bundle)?;
            // Only on a terminal: elsewhere clap refuses a grant without a role (cli::parse).
            let picked = if args.roles.is_empty() { Some(roles::pick(&config, args)?) } else { None };
            let from = config::GrantFrom { env: Some(env), team: tf, bundle, picked: picked.as_ref() };
            let online = matches!(config.target, crate::config::Target::Api(_));
            let grant = grant::resolve_checked(args, from, config.now, online)?;
            // The team file's rules apply to every grant: it is named even when it set nothing.
            announce(&config, Some(&grant.origins), tf, true);
            team::after_resolve(team, bundle, &config, &grant)?;
            grant::run(&config, &grant)
        }
        Command::List(args) => {
            let file = crate::cli::EditFileArgs { file: args.file.clone(), in_place: false };
            let config = Config::resolve(global, Some(&file), env, tf, None)?;
            announce(&config, None, tf, false);
            let list = config::List::resolve(args, config.now)?;
            if args.delegations {
                return delegate::list(&config, &list.members);
            }
            list::run(&config, &list)
        }
        Command::Revoke(args) => {
            let config = Config::resolve(global, Some(&args.file), env, tf, None)?;
            announce(&config, None, tf, false);
            if let Some(p) = &args.delegation {
                return delegate::revoke(&config, p, args.dry_run, args.yes);
            }
            revoke::run(&config, &config::Revoke::resolve(args)?)
        }
        Command::Cleanup(args) => {
            let config = Config::resolve(global, Some(&args.file), env, tf, None)?;
            announce(&config, None, tf, false);
            cleanup::run(&config, &config::Cleanup::resolve(args)?)
        }
        Command::History(args) => {
            let config = Config::resolve(global, None, env, tf, None)?;
            announce(&config, None, tf, false);
            history::run(&config, args)
        }
        Command::Emulator(_) => unreachable!("handled before configuration"),
        Command::Roles(args) => roles::run(&args.command, Config::format(global, env)),
        Command::Completions(args) => completions::run(args.shell).map(|()| exit::OK),
        Command::Delegate(args) => {
            let bundle = args.bundle.as_deref().map(|name| delegate::bundle(team, name)).transpose()?;
            let config = Config::resolve(global, Some(&args.file), env, tf, bundle)?;
            let d = delegate::resolve(args, team, &config)?;
            // A bundle, the scopes and the denied roles of the file apply to a delegation.
            announce(&config, None, tf, bundle.is_some());
            delegate::run(&config, &d)
        }
        Command::Audit(args) => {
            let file = crate::cli::EditFileArgs { file: args.file.clone(), in_place: false };
            let config = Config::resolve(global, Some(&file), env, tf, None)?;
            // Audit reads the file's sensitive roles, bundles and limits.
            announce(&config, None, tf, true);
            audit::run(&config, team, args.recursive.then_some(args.via), args.concurrency.into())
        }
        Command::Config(args) => match &args.command {
            crate::cli::ConfigCommand::Check { file } => team::check(file.as_deref(), global, env),
        },
    }
}

/// Says on stderr what the team file changed (issue 17 item 2: a team file never acts in
/// silence): one line naming the file and the keys it supplied, when it supplied any setting or
/// `rules_apply` (its checks apply to the command); nothing under --quiet. With --verbose, every
/// setting and where it came from (a flag, the environment, the team file, gcloud's
/// configuration, jit's default).
fn announce(
    config: &Config,
    more: Option<&config::Origins>,
    team: Option<&config::TeamFile>,
    rules_apply: bool,
) {
    let mut origins = config.origins.clone();
    if let Some(more) = more {
        origins.extend(more);
    }
    if config.verbose {
        for line in origins.lines() {
            eprintln!("jit: {line}");
        }
    }
    let Some(t) = team else { return };
    let keys = origins.team_keys();
    if config.quiet || (keys.is_empty() && !rules_apply) {
        return;
    }
    let path = crate::output::escape(&t.team.path.display().to_string()).into_owned();
    if keys.is_empty() {
        eprintln!("note: the team config `{path}` applies");
    } else {
        let keys: Vec<String> = keys.iter().map(|k| format!("`{k}`")).collect();
        eprintln!("note: the team config `{path}` applies; it sets {}", keys.join(", "));
    }
}

/// Writes a human report to stderr unless --quiet (used when stdout carries the policy).
pub(crate) fn to_stderr(
    config: &Config,
    render: impl FnOnce(&mut dyn std::io::Write) -> Result<(), Error>,
) -> Result<(), Error> {
    if config.quiet {
        return Ok(());
    }
    buffered(std::io::stderr().lock(), "stderr", render)
}

/// Writes the report to stdout unless --quiet (JSON and YAML are always written: they are the
/// output a script asked for).
pub(crate) fn to_stdout(
    config: &Config,
    render: impl FnOnce(&mut dyn std::io::Write) -> Result<(), Error>,
) -> Result<(), Error> {
    if config.quiet && config.format == crate::cli::Format::Table {
        return Ok(());
    }
    buffered(std::io::stdout().lock(), "stdout", render)
}

/// Renders through one buffer and writes it at the end: a line-buffered stdout (or an unbuffered
/// stderr) would make a system call per line of a long listing.
fn buffered(
    to: impl Write,
    name: &str,
    render: impl FnOnce(&mut dyn std::io::Write) -> Result<(), Error>,
) -> Result<(), Error> {
    let mut out = std::io::BufWriter::new(to);
    render(&mut out)?;
    out.flush().map_err(|e| Error::io(format!("cannot write to {name}: {e}")))
}

/// Asks on a terminal whether to go ahead (`Policies::asks` decides when to ask).
pub(crate) fn confirm(config: &Config, question: &str) -> Result<bool, Error> {
    if !config.interactive {
        return Ok(true);
    }
    dialoguer::Confirm::new()
        .with_prompt(crate::output::escape(question))
        .default(false)
        .interact()
        .map_err(|e| Error::io(format!("cannot ask for confirmation: {e}")))
}

/// A declined confirmation is the user's answer, not a failure (issue 12 item 8): it says so on
/// stderr and jit exits 0.
pub(crate) fn cancelled() -> i32 {
    eprintln!("Cancelled; nothing was written.");
    exit::OK
}

/// The report of `revoke` and `cleanup`: what was removed on every place, the failed places named,
/// and the exit code of the one rule for partial failure (`target::settle`).
pub(crate) fn report_removals(
    config: &Config,
    policies: &crate::target::Policies,
    results: Vec<(crate::target::Place, Result<Vec<crate::edit::TimedBinding>, Error>)>,
    dry_run: bool,
    nothing: &str,
    shown: Option<Vec<crate::edit::TimedBinding>>,
) -> Result<i32, Error> {
    use crate::target;
    // A place counts once, however often it failed (issue 12 item 8).
    let mut places: Vec<String> = results.iter().map(|(p, _)| p.name()).collect();
    places.sort();
    places.dedup();
    let total = places.len();
    let (removed, errors) = target::split(results);
    let errors = target::one_error_per_place(errors);
    if errors.len() == 1 && total == 1 {
        return target::settle(&errors, total);
    }
    let mut out = crate::output::RemovalOutput {
        dry_run,
        resources: total,
        removed: removed.into_iter().flatten().collect(),
        errors: target::resource_errors(&errors),
    };
    crate::edit::sort(&mut out.removed);
    // One answer, not two (issue 12 item 8): "Nothing to revoke." rather than that and
    // "Removed 0 time-bound grants on 1 resource.".
    let nothing = (out.removed.is_empty() && errors.is_empty()).then(|| match total {
        1 => nothing.to_string(),
        n => format!("{nothing} ({n} resources examined)"),
    });
    // After `y`, the table the terminal just showed is not shown again (issue 12 item 8): its
    // last line says it was done, unless the outcome differs from the plan.
    let key = |b: &crate::edit::TimedBinding| (b.resource.clone(), b.role.clone(), b.member.clone());
    let rows = |bs: &[crate::edit::TimedBinding]| {
        let mut keys: Vec<_> = bs.iter().map(key).collect();
        keys.sort();
        keys
    };
    let as_planned = shown.is_some_and(|plan| rows(&plan) == rows(&out.removed))
        && errors.is_empty()
        && nothing.is_none()
        && config.format == crate::cli::Format::Table
        && config.stdout_is_terminal;
    if as_planned {
        if !config.quiet {
            println!("{}", crate::output::removal_summary(&out));
        }
    } else {
        policies.report(config, dry_run, nothing.as_deref(), |w, format| {
            crate::output::removal(&out, format, w)
        })?;
    }
    target::print_errors(&out.errors);
    target::settle(&errors, total)
}
