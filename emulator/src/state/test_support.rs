//! Helpers of the state's unit tests (test-only): a demo store, its callers, the time of day.

use chrono::{DateTime, TimeZone, Utc};

use super::model::{Binding, Expr, Policy};
use super::seed::demo_seed;
use super::store::{Caller, Kind, Store, StoreError};

pub fn t(h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, h, 0, 0).unwrap()
}
pub fn alice() -> Caller {
    Caller::Principal("user:alice@example.com".into())
}
pub fn bob() -> Caller {
    Caller::Principal("user:bob@example.com".into())
}
pub fn store() -> Store {
    Store::new(demo_seed())
}
pub fn read(s: &Store, v: i64) -> Policy {
    s.get_policy(&alice(), Kind::Project, "jit-demo-prod", v, t(12)).unwrap()
}
pub fn write(s: &mut Store, p: Policy) -> Result<Policy, StoreError> {
    s.set_policy(&alice(), Kind::Project, "jit-demo-prod", p, None, t(12))
}
pub fn grant_bob(expiry: &str) -> Binding {
    Binding {
        role: "roles/resourcemanager.projectIamAdmin".into(),
        members: vec!["user:bob@example.com".into()],
        condition: Some(Expr {
            expression: format!("request.time < timestamp(\"{expiry}\")"),
            title: Some("jit".into()),
            ..Expr::default()
        }),
        ..Binding::default()
    }
}
pub fn binding(role: &str, member: &str) -> Binding {
    Binding { role: role.into(), members: vec![member.into()], ..Binding::default() }
}
