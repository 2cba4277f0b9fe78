//! `jit grant`.

use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::cli::Format;
use crate::config::{self, Config};
use crate::edit::{self, GrantReport};
use crate::error::Error;
use crate::flow::{self, Outcome, Planned};
use crate::kinds;
use crate::output::{self, GrantOutput};
use crate::roles::{self, Online, RoleCheck};
use crate::target::{self, Policies};

/// `jit grant`: one read-modify-write per place (a policy file, or resources through the API),
/// with the caller and the roles Google must decide on asked while the policies are read.
pub fn run(config: &Config, g: &config::Grant, maximum: &edit::Maximum) -> Result<i32, Error> {
    // jit's grants are conditional: a kind that refuses conditions (src/kinds/) is refused
    // before anything is read or sent, offline too (the file is that resource's policy).
    if let Some(r) =
        config.scopes.iter().find(|r| kinds::row(r.kind).conditions == kinds::Conditions::Refused)
    {
        return Err(crate::gcp::refused_conditions(r));
    }
    target::block_on(async {
        let policies = Policies::open(config).await?;
        let now = config.now;
        let asks = policies.asks(config, g.yes, g.dry_run);
        // Who the caller is (tokeninfo, a round trip for a user's token) is asked while the
        // policies are read, not before (issue 9: a grant costs two round trips, not three). The
        // reads are only used for the first cycle; a plan shown on a terminal reads again after
        // the question. The roles jit's copy does not know (and custom roles) are asked of Google
        // at the same time too (issue 13); its answers decide before anything is written.
        let (caller, first, answers) = futures::join!(
            policies.caller(),
            policies.first_reads(!asks),
            futures::future::join_all(g.ask_google.iter().map(|role| policies.role_exists(role)))
        );
        if g.dry_run {
            refuse_unchecked_in_dry_run(&g.ask_google, &answers)?;
        }
        // The window was computed from this machine's clock; Google's may differ (issue 17 item 3).
        // Said once, as soon as an answer of Google's has shown its clock.
        let skew_said = std::cell::Cell::new(false);
        let say_skew = || {
            let skew = policies.gcp().and_then(crate::gcp::Gcp::clock_skew);
            if !skew_said.get()
                && let Some(line) = crate::gcp::clock::grant_warning(skew, g.start, g.end, now)
            {
                skew_said.set(true);
                eprintln!("warning: {}", output::escape(&line));
            }
        };
        say_skew();
        check_online(&g.ask_google, answers, &mut |line| {
            eprintln!("warning: {}", output::escape(line));
        })?;
        // With --member the caller only fills in "granted by": a token tokeninfo does not know (a
        // federated one) still grants; a failing or silent tokeninfo still stops the command.
        let caller = match caller {
            Err(Error::Auth { .. }) if !g.members.is_empty() => None,
            other => other?,
        };
        let members = policies.members_or_caller(&g.members, "--member").await?;
        let mut req = g.request(&members, caller.as_ref(), now);
        req.maximum = maximum.clone();

        // The plan shown on a terminal, to show only a line when the outcome is that plan.
        let shown = if asks {
            let plan =
                |name: &str, policy: &crate::policy::Policy| Ok(edit::grant(name, policy, &req, now)?.1);
            let show = |reports: Vec<GrantReport>| {
                let mut plan = GrantOutput { dry_run: true, ..Default::default() };
                for report in reports {
                    merge(&mut plan.report, report);
                }
                output::grant(&plan, Format::Table, now, &mut std::io::stderr())?;
                say_skew();
                if !plan.report.changed() {
                    let unchanged = GrantOutput { dry_run: false, ..plan };
                    policies
                        .report(config, false, None, |w, format| output::grant(&unchanged, format, now, w))?;
                    return Ok(Planned::Nothing);
                }
                Ok(Planned::Ask(plan.report))
            };
            match flow::plan_and_confirm(config, &policies, plan, show).await? {
                Ok(plan) => Some(plan),
                Err(code) => return Ok(code),
            }
        } else {
            None
        };

        // A write whose answer was lost is retried from a fresh read that already holds it; the
        // report is then the one of the attempt that wrote (issue 8 defect 12).
        let asked: Mutex<BTreeMap<String, GrantReport>> = Default::default();
        let results = flow::apply(
            config,
            &policies,
            first,
            target::CONCURRENCY,
            "granting",
            g.dry_run,
            |name, policy| {
                let (new, report) = edit::grant(name, policy, &req, now)?;
                let changed = report.changed();
                let mut asked = asked.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                if changed {
                    asked.insert(name.to_string(), report.clone());
                } else if let Some(earlier) = asked.get(name).filter(|earlier| report.shows_landed(earlier)) {
                    return Ok((new, earlier.clone(), false));
                }
                Ok((new, report, changed))
            },
        )
        .await;
        say_skew();
        let outcome = |reports: Vec<GrantReport>, errors, _| {
            let mut out = GrantOutput { dry_run: g.dry_run, errors, ..Default::default() };
            for report in reports {
                merge(&mut out.report, report);
            }
            // After `y`, the table the terminal just showed is not shown again (issue 12 item 8):
            // one line says it was done, unless the outcome differs from the plan.
            let as_planned = shown
                .filter(|plan| same_rows(plan) == same_rows(&out.report))
                .map(|_| output::grant_done(&out.report));
            Outcome { out, nothing: None, as_planned }
        };
        flow::report(config, &policies, results, g.dry_run, outcome, |out, format, w| {
            output::grant(out, format, now, w)
        })
    })
}

