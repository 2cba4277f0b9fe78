//! A resolved `jit revoke`.

use std::str::FromStr;

use super::grant::principals;
use crate::cli;
use crate::edit::Members;
use crate::error::Error;
use crate::iam::Role;

/// A resolved `jit revoke`.
#[derive(Debug, Clone)]
pub struct Revoke {
    pub roles: Vec<Role>,
    /// Basic roles asked for (`roles/owner`, …): they never have a time-bound binding, so there is
    /// nothing of theirs to revoke; said in a warning, as "nothing to revoke" is no error.
    pub basic: Vec<String>,
    /// `Only(empty)`: the caller.
    pub members: Members,
    pub dry_run: bool,
    pub yes: bool,
}

impl Revoke {
    pub fn resolve(args: &cli::RevokeArgs) -> Result<Revoke, Error> {
        let (roles, basic) = revoke_roles(&args.roles)?;
        Ok(Revoke {
            roles,
            basic,
            members: if args.all_members { Members::All } else { Members::Only(principals(&args.member)?) },
            dry_run: args.dry_run,
            yes: args.yes,
        })
    }
}

/// Revoking accepts any well-formed role. A basic role has no time-bound binding to end (Google
/// refuses conditions on it), so it is set apart: revoking it finds nothing, as any role without
/// a time-bound binding does, rather than failing (issue 12 item 10: it was an error).
fn revoke_roles(raw: &[String]) -> Result<(Vec<Role>, Vec<String>), Error> {
    let mut roles = Vec::new();
    let mut basic = Vec::new();
    for r in raw {
        match Role::from_str(r) {
            Err(_) if crate::iam::BASIC_ROLES.contains(&r.trim()) => basic.push(r.trim().to_string()),
            other => roles.push(other?),
        }
    }
    Ok((roles, basic))
}
