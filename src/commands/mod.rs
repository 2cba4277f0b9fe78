//! One file per subcommand, one flow each over `target` (a policy file, or resources through
//! Google's API): resolve → read → edit → show and confirm → write → report. No command calls
//! another; what they share (asking, the removal report) is here.

use std::io::IsTerminal;

use crate::cli::{Cli, Command, Format};
use crate::config::{self, Config, Env};
use crate::error::{Error, exit};
pub(crate) use crate::flow::report_removals;
pub(crate) use crate::present::{cancelled, confirm, to_stdout};

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

/// Runs a parsed command line; returns the exit code.
pub fn run(cli: Cli) -> Result<i32, Error> {
    let now = chrono::Utc::now();
    let var = |name: &str| std::env::var(name).ok();
    let env = Env {
        var: &var,
        stdout_is_terminal: std::io::stdout().is_terminal(),
        interactive: std::io::stdin().is_terminal() && std::io::stderr().is_terminal(),
        now,
    };
    let mut global = cli.global;
    // The team config (src/team.rs), read once; `config check` reads it itself.
    let team = match &cli.command {
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
        | Command::Deny(_) => team::load(&global, &env)?,
        _ => None,
    };
    match cli.command {
        Command::Grant(mut args) => {
            let max_given = args.max_duration.is_some();
            let bundle = team::prepare_grant(team.as_ref(), &mut args, &mut global)?;
            let config = Config::resolve(&global, Some(&args.file), &env)?;
            if args.roles.is_empty() {
                // Only on a terminal: elsewhere clap refuses a grant without a role (cli::parse).
                roles::pick(&config, &mut args)?;
            }
            let online = matches!(config.target, crate::config::Target::Api(_));
            let grant = grant::resolve_checked(&args, now, online)?;
            if !args.no_role_check {
                // A role that does not apply to a kind granted on is refused before anything is
                // sent (issue 18 item 3).
                let kinds: Vec<_> = config.scopes.iter().map(|r| r.kind).collect();
                crate::roles::check_applies(grant.roles.iter().map(|r| r.as_str()), &kinds)?;
            }
            team::after_resolve(team.as_ref(), bundle.as_ref(), &config, &grant)?;
            let maximum = grant::maximum(&args, max_given, team.as_ref(), bundle.as_ref(), &grant)?;
            grant::run(&config, &grant, &maximum)
        }
        Command::List(args) => {
            team::default_scopes(team.as_ref(), &mut global, args.file.policy_file.is_some());
            let file = crate::cli::EditFileArgs {
                file: crate::cli::PolicyFileArgs { policy_file: args.file.policy_file.clone() },
                in_place: false,
            };
            let config = Config::resolve(&global, Some(&file), &env)?;
            let list = config::List::resolve(&args, config.now)?;
            if args.delegations {
                return delegate::list(&config, &list.members);
            }
            list::run(&config, &list)
        }
        Command::Revoke(args) if args.grant.is_some() => {
            let scope = grants::scope_of_grant(args.grant.as_deref().unwrap_or_default(), None);
            let config = grants::resolve(&mut global, scope.as_deref(), &env)?;
            requests::revoke(&config, args.grant.as_deref().unwrap_or_default())
        }
        Command::Revoke(args) => {
            team::default_scopes(team.as_ref(), &mut global, args.file.file.policy_file.is_some());
            let config = Config::resolve(&global, Some(&args.file), &env)?;
            if let Some(p) = &args.delegation {
                return delegate::revoke(&config, p, args.dry_run, args.yes);
            }
            revoke::run(&config, &config::Revoke::resolve(&args)?)
        }
        Command::Cleanup(args) => {
            team::default_scopes(team.as_ref(), &mut global, args.file.file.policy_file.is_some());
            let config = Config::resolve(&global, Some(&args.file), &env)?;
            cleanup::run(&config, &config::Cleanup::resolve(&args)?)
        }
        Command::History(args) => {
            team::default_scopes(team.as_ref(), &mut global, false);
            let config = Config::resolve(&global, None, &env)?;
            history::run(&config, &args)
        }
        Command::Emulator(_) => unreachable!("handled before configuration"),
        Command::Roles(args) => {
            let format =
                global.format.unwrap_or(if env.stdout_is_terminal { Format::Table } else { Format::Json });
            roles::run(&args.command, format)
        }
        Command::Completions(args) => completions::run(args.shell).map(|()| exit::OK),
        Command::Delegate(args) => {
            delegate::prepare(team.as_ref(), &args, &mut global)?;
            let config = Config::resolve(&global, Some(&args.file), &env)?;
            let d = delegate::resolve(&args, team.as_ref(), &config)?;
            delegate::run(&config, &d)
        }
        Command::Audit(args) => {
            team::default_scopes(team.as_ref(), &mut global, args.file.policy_file.is_some());
            let file = crate::cli::EditFileArgs { file: args.file.clone(), in_place: false };
            let config = Config::resolve(&global, Some(&file), &env)?;
            audit::run(&config, team.as_ref(), args.recursive.then_some(args.via), args.concurrency.into())
        }
        Command::Entitlements(args) => match args.command {
            Some(entitlements::Sub::Apply { dry_run, yes }) => {
                let declared = team.as_ref().map(|t| t.pam.entitlements.clone()).unwrap_or_default();
                if declared.is_empty() {
                    return Err(Error::usage_hint(
                        "the team config has no [entitlements.ID] table",
                        "docs/usage.md \"Requests and approvals\" shows one; `jit config check` checks the file",
                    ));
                }
                let config = grants::resolve(&mut global, Some(&declared[0].scope.name()), &env)?;
                entitlements::apply(&config, &declared, dry_run, yes)
            }
            None => entitlements::list(&grants::resolve(&mut global, args.scope.as_deref(), &env)?),
        },
        Command::Request(args) => {
            let (scope, r) = request::Request::resolve(&args)?;
            let config = grants::resolve(&mut global, scope.as_deref(), &env)?;
            request::run(&config, &r, team.as_ref().and_then(|t| t.pam.notify.as_ref()))
        }
        Command::Exec(args) => {
            let (scope, _) = crate::pam::parse_request_words(&args.words)?;
            let scope = scope.map(|s| s.name());
            exec::run(&grants::resolve(&mut global, scope.as_deref(), &env)?, &args)
        }
        Command::Requests(args) => {
            let config = grants::resolve(&mut global, args.scope.as_deref(), &env)?;
            requests::run(&config, &args.relationships())
        }
        Command::Approve(args) => {
            let scope = grants::scope_of_grant(&args.grant, args.scope.as_deref());
            let config = grants::resolve(&mut global, scope.as_deref(), &env)?;
            let notify = team.as_ref().and_then(|t| t.pam.notify.as_ref());
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
            let config = grants::resolve(&mut global, scope.as_deref(), &env)?;
            let notify = team.as_ref().and_then(|t| t.pam.notify.as_ref());
            requests::decide(&config, &args.grant, Some(&args.reason), requests::Decision::Deny, notify)
        }
        Command::Config(args) => match args.command {
            crate::cli::ConfigCommand::Check { file } => team::check(file.as_deref(), &global, &env),
        },
    }
}
