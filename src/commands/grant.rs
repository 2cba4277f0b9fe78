//! `jit grant`.

use crate::config::{self, Config, Target};
use crate::edit::{self, GrantRequest};
use crate::error::{Error, exit};
use crate::iam::Principal;
use crate::output::{self, GrantOutput};

use super::offline;

pub fn run(config: &Config, g: &config::Grant) -> Result<i32, Error> {
    match &config.target {
        Target::File { path, in_place } => {
            if g.members.is_empty() {
                return Err(Error::usage_hint(
                    "--member is required with --policy-file",
                    "offline, jit has no credentials to tell who you are",
                ));
            }
            let policy = offline::read(path)?;
            let resource = offline::resource_label(config, path);
            let (new, report) =
                edit::grant(&resource, &policy, &request(g, &g.members, None, config), config.now)?;
            let changed = report.changed();
            let out = GrantOutput { report, errors: Vec::new(), dry_run: g.dry_run };
            offline::finish(config, path, *in_place, g.dry_run, &new, changed, |w, format| {
                output::grant(&out, format, config.now, w)
            })?;
            Ok(exit::OK)
        }
        Target::Api(conn) => super::api::grant(config, conn, g),
    }
}

/// Resolves a grant and checks its roles before anything is read or sent (issue 13): a role must
/// be one of Google's predefined roles or a well-formed custom role name, unless --no-role-check.
///
/// A malformed role is reported with the role check's message (the closest roles, the right
/// custom-role form); a well-formed one is looked up once every other flag is valid, as a question
/// to Google would be asked last.
///
/// Today jit's copy of Google's roles decides, online too. When the API layer can ask Google
/// (`roles.get` for one role, or `roles.queryGrantableRoles` on the scope), its answer goes in
/// `roles::check`'s `online` argument and decides instead, so a role newer than the copy passes.
pub(crate) fn resolve_checked(
    args: &crate::cli::GrantArgs,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<config::Grant, Error> {
    let check = || -> Result<(), Error> {
        if !args.no_role_check {
            for role in &args.roles {
                crate::roles::check(role, None)?;
            }
        }
        Ok(())
    };
    if args.roles.iter().any(|r| r.parse::<crate::iam::Role>().is_err()) {
        check()?;
    }
    let grant = config::Grant::resolve(args, now)?;
    check()?;
    Ok(grant)
}

pub(crate) fn request(
    g: &config::Grant,
    members: &[Principal],
    caller: Option<&Principal>,
    config: &Config,
) -> GrantRequest {
    GrantRequest {
        roles: g.roles.clone(),
        members: members.to_vec(),
        start: g.start,
        end: g.end,
        replace: g.replace,
        note: g.note(caller, config.now),
    }
}
