//! One place a policy lives: a saved policy, or a resource through the API.

use crate::iam::ResourceId;

/// One place a policy lives.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Place {
    /// A saved policy, reported under `label`: the one scope named on the command line, or the
    /// file's path (`stdin` for `-`).
    File { label: String },
    /// A resource of any kind, through the API.
    Resource(ResourceId),
}

impl Place {
    /// The name jit reports the place by.
    pub fn name(&self) -> String {
        match self {
            Place::File { label } => label.clone(),
            Place::Resource(r) => r.name(),
        }
    }
}
