//! Everything the emulator knows, and no HTTP: the model (hierarchy, policies in Google's wire
//! shape, identities, clock), the store and its rules, the validation written from Google's
//! documentation, the role catalog and the demo seed.

pub mod applies;
pub mod audit_log;
pub mod authorization;
pub mod catalog;
pub mod identities;
pub mod log_query;
pub mod model;
pub mod pam;
pub mod policies;
pub mod seed;
pub mod store;
#[cfg(test)]
mod test_support;
pub mod types;
pub mod validation;

pub use model::{
    Binding, Bucket, Clock, CustomRole, Data, Expr, Folder, Group, KeyRing, Organization, Policy, Project,
    RunService, Secret, ServiceAccount, ServiceAccountKey, Token,
};
pub use policies::withcond_role;
pub use seed::{DEMO_SEED, demo_seed};
pub use store::{Found, LogQueryCache, Store};
pub use types::{CONCURRENT_CHANGES, Caller, EMPTY_ETAG, Kind, StoreError, decode_etag};
