//! `jit requests [--to-approve|--mine|--approved] [SCOPE]`: Privileged Access Manager's grants
//! by the caller's relationship to them; `jit approve`, `jit deny` and `jit revoke --grant` act
//! on one.

pub use crate::cli::{ApproveArgs, DenyArgs, RequestsArgs as Args};
use crate::config::Config;
use crate::error::{Error, exit};
use crate::gcp::pam::{AccessType, Grant, Relationship};
use crate::pam::{self, GrantRow};

use super::grants::{self, Session};

impl Args {
    /// The relationships asked for: all three when none is named.
    pub fn relationships(&self) -> Vec<Relationship> {
        let chosen: Vec<Relationship> = [
            (self.to_approve, Relationship::ToApprove),
            (self.mine, Relationship::Mine),
            (self.approved, Relationship::Approved),
        ]
        .into_iter()
        .filter_map(|(on, r)| on.then_some(r))
        .collect();
        if chosen.is_empty() {
            vec![Relationship::ToApprove, Relationship::Mine, Relationship::Approved]
        } else {
            chosen
        }
    }
}

pub fn run(config: &Config, relationships: &[Relationship]) -> Result<i32, Error> {
    crate::target::block_on(async {
        let session = Session::open(config).await?;
        let gcp = session.gcp();
        let mut rows: Vec<GrantRow> = Vec::new();
        for scope in &session.scopes {
            for rel in relationships {
                let access =
                    if *rel == Relationship::Mine { AccessType::Requester } else { AccessType::Approver };
                for e in gcp.search_entitlements(scope, access).await? {
                    let approvers = e.approvers();
                    for g in gcp.search_grants(&e.name, *rel).await? {
                        rows.push(GrantRow::of(&g, &approvers, Some(*rel), config.now));
                    }
                }
            }
        }
        // Newest first; a grant shown once per relationship.
        rows.sort_by(|a, b| {
            b.created.cmp(&a.created).then(a.grant.cmp(&b.grant)).then(a.relationship.cmp(&b.relationship))
        });
        rows.dedup_by(|a, b| a.grant == b.grant && a.relationship == b.relationship);
        let scopes = session.scopes.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ");
        super::to_stdout(config, |w| {
            if rows.is_empty() && config.format == crate::cli::Format::Table {
                let what = match relationships {
                    [Relationship::ToApprove] => "awaiting your approval",
                    [Relationship::Mine] => "asked for by you",
                    [Relationship::Approved] => "approved by you",
                    _ => "that you asked for, may approve or approved",
                };
                return writeln!(w, "No grants {what} on {}.", crate::output::escape(&scopes))
                    .map_err(|e| Error::io(format!("cannot write to stdout: {e}")));
            }
            grants::render_grants(&rows, config.format, relationships.len() > 1, config.now, w)
        })?;
        Ok(exit::OK)
    })
}

/// Approve or deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Deny,
}

pub fn decide(
    config: &Config,
    grant: &str,
    reason: Option<&str>,
    decision: Decision,
    notify: Option<&crate::entitlements::Notify>,
) -> Result<i32, Error> {
    let r = pam::parse_grant_ref(grant)?;
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if decision == Decision::Deny && reason.is_none() {
        return Err(Error::usage("say why with `--reason TEXT`: the requester is told"));
    }
    if let Some(r) = reason {
        crate::iam::refuse_terminal_controls("reason", r)?;
    }
    crate::target::block_on(async {
        let session = Session::open(config).await?;
        let gcp = session.gcp();
        let g = find(&session, &r, &[Relationship::ToApprove, Relationship::Mine, Relationship::Approved])
            .await?;
        let entitlement = grants::entitlement_of(gcp, &g).await;
        let approvers: Vec<&str> = entitlement.as_ref().map(|e| e.approvers()).unwrap_or_default();
        let verb = if decision == Decision::Approve { "approve" } else { "deny" };
        let done = match decision {
            Decision::Approve => gcp.approve_grant(&g.name, reason).await,
            Decision::Deny => gcp.deny_grant(&g.name, reason.unwrap_or_default()).await,
        }
        .map_err(|e| pam::explain_decision_error(e, &g, &approvers, session.caller.as_deref(), verb))?;
        super::notify::decided(
            config,
            gcp,
            &done,
            decision == Decision::Approve,
            session.caller.as_deref(),
            notify,
        )
        .await;
        show_one(
            config,
            &done,
            &approvers,
            match decision {
                Decision::Approve => format!("Approved grant `{}` of {}", done.id(), done.requester),
                Decision::Deny => format!("Denied grant `{}` of {}", done.id(), done.requester),
            },
        )?;
        Ok(exit::OK)
    })
}

/// `jit revoke --grant GRANT`: ends an active grant early (PAM removes its binding).
pub fn revoke(config: &Config, grant: &str) -> Result<i32, Error> {
    let r = pam::parse_grant_ref(grant)?;
    crate::target::block_on(async {
        let session = Session::open(config).await?;
        let gcp = session.gcp();
        let g = find(&session, &r, &[Relationship::Approved, Relationship::Mine, Relationship::ToApprove])
            .await?;
        if !matches!(g.state.as_str(), "ACTIVE" | "ACTIVATING" | "SCHEDULED") {
            return Err(Error::usage(format!(
                "grant `{}` is {}: only an active grant can be revoked",
                g.id(),
                pam::state_words(&g.state)
            )));
        }
        let done = gcp.revoke_grant(&g.name, None).await.map_err(|e| match e {
            Error::PermissionDenied { resource, message, .. } => Error::PermissionDenied {
                resource,
                message: format!("PAM refused to revoke: {message}"),
                permission: Some("privilegedaccessmanager.grants.revoke".to_string()),
            },
            other => other,
        })?;
        show_one(config, &done, &[], format!("Revoked grant `{}` of {}", done.id(), done.requester))?;
        Ok(exit::OK)
    })
}

/// The grant `r` names, for `approve`, `deny` and `revoke --grant`: looked for on its own scope
/// when named in full, else on the command's, through the caller's `relationships` in that order.
/// A bare word that is no grant's ID but an entitlement's names the one grant on it awaiting the
/// caller's approval (`jit approve prod-debug`: what a reader can type without copying an ID).
async fn find(session: &Session, r: &pam::GrantRef, relationships: &[Relationship]) -> Result<Grant, Error> {
    let gcp = session.gcp();
    let scopes: Vec<crate::iam::ResourceId> = match r {
        pam::GrantRef::Full(name) => crate::gcp::pam::scope_of(name).into_iter().collect(),
        pam::GrantRef::Short { .. } => session.scopes.clone(),
    };
    let by_id = grants::find_grant(gcp, &scopes, r, relationships).await;
    match (by_id, r) {
        (Err(e), pam::GrantRef::Short { entitlement: None, id }) if pam::is_entitlement_id(id) => {
            grants::awaiting_on(gcp, &scopes, id).await?.ok_or(e)
        }
        (found, _) => found,
    }
}

fn show_one(config: &Config, g: &Grant, approvers: &[&str], headline: String) -> Result<(), Error> {
    let row = GrantRow::of(g, approvers, None, config.now);
    if config.format == crate::cli::Format::Table {
        grants::note(config, &format!("{headline}: {}; {}.", pam::state_words(&g.state), row.next));
    }
    super::to_stdout(config, |w| {
        grants::render_grants(std::slice::from_ref(&row), config.format, false, config.now, w)
    })
}
