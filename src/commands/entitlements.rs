//! `jit entitlements [SCOPE]`: what the caller may request (and approve) through Privileged
//! Access Manager; `jit entitlements apply [--dry-run]`: makes PAM match jit.toml's
//! `[entitlements.ID]` tables.

pub use crate::cli::{EntitlementsArgs as Args, EntitlementsCommand as Sub};
use serde::Serialize;

use crate::cli::Format;
use crate::config::Config;
use crate::entitlements::{Action, Change, Declared};
use crate::error::{Error, exit};
use crate::gcp::pam::{AccessType, Entitlement};
use crate::output;

use super::grants::{self, Session};

/// One entitlement as listed.
#[derive(Debug, Serialize)]
struct Row {
    entitlement: String,
    id: String,
    roles: Vec<String>,
    max_duration: String,
    approvers: Vec<String>,
    reason_required: bool,
    you_may: Vec<&'static str>,
}

pub fn list(config: &Config) -> Result<i32, Error> {
    crate::target::block_on(async {
        let session = Session::open(config).await?;
        let gcp = session.gcp();
        let mut rows: Vec<Row> = Vec::new();
        for scope in &session.scopes {
            let (request, approve) = futures::try_join!(
                gcp.search_entitlements(scope, AccessType::Requester),
                gcp.search_entitlements(scope, AccessType::Approver)
            )?;
            for (list, what) in [(request, "request"), (approve, "approve")] {
                for e in list {
                    match rows.iter_mut().find(|r| r.entitlement == e.name) {
                        Some(r) => r.you_may.push(what),
                        None => rows.push(row(&e, what)),
                    }
                }
            }
        }
        rows.sort_by(|a, b| a.entitlement.cmp(&b.entitlement));
        let scopes = session.scopes.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ");
        super::to_stdout(config, |w| {
            if config.format != Format::Table {
                return output::structured(&rows, config.format, w);
            }
            if rows.is_empty() {
                return writeln!(
                    w,
                    "No entitlement you may request or approve on {}.",
                    output::escape(&scopes)
                )
                .map_err(|e| Error::io(format!("cannot write to stdout: {e}")));
            }
            let cells = rows
                .iter()
                .map(|r| {
                    vec![
                        r.id.clone(),
                        r.roles.join("\n"),
                        r.max_duration.clone(),
                        if r.approvers.is_empty() {
                            "none needed".to_string()
                        } else {
                            r.approvers.join("\n")
                        },
                        if r.reason_required { "required" } else { "optional" }.to_string(),
                        r.you_may.join(", "),
                    ]
                })
                .collect();
            output::plain_table(
                vec!["ENTITLEMENT", "ROLES", "UP TO", "APPROVERS", "REASON", "YOU MAY"],
                cells,
                w,
            )
        })?;
        Ok(exit::OK)
    })
}

fn row(e: &Entitlement, what: &'static str) -> Row {
    Row {
        entitlement: e.name.clone(),
        id: e.id().to_string(),
        roles: e.roles().into_iter().map(str::to_string).collect(),
        max_duration: e
            .max_duration()
            .map(crate::timespec::words)
            .unwrap_or_else(|| e.max_request_duration.clone()),
        approvers: e.approvers().into_iter().map(str::to_string).collect(),
        reason_required: e.requires_reason(),
        you_may: vec![what],
    }
}

/// `jit entitlements apply`.
pub fn apply(config: &Config, declared: &[Declared], dry_run: bool, yes: bool) -> Result<i32, Error> {
    crate::target::block_on(async {
        let session = Session::open(config).await?;
        let gcp = session.gcp();
        // Every scope the file names, listed (an administrator's view).
        let mut scopes: Vec<crate::iam::ResourceId> = declared.iter().map(|d| d.scope.clone()).collect();
        scopes.sort();
        scopes.dedup();
        let mut existing = Vec::new();
        for s in &scopes {
            existing.extend(gcp.list_entitlements(s).await?);
        }
        let plan = crate::entitlements::plan(declared, &existing);
        let changes = plan.iter().filter(|c| c.action != Action::Leave).count();
        show_plan(config, &plan, dry_run)?;
        if dry_run || changes == 0 {
            return Ok(exit::OK);
        }
        if config.interactive
            && !yes
            && config.format == Format::Table
            && !super::confirm(config, "Apply this plan?")?
        {
            return Ok(super::cancelled());
        }
        let mut failed = 0;
        for c in plan.iter().filter(|c| c.action != Action::Leave) {
            let result = match (&c.action, &c.declared, &c.current) {
                (Action::Create, Some(d), _) => {
                    gcp.create_entitlement(&d.scope, &d.id, &d.entitlement()).await.map(|_| ())
                }
                (Action::Update, Some(d), Some(cur)) => {
                    let mut e = d.entitlement();
                    e.name = cur.name.clone();
                    e.etag = cur.etag.clone();
                    gcp.update_entitlement(&e, &c.fields.join(",")).await.map(|_| ())
                }
                (Action::Delete, _, _) => gcp.delete_entitlement(&c.entitlement).await,
                _ => Ok(()),
            };
            match result {
                Ok(()) => grants::note(config, &format!("{}d `{}`.", verb(&c.action), c.entitlement)),
                Err(e) => {
                    failed += 1;
                    eprintln!(
                        "error: {} `{}`: {e}",
                        verb(&c.action).to_lowercase(),
                        output::escape(&c.entitlement)
                    );
                    if let Some(h) = e.hint() {
                        eprintln!("  hint: {h}");
                    }
                }
            }
        }
        if failed > 0 {
            return Err(Error::Partial { failed, total: changes });
        }
        Ok(exit::OK)
    })
}

fn verb(a: &Action) -> &'static str {
    match a {
        Action::Create => "Create",
        Action::Update => "Update",
        Action::Delete => "Delete",
        Action::Leave => "Leave",
    }
}

fn show_plan(config: &Config, plan: &[Change], dry_run: bool) -> Result<(), Error> {
    super::to_stdout(config, |w| {
        if config.format != Format::Table {
            return output::structured(&plan, config.format, w);
        }
        let io = |e: std::io::Error| Error::io(format!("cannot write to stdout: {e}"));
        if plan.is_empty() {
            return writeln!(w, "No [entitlements.*] tables in the team config: nothing to do.").map_err(io);
        }
        let cells = plan
            .iter()
            .map(|c| {
                let what = match c.action {
                    Action::Create => "create".to_string(),
                    Action::Update => format!("update {}", c.fields.join(", ")),
                    Action::Leave => "leave alone (as the file says)".to_string(),
                    Action::Delete => "delete (created by jit, in no table now)".to_string(),
                };
                vec![c.entitlement.clone(), what]
            })
            .collect();
        output::plain_table(vec!["ENTITLEMENT", "PLAN"], cells, w)?;
        let changes = plan.iter().filter(|c| c.action != Action::Leave).count();
        match (changes, dry_run) {
            (0, _) => writeln!(w, "PAM matches the file: nothing to change.").map_err(io),
            (n, true) => {
                writeln!(w, "Dry run: {n} change{} not made.", if n == 1 { "" } else { "s" }).map_err(io)
            }
            _ => Ok(()),
        }
    })
}
