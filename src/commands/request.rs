//! `jit request ID|ROLE... [SCOPE] --for 2h --reason TEXT [--wait]`: asks Privileged Access
//! Manager for access through the entitlements the caller may request. Google enforces the rest:
//! who may ask, for how long, with which reason, who approves, and the end.

pub use crate::cli::RequestArgs as Args;
use std::time::Duration as StdDuration;

use chrono::Duration;

use crate::cli::Format;
use crate::config::Config;
use crate::error::{Error, exit};
use crate::gcp::pam::{AccessType, Entitlement, Grant};
use crate::pam::{self, GrantRow, Wanted};
use crate::timespec;

use super::grants::{self, Session};

/// What was asked, checked at the edge.
pub struct Request {
    pub wanted: Vec<Wanted>,
    pub duration: Duration,
    pub reason: Option<String>,
    pub wait: Option<StdDuration>,
}

impl Request {
    /// The scope named among the words, and the request.
    pub fn resolve(args: &Args) -> Result<(Option<String>, Request), Error> {
        let (scope, wanted) = pam::parse_request_words(&args.words)?;
        if wanted.is_empty() {
            return Err(Error::usage("name an entitlement or a role to request"));
        }
        if let Some(start) = &args.start {
            return Err(Error::usage_hint(
                format!("PAM cannot start a grant at `{start}`: its grants start when they are approved"),
                "request when you need the access (PAM v1's Grant has no start time); `jit grant --start` schedules jit's own grants",
            ));
        }
        let duration = timespec::parse_duration(args.duration.as_deref().unwrap_or("1h"))?;
        let reason = args.reason.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(str::to_string);
        if let Some(r) = &reason {
            crate::iam::refuse_terminal_controls("reason", r)?;
        }
        let wait = if args.wait {
            Some(
                timespec::parse_duration(&args.wait_timeout)?
                    .to_std()
                    .unwrap_or(StdDuration::from_secs(1800)),
            )
        } else {
            None
        };
        // An entitlement named in full says its scope.
        let scope = scope.or_else(|| {
            wanted.iter().find_map(|w| match w {
                Wanted::Entitlement(name) if name.contains('/') => crate::gcp::pam::scope_of(name),
                _ => None,
            })
        });
        Ok((scope.map(|s| s.name()), Request { wanted, duration, reason, wait }))
    }
}

pub fn run(config: &Config, r: &Request, notify: Option<&crate::entitlements::Notify>) -> Result<i32, Error> {
    crate::target::block_on(async {
        grants::one_scope(config)?;
        let session = Session::open(config).await?;
        let scope = session.one_scope()?.clone();
        let gcp = session.gcp();
        let mut eligible = gcp.search_entitlements(&scope, AccessType::Requester).await?;
        // An entitlement named in full that the search did not return is asked for anyway: PAM
        // decides, and its refusal is explained.
        for w in &r.wanted {
            if let Wanted::Entitlement(name) = w
                && name.contains('/')
                && !eligible.iter().any(|e| &e.name == name)
            {
                eligible.push(Entitlement { name: name.clone(), ..Default::default() });
            }
        }
        let plan = pam::plan_request(&eligible, &r.wanted, &scope.name())?;
        for e in &plan {
            pam::check_request(e, r.duration, r.reason.as_deref())?;
        }
        if plan.len() > 1 {
            grants::note(
                config,
                &format!(
                    "The roles asked for are in {} entitlements: {} grants, one per entitlement ({}).",
                    plan.len(),
                    plan.len(),
                    plan.iter().map(|e| e.id()).collect::<Vec<_>>().join(", ")
                ),
            );
        }
        let mut made: Vec<(Grant, Vec<String>)> = Vec::new();
        let mut failure = None;
        for e in &plan {
            match gcp.create_grant(&e.name, r.duration, r.reason.as_deref(), &[]).await {
                Ok(g) => made.push((g, e.approvers().iter().map(|a| a.to_string()).collect())),
                Err(err) => {
                    failure = Some(pam::explain_request_error(
                        err,
                        e,
                        r.duration,
                        r.reason.as_deref(),
                        session.caller.as_deref(),
                    ));
                    break;
                }
            }
        }
        super::notify::requested(config, gcp, &made, notify).await;
        show(config, &made)?;
        if let Some(err) = failure {
            return Err(err);
        }
        if let Some(bound) = r.wait {
            for (g, approvers) in &made {
                grants::follow(config, gcp, g, approvers, bound).await?;
            }
        }
        Ok(exit::OK)
    })
}

fn rows(config: &Config, made: &[(Grant, Vec<String>)]) -> Vec<GrantRow> {
    made.iter()
        .map(|(g, a)| GrantRow::of(g, &a.iter().map(String::as_str).collect::<Vec<_>>(), None, config.now))
        .collect()
}

fn show(config: &Config, made: &[(Grant, Vec<String>)]) -> Result<(), Error> {
    if made.is_empty() {
        return Ok(());
    }
    let rows = rows(config, made);
    super::to_stdout(config, |w| grants::render_grants(&rows, config.format, false, config.now, w))?;
    if config.format == Format::Table {
        for row in &rows {
            grants::note(config, &format!("{}: {}.", row.id, row.next));
        }
    }
    Ok(())
}
