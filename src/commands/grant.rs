//! `jit grant`.

use crate::config::{self, Config, Target};
use crate::edit;
use crate::error::{Error, exit};
use crate::gcp::kinds;
use crate::output::{self, GrantOutput};
use crate::roles::{self, Online, RoleCheck};

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
/// Offline, jit's copy of Google's roles decides. Online, the copy decides for the roles it knows
/// (no round trip on the common path), and the others go in [`config::Grant::ask_google`]: a
/// `roles/NAME` the copy does not know (it may be newer than the copy) and every custom role, for
/// [`check_online`] to decide with Google's `roles.get`.
pub(crate) fn resolve_checked(
    args: &crate::cli::GrantArgs,
    now: chrono::DateTime<chrono::Utc>,
    online: bool,
) -> Result<config::Grant, Error> {
    let check = || -> Result<Vec<String>, Error> {
        let mut ask: Vec<String> = Vec::new();
        if args.no_role_check {
            return Ok(ask);
        }
        for role in &args.roles {
            let name = role.trim();
            match roles::check(name, None) {
                Ok(RoleCheck::Custom) if online => ask.push(name.to_string()),
                Ok(_) => {}
                // A well-formed predefined-form name the copy does not know, which Google's "yes"
                // would let through: Google decides. A malformed one (`roles/`, `roles/a b`) keeps
                // the copy's message with the closest roles; no answer could make it right.
                Err(_)
                    if online
                        && name.starts_with("roles/")
                        && name.parse::<crate::iam::Role>().is_ok()
                        && roles::check(name, Some(Online::Exists)).is_ok() =>
                {
                    ask.push(name.to_string());
                }
                Err(e) => return Err(e),
            }
        }
        ask.sort();
        ask.dedup();
        Ok(ask)
    };
    if args.roles.iter().any(|r| r.parse::<crate::iam::Role>().is_err()) {
        check()?;
    }
    let mut grant = config::Grant::resolve(args, now)?;
    grant.ask_google = check()?;
    Ok(grant)
}

/// Decides the roles of [`config::Grant::ask_google`] with Google's answers to `roles.get`, one
/// per role, in that order. Google's yes or no decides (a no is the role check's usage error,
/// exit 2, before anything is written). A question Google did not answer (a 403 on a custom role
/// without `iam.roles.get`, the network) leaves the decision to jit's copy, with a warning: a
/// predefined role it does not know is refused as offline; a custom role goes ahead, and Google
/// refuses the write if the role does not exist.
pub(crate) fn check_online(
    asked: &[String],
    answers: Vec<Result<Online, Error>>,
    warn: &mut dyn FnMut(&str),
) -> Result<(), Error> {
    for (role, answer) in asked.iter().zip(answers) {
        match answer {
            Ok(online) => {
                roles::check(role, Some(online))?;
            }
            Err(e) => {
                let custom = !role.starts_with("roles/");
                let then = if custom {
                    "granting it anyway; Google refuses the write if the role does not exist"
                } else {
                    "jit's copy of Google's roles decides"
                };
                warn(&format!("role `{role}` could not be checked with Google ({e}); {then}"));
                roles::check(role, None)?;
            }
        }
    }
    Ok(())
}

/// In a dry run, a custom role Google did not answer about does not go ahead with a warning as it
/// does for real (where Google's own refusal of the write is the check): a dry run is asked
/// whether the grant would go through, and jit cannot tell. It ends with a usage error (exit 2)
/// naming the role and Google's answer, before anything else is shown (docs/usage.md, "Roles").
pub(crate) fn refuse_unchecked_in_dry_run(
    asked: &[String],
    answers: &[Result<Online, Error>],
) -> Result<(), Error> {
    for (role, answer) in asked.iter().zip(answers) {
        if let Err(e) = answer
            && !role.starts_with("roles/")
        {
            return Err(Error::usage_hint(
                format!(
                    "a dry run cannot tell whether custom role `{role}` would be granted: Google did not describe it ({e})"
                ),
                "run without --dry-run (Google refuses the write if the role does not exist), get `iam.roles.get` \
                 where the role is defined, or pass --no-role-check",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A dry run refuses a custom role Google did not answer about; an answered one, a
    /// predefined one (the copy decides those) and an unanswered one outside a dry run pass.
    #[test]
    fn a_dry_run_refuses_a_custom_role_google_did_not_describe() {
        let custom = vec!["projects/p-1234/roles/deployer".to_string()];
        let e = refuse_unchecked_in_dry_run(&custom, &[Err(down())]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "a dry run cannot tell whether custom role `projects/p-1234/roles/deployer` would be granted: Google did \
             not describe it (`roles/x`: `https://iam.googleapis.com` did not answer)"
        );
        assert_eq!(e.exit_code(), 2);
        assert!(e.hint().unwrap().starts_with("run without --dry-run"), "{:?}", e.hint());
        assert_eq!(refuse_unchecked_in_dry_run(&custom, &[Ok(Online::Exists)]), Ok(()));
        assert_eq!(refuse_unchecked_in_dry_run(&["roles/brandNew.role".to_string()], &[Err(down())]), Ok(()));
    }

    fn down() -> Error {
        Error::Network {
            resource: "roles/x".into(),
            message: "`https://iam.googleapis.com` did not answer".into(),
        }
    }

    /// Google's answer decides; without one, jit's copy does (a predefined role it does not know
    /// is refused, a custom role goes ahead), with a warning either way.
    #[test]
    fn google_decides_and_the_copy_is_the_fallback() {
        let warnings = std::cell::RefCell::new(Vec::<String>::new());
        let mut warn = |l: &str| warnings.borrow_mut().push(l.to_string());
        let brand_new = vec!["roles/brandNew.role".to_string()];
        assert!(check_online(&brand_new, vec![Ok(Online::Exists)], &mut warn).is_ok());
        let no = check_online(&brand_new, vec![Ok(Online::NotFound)], &mut warn).unwrap_err();
        assert!(no.to_string().starts_with("`roles/brandNew.role` is not a predefined role"), "{no}");
        let custom = vec!["projects/p-1234/roles/deployer".to_string()];
        assert!(check_online(&custom, vec![Ok(Online::Exists)], &mut warn).is_ok());
        let no = check_online(&custom, vec![Ok(Online::NotFound)], &mut warn).unwrap_err();
        assert_eq!(no.to_string(), "custom role `projects/p-1234/roles/deployer` does not exist");
        assert!(warnings.borrow().is_empty(), "{warnings:?}");

        assert!(check_online(&custom, vec![Err(down())], &mut warn).is_ok());
        let refused = check_online(&brand_new, vec![Err(down())], &mut warn).unwrap_err();
        assert!(
            refused.to_string().starts_with("`roles/brandNew.role` is not a predefined role"),
            "{refused}"
        );
        assert_eq!(
            *warnings.borrow(),
            [
                "role `projects/p-1234/roles/deployer` could not be checked with Google (`roles/x`: \
                 `https://iam.googleapis.com` did not answer); granting it anyway; Google refuses the write if the role does not exist",
                "role `roles/brandNew.role` could not be checked with Google (`roles/x`: `https://iam.googleapis.com` did not \
                 answer); jit's copy of Google's roles decides",
            ]
        );
    }
}
