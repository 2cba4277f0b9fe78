//! `jit grant`.

use crate::config::{self, Config, Target};
use crate::edit;
use crate::error::{Error, exit};
use crate::gcp::kinds;
use crate::output::{self, GrantOutput};

use super::offline;

pub fn run(config: &Config, g: &config::Grant) -> Result<i32, Error> {
    // jit's grants are conditional: a kind that refuses conditions (src/gcp/kinds.rs) is refused
    // before anything is read or sent, offline too (the file is that resource's policy).
    if let Some(r) =
        config.scopes.iter().find(|r| kinds::row(r.kind).conditions == kinds::Conditions::Refused)
    {
        return Err(crate::gcp::refused_conditions(r));
    }
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
                edit::grant(&resource, &policy, &g.request(&g.members, None, config.now), config.now)?;
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
