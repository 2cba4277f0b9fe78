//! Everything the emulator knows, and no HTTP: the model (hierarchy, policies in Google's wire
//! shape, identities, clock), the store and its rules, the validation written from Google's
//! documentation, the role catalog and the demo seed.

pub mod audit_log;
pub mod catalog;
pub mod log_query;
pub mod model;
pub mod pam;
pub mod seed;
pub mod store;
pub mod validation;

pub use model::{
    Binding, Bucket, Clock, CustomRole, Data, Expr, Folder, Group, KeyRing, Organization, Policy, Project,
    RunService, Secret, ServiceAccount, ServiceAccountKey, Token,
};
pub use seed::{DEMO_SEED, demo_seed};
pub use store::{
    CONCURRENT_CHANGES, Caller, EMPTY_ETAG, Found, Kind, LogQueryCache, Store, StoreError, decode_etag,
    withcond_role,
};
