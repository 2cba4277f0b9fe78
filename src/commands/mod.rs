//! One file per subcommand, one flow each over `target` (a policy file, or resources through
//! Google's API): resolve → read → edit → show and confirm → write → report. No command calls
//! another; what they share (asking, the removal report) is here.

use crate::cli::{Cli, Command};
use crate::config::{self, Config, Env};
use crate::error::{Error, exit};
pub(crate) use crate::present::{cancelled, confirm, to_stdout};
pub(crate) use revoke::report_removals;

pub mod audit;
pub mod cleanup;
pub mod completions;
pub mod delegate;
pub mod emulator;
pub mod entitlements;
pub mod exec;
pub mod grant;
pub mod grants;
pub mod history;
pub mod list;
pub mod notify;
pub mod request;
pub mod requests;
pub mod revoke;
pub mod roles;
pub mod stopped;
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
        | Command::History(_)
        | Command::Entitlements(_)
        | Command::Request(_)
        | Command::Approve(_)
        | Command::Deny(_) => config::team_file::load(global.config.as_deref(), env)?,
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
            if !args.no_role_check {
                // A role that does not apply to a kind granted on is refused before anything is
                // sent (issue 18 item 3).
                let kinds: Vec<_> = config.scopes.iter().map(|r| r.kind).collect();
                crate::roles::check_applies(grant.roles.iter().map(|r| r.as_str()), &kinds)?;
            }
            // The team file's rules apply to every grant: it is named even when it set nothing.
            announce(&config, Some(&grant.origins), tf, true);
            team::after_resolve(team, bundle, &config, &grant)?;
            let maximum = grant::maximum(team, bundle, &grant);
            grant::run(&config, &grant, &maximum)
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
        Command::Revoke(args) if args.grant.is_some() => {
            let scope = grants::scope_of_grant(args.grant.as_deref().unwrap_or_default(), None);
            let config = grants::resolve(global, scope.as_deref(), env)?;
            requests::revoke(&config, args.grant.as_deref().unwrap_or_default())
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
        Command::Entitlements(args) => match &args.command {
            Some(entitlements::Sub::Apply { dry_run, yes }) => {
                let declared = team.map(|t| t.pam.entitlements.clone()).unwrap_or_default();
                if declared.is_empty() {
                    return Err(Error::usage_hint(
                        "the team config has no [entitlements.ID] table",
                        "docs/usage.md \"Requests and approvals\" shows one; `jit config check` checks the file",
                    ));
                }
                let config = grants::resolve(global, Some(&declared[0].scope.name()), env)?;
                entitlements::apply(&config, &declared, *dry_run, *yes)
            }
            None => entitlements::list(&grants::resolve(global, args.scope.as_deref(), env)?),
        },
        Command::Request(args) => {
            let (scope, r) = request::Request::resolve(args)?;
            let config = grants::resolve(global, scope.as_deref(), env)?;
            request::run(&config, &r, team.and_then(|t| t.pam.notify.as_ref()))
        }
        Command::Exec(args) => {
            let (scope, _) = crate::pam::parse_request_words(&args.words)?;
            let scope = scope.map(|s| s.name());
            exec::run(&grants::resolve(global, scope.as_deref(), env)?, args)
        }
        Command::Requests(args) => {
            let config = grants::resolve(global, args.scope.as_deref(), env)?;
            requests::run(&config, &args.relationships())
        }
        Command::Approve(args) => {
            let scope = grants::scope_of_grant(&args.grant, args.scope.as_deref());
            let config = grants::resolve(global, scope.as_deref(), env)?;
            let notify = team.and_then(|t| t.pam.notify.as_ref());
            requests::decide(
                &config,
                &args.grant,
                args.reason.as_deref(),
                requests::Decision::Approve,
                notify,
            )
        }
        Command::Deny(args) => {
            let scope = grants::scope_of_grant(&args.grant, args.scope.as_deref());
            let config = grants::resolve(global, scope.as_deref(), env)?;
            let notify = team.and_then(|t| t.pam.notify.as_ref());
            requests::decide(&config, &args.grant, Some(&args.reason), requests::Decision::Deny, notify)
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
