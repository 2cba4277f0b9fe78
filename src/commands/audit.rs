//! `jit audit [--recursive]`: the findings of src/audit.rs on every place (a policy file, or
//! resources through the API; with --recursive every resource below, of every kind, through Cloud
//! Asset Inventory's search, or every folder and project through the walk), as a table or JSON;
//! exit 1 when there are any, so that CI fails.

use crate::audit::{self, Finding};
use crate::cli::{Format, Via};
use crate::config::Config;
use crate::error::{Error, exit};
use crate::output;
use crate::target::{self, Policies, Progress};
use crate::team::Team;

/// `recursive`: how to find every resource below the places named (`--recursive --via`).
pub fn run(
    config: &Config,
    team: Option<&Team>,
    recursive: Option<Via>,
    concurrency: usize,
) -> Result<i32, Error> {
    target::block_on(async {
        let mut policies = Policies::open(config).await?;
        let now = config.now;
        // The search's copy of every policy is audited as it is, a page at a time (issue 22 item
        // 3): an audit only reports, and Google's index is minutes behind at most (docs/usage.md
        // says so).
        let mut searched = Vec::new();
        let mut unreadable = Vec::new();
        let index = match recursive {
            Some(via) => {
                policies.check_recursive()?;
                policies
                    .index(config, via, |place, policy| {
                        match audit::audit(&place.name(), &policy, team, now) {
                            Ok(f) => searched.push(f),
                            Err(e) => unreadable.push((place, e)),
                        }
                    })
                    .await?
            }
            None => None,
        };
        let (found, errors, total) = match index {
            Some(index) => {
                let mut errors = index.errors;
                errors.extend(unreadable);
                let total = index.examined + errors.len();
                (searched, errors, total)
            }
            None => {
                let walk_errors = if recursive.is_some() {
                    policies.add_descendants(concurrency).await?
                } else {
                    Vec::new()
                };
                let progress = Progress::new(config, policies.places().len(), "auditing");
                let results = policies
                    .read_each(concurrency, &progress, |name, p| audit::audit(name, p, team, now))
                    .await;
                progress.finish();
                let (found, mut errors) = target::split(results);
                let total = policies.places().len() + walk_errors.len();
                errors.extend(walk_errors);
                (found, errors, total)
            }
        };
        if errors.len() == total {
            return target::settle(&errors, total);
        }
        let mut findings: Vec<Finding> = found.into_iter().flatten().collect();
        findings.sort_by(|a, b| {
            (&a.resource, a.finding, &a.role, &a.member).cmp(&(&b.resource, b.finding, &b.role, &b.member))
        });
        let nothing = findings.is_empty().then(|| match total {
            1 => "No findings.".to_string(),
            n => format!("No findings ({n} resources examined)."),
        });
        let failing = findings.iter().any(|f| f.waived.is_none());
        policies.report(config, false, nothing.as_deref(), |w, format| match format {
            Format::Table => output::plain_table(
                vec!["RESOURCE", "FINDING", "ROLE", "MEMBER", "DETAIL"],
                findings
                    .iter()
                    .map(|f| {
                        vec![
                            f.resource.clone(),
                            f.finding.as_str().to_string(),
                            f.role.clone().unwrap_or_default(),
                            f.member.clone().unwrap_or_default(),
                            match &f.waived {
                                Some(reason) => format!("waived: {reason} ({})", f.detail),
                                None => f.detail.clone(),
                            },
                        ]
                    })
                    .collect(),
                w,
            ),
            _ => output::structured(&findings, format, w),
        })?;
        for e in target::resource_errors(&errors) {
            eprintln!("error: {}: {}", output::escape(&e.resource), output::escape(&e.message));
        }
        match target::settle(&errors, total)? {
            exit::OK if failing => Ok(exit::FAILED),
            code => Ok(code),
        }
    })
}
