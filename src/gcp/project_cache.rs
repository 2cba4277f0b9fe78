//! What a run has learnt of project numbers (src/gcp/project_names.rs resolves them): a leaf,
//! held by the connection.

use std::collections::{HashMap, HashSet};

use tokio::sync::Mutex;

/// What the run has learnt of project numbers.
#[derive(Debug, Default)]
pub(crate) struct ProjectNames {
    pub(crate) known: Mutex<Known>,
}

#[derive(Debug, Default)]
pub(crate) struct Known {
    /// Number → ID.
    pub(crate) ids: HashMap<String, String>,
    /// Numbers asked for and not resolved: not asked again.
    pub(crate) unresolved: HashSet<String>,
    /// `projects.search`: not started (`None`), the next page's token, or done.
    pub(crate) search: Option<Progress>,
}

#[derive(Debug)]
pub(crate) enum Progress {
    Next(String),
    Done,
}
