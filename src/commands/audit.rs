//! `jit audit [--recursive]`: the findings of src/audit.rs on every place (a policy file, or
//! resources through the API; with --recursive every resource below, of every kind, through Cloud
//! Asset Inventory's search, or every folder and project through the walk), as a table or JSON;
//! exit 1 when there are any, so that CI fails.

use crate::audit::{self, Finding};
use crate::cli::{Format, Via};
use crate::config::Config;
use crate::error::{Error, exit};
use crate::flow;
use crate::output;
use crate::target::{self, Policies};
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
        let view = |name: &str, p: &crate::policy::Policy| audit::audit(name, p, team, now);
        let mut read = match recursive {
            Some(via) => flow::read_below(config, &mut policies, via, concurrency, "auditing", view).await?,
            None => flow::read_all(config, &policies, concurrency, "auditing", view).await,
        };
        if let Some(answer) = read.all_failed() {
            return answer;
        }
        let total = read.total;
        let mut findings: Vec<Finding> = std::mem::take(&mut read.found).into_iter().flatten().collect();
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
        match read.settle()? {
            exit::OK if failing => Ok(exit::FAILED),
            code => Ok(code),
        }
    })
}