/// The maxima a grant's windows are held to once joined with the grants already there (issue 17
/// item 1): jit's own (resolved once with its origin: --max-duration, JIT_MAX_DURATION, the team
/// file's `max_duration`, or the default) and the team config's per role, per bundle and global
/// ones.
pub(crate) fn maximum(
    team: Option<&crate::team::Team>,
    bundle: Option<&crate::team::Bundle>,
    g: &config::Grant,
) -> edit::Maximum {
    let mut roles = std::collections::BTreeMap::new();
    if let Some(t) = team {
        for r in &g.roles {
            if let Some((d, source)) = t.limit(r.as_str(), bundle) {
                roles.insert(
                    r.as_str().to_string(),
                    (d, format!("{source} in the team config `{}`", t.path.display())),
                );
            }
        }
    }
    edit::Maximum { all: Some(g.max.clone()), roles }
}

/// A report with its rows in one order, to compare a plan with what was done.
fn same_rows(r: &GrantReport) -> GrantReport {
    let mut r = r.clone();
    for rows in [&mut r.granted, &mut r.extended, &mut r.shortened, &mut r.unchanged, &mut r.pruned] {
        rows.sort_by(|a, b| (&a.resource, &a.role, &a.member).cmp(&(&b.resource, &b.role, &b.member)));
    }
    r.warnings.sort();
    r
}

fn merge(into: &mut GrantReport, from: GrantReport) {
    into.granted.extend(from.granted);
    into.extended.extend(from.extended);
    into.shortened.extend(from.shortened);
    into.unchanged.extend(from.unchanged);
    into.pruned.extend(from.pruned);
    into.warnings.extend(from.warnings);
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
    from: config::GrantFrom,
    now: chrono::DateTime<chrono::Utc>,
    online: bool,
) -> Result<config::Grant, Error> {
    let names = from.role_names(args);
    let check = || -> Result<Vec<String>, Error> {
        let mut ask: Vec<String> = Vec::new();
        if args.no_role_check {
            return Ok(ask);
        }
        for role in &names {
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
    if names.iter().any(|r| r.parse::<crate::iam::Role>().is_err()) {
        check()?;
    }
    let mut grant = config::Grant::resolve(args, from, now)?;
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
