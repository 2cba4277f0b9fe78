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

/// Refuses, before anything is read or sent, a role that is neither one of Google's predefined
/// roles nor a well-formed custom role name (issue 13), unless --no-role-check.
///
/// Today jit's copy of Google's roles decides, online too. When the API layer can ask Google
/// (`roles.get` for one role, or `roles.queryGrantableRoles` on the scope), its answer goes in
/// `roles::check`'s `online` argument and decides instead, so a role newer than the copy passes.
pub(crate) fn check_roles(args: &crate::cli::GrantArgs) -> Result<(), Error> {
    if args.no_role_check {
        return Ok(());
    }
    for role in &args.roles {
        crate::roles::check(role, None)?;
    }
    Ok(())
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
