//! `jit audit [--recursive]`: the findings of src/audit.rs on every place (a policy file, or
//! resources through the API, with --recursive every folder and project below), as a table or
//! JSON; exit 1 when there are any, so that CI fails.

use crate::audit::{self, Finding};
use crate::cli::Format;
use crate::config::Config;
use crate::error::{Error, exit};
use crate::output;
use crate::target::{self, Policies, Progress};
use crate::team::Team;

pub fn run(config: &Config, team: Option<&Team>, recursive: bool, concurrency: usize) -> Result<i32, Error> {
    target::block_on(async {
        let mut policies = Policies::open(config).await?;
        // The hierarchy walk (gcp `descendants`), as cleanup --recursive does.
        let walk_errors = if recursive { policies.add_descendants(concurrency).await? } else { Vec::new() };
        let now = config.now;
        let total = policies.places().len() + walk_errors.len();
        let progress = Progress::new(config, policies.places().len(), "auditing");
        let results =
            policies.read_each(concurrency, &progress, |name, p| audit::audit(name, p, team, now)).await;
        progress.finish();
        let (found, mut errors) = target::split(results);
        errors.extend(walk_errors);
        if errors.len() == total {
            return target::settle(&errors, total);
        }
        let mut findings: Vec<Finding> = found.into_iter().flatten().collect();
        findings.sort_by(|a, b| {
            (&a.resource, a.finding, &a.role, &a.member).cmp(&(&b.resource, b.finding, &b.role, &b.member))
        });
        let nothing = findings.is_empty().then(|| match policies.places().len() {
            1 => "No findings.".to_string(),
            n => format!("No findings ({n} resources examined)."),
        });
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
                            f.detail.clone(),
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
            exit::OK if !findings.is_empty() => Ok(exit::FAILED),
            code => Ok(code),
        }
    })
}
