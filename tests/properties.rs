//! Property tests of the safety invariants (design §4) over generated policies. Effective access is
//! computed by evaluating every condition with the `cel` interpreter, not with jit's own bound
//! analysis, so the two check each other.

use std::collections::{BTreeSet, HashMap};
use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use jit::condition::{self, GrantNote};
use jit::edit::{self, GrantRequest, Members};
use jit::iam::{Principal, Role, same_member};
use jit::policy::{Binding, Expr, Policy};
use jit::source::Source;
use jit::timespec;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

const ROLES: [&str; 3] = ["roles/storage.admin", "roles/logging.viewer", "roles/compute.admin"];
const MEMBERS: [&str; 4] = [
    "user:a@example.com",
    "user:b@example.com",
    "group:g@example.com",
    "serviceAccount:s@p-1.iam.gserviceaccount.com",
];

fn now() -> DateTime<Utc> {
    condition::parse_timestamp("2026-11-25T12:00:00Z").unwrap()
}

fn ts(minutes: i64) -> String {
    condition::format_timestamp(now() + Duration::minutes(minutes))
}

/// Conditions as the tools in the wild write them, at times around now.
fn arb_condition() -> impl Strategy<Value = Option<Expr>> {
    let m = -600i64..600;
    prop_oneof![
        2 => Just(None),
        3 => m.clone().prop_map(|e| Some(Expr {
            expression: format!("request.time < timestamp(\"{}\")", ts(e)),
            title: Some(format!("jit until {}", ts(e))),
            description: Some("Granted by user:x@example.com at 2026-11-25T10:00:00Z via jit.".into()),
            ..Default::default()
        })),
        1 => (m.clone(), 1i64..300).prop_map(|(s, len)| Some(Expr {
            expression: format!("request.time >= timestamp(\"{}\") && request.time < timestamp(\"{}\")", ts(s), ts(s + len)),
            title: Some(format!("jit from {} until {}", ts(s), ts(s + len))),
            ..Default::default()
        })),
        1 => m.clone().prop_map(|e| Some(Expr {
            expression: format!("request.time <= timestamp('{}')", ts(e)),
            title: Some("granted by y@example.com".into()),
            description: Some("created by Gimme".into()),
            ..Default::default()
        })),
        1 => (m.clone(), m.clone()).prop_map(|(a, b)| Some(Expr {
            expression: format!("request.time < timestamp(\"{}\") || timestamp(\"{}\") > request.time", ts(a), ts(b)),
            title: Some("hand-written".into()),
            ..Default::default()
        })),
        1 => m.clone().prop_map(|e| Some(Expr {
            expression: format!("!(request.time < timestamp(\"{}\"))", ts(e)),
            title: Some("after".into()),
            ..Default::default()
        })),
        1 => m.clone().prop_map(|e| Some(Expr {
            expression: format!("resource.name.startsWith(\"projects/_/buckets/x\") && request.time < timestamp(\"{}\")", ts(e)),
            title: Some("terraform".into()),
            ..Default::default()
        })),
        1 => Just(Some(Expr { expression: "has({}.jitAccessConstraint)".into(), title: Some("Eligible".into()), ..Default::default() })),
    ]
}

fn arb_binding() -> impl Strategy<Value = Binding> {
    (
        0..ROLES.len(),
        proptest::sample::subsequence(MEMBERS.to_vec(), 1..=MEMBERS.len()),
        arb_condition(),
        any::<bool>(),
    )
        .prop_map(|(r, members, condition, extra)| {
            let mut b = Binding {
                role: ROLES[r].into(),
                members: members.into_iter().map(String::from).collect(),
                condition,
                extra: Map::new(),
            };
            if extra {
                b.extra.insert("futureField".into(), json!({"n": 1}));
            }
            b
        })
}

fn arb_policy() -> impl Strategy<Value = Policy> {
    proptest::collection::vec(arb_binding(), 0..8).prop_map(|bindings| {
        let mut extra = Map::new();
        extra.insert(
            "auditConfigs".into(),
            json!([{"service": "allServices", "auditLogConfigs": [{"logType": "DATA_READ"}]}]),
        );
        Policy { version: Some(3), bindings, extra, etag: Some("BwYmEJ6v3Xo=".into()) }
    })
}

/// Who can use which role at `t`, by evaluating every condition with the `cel` interpreter.
struct Access {
    programs: HashMap<String, cel::Program>,
}

impl Access {
    fn new() -> Access {
        Access { programs: HashMap::new() }
    }

    fn holds(&mut self, p: &Policy, role: &str, member: &str, t: DateTime<Utc>) -> bool {
        for b in &p.bindings {
            if b.role != role || !b.members.iter().any(|m| m == member) {
                continue;
            }
            match &b.condition {
                None => return true,
                Some(c) => {
                    let program = self
                        .programs
                        .entry(c.expression.clone())
                        .or_insert_with(|| condition::parse(&c.expression).unwrap());
                    if condition::evaluate_program(program, t) {
                        return true;
                    }
                }
            }
        }
        false
    }

    fn table(&mut self, p: &Policy, times: &[DateTime<Utc>], members: &[&str]) -> Vec<bool> {
        let mut out = Vec::new();
        for t in times {
            for r in ROLES {
                for m in members {
                    out.push(self.holds(p, r, m, *t));
                }
            }
        }
        out
    }
}

/// now, each bound instant in the policies (and one second either side) that is not before now,
/// and a week ahead.
fn sample_times(policies: &[&Policy]) -> Vec<DateTime<Utc>> {
    let mut times: BTreeSet<DateTime<Utc>> = BTreeSet::new();
    times.insert(now());
    times.insert(now() + Duration::days(7));
    for p in policies {
        for b in &p.bindings {
            if let Some(c) = &b.condition {
                let w = condition::window(&c.expression).unwrap();
                for at in [w.upper.map(|u| u.at), w.lower.map(|l| l.at)].into_iter().flatten() {
                    for d in [-1, 0, 1] {
                        times.insert(at + Duration::seconds(d));
                    }
                }
            }
        }
    }
    times.into_iter().filter(|t| *t >= now()).collect()
}

/// `member` with the case of its value flipped where `mask` has a bit set: the same principal as
/// Google may store it (issue 8 defect 3).
fn recase(member: &str, mask: u64) -> String {
    let (kind, value) = member.split_once(':').unwrap();
    let value: String = value
        .chars()
        .enumerate()
        .map(|(i, c)| if mask >> (i % 64) & 1 == 1 { c.to_ascii_uppercase() } else { c })
        .collect();
    format!("{kind}:{value}")
}

/// Live jit bindings of `role` for `member` in whatever case the policy spells it.
fn live_jit_count_any_case(p: &Policy, role: &str, member: &str) -> usize {
    p.bindings
        .iter()
        .filter(|b| b.role == role && b.members.iter().any(|m| same_member(m, member)))
        .filter_map(|b| b.condition.as_ref())
        .filter(|c| Source::of(c) == Source::Jit)
        .filter(|c| {
            let w = condition::window(&c.expression).unwrap();
            w.is_time_bound() && !w.ended_by(now())
        })
        .count()
}

fn is_expired_jit(b: &Binding) -> bool {
    b.condition.as_ref().is_some_and(|c| {
        let w = condition::window(&c.expression).unwrap();
        Source::of(c) == Source::Jit && w.ended_by(now())
    })
}

fn grant_request(roles: &[&str], members: &[&str], minutes: i64) -> GrantRequest {
    GrantRequest {
        roles: roles.iter().map(|r| Role::from_str(r).unwrap()).collect(),
        members: members.iter().map(|m| Principal::from_str(m).unwrap()).collect(),
        start: None,
        end: now() + Duration::minutes(minutes),
        replace: false,
        note: GrantNote {
            granted_by: Some("user:x@example.com".into()),
            granted_at: Some(now()),
            reason: Some("prop".into()),
        },
        maximum: edit::Maximum::default(),
    }
}

/// The windows of the live jit grants of `role` held by `member` (in any case), as (from, to)
/// seen from now: a start already passed is now.
fn live_jit_windows(p: &Policy, role: &str, member: &str) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let mut w: Vec<_> = p
        .bindings
        .iter()
        .filter(|b| b.role == role && b.members.iter().any(|m| same_member(m, member)))
        .filter_map(|b| b.condition.as_ref())
        .filter(|c| Source::of(c) == Source::Jit && jit::condition::delegation(&c.expression).is_none())
        .map(|c| condition::window(&c.expression).unwrap())
        .filter(|w| w.is_time_bound() && !w.ended_by(now()))
        .map(|w| (w.lower.map_or(now(), |l| l.at.max(now())), w.upper.unwrap().at))
        .collect();
    w.sort();
    w
}

/// One live jit grant of `role` for `member` covers `from..to`, and no other one overlaps or
/// touches it when the grant wrote it (it would have joined them). Windows the grant did not
/// write may touch each other as the policy `before` had them.
fn one_window_covers(
    before: &Policy,
    p: &Policy,
    role: &str,
    member: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<(), String> {
    let w = live_jit_windows(p, role, member);
    let Some(i) = w.iter().position(|(a, b)| *a <= from && to <= *b) else {
        return Err(format!("{role} {member}: no window covers {from}..{to}: {w:?}"));
    };
    let (a, b) = w[i];
    if !live_jit_windows(before, role, member).contains(&(a, b))
        && w.iter().enumerate().any(|(j, (c, d))| j != i && *c <= b && a <= *d)
    {
        return Err(format!("{role} {member}: a window joins the one granted and stays apart: {w:?}"));
    }
    Ok(())
}

/// `sample_times`, and the middle of every interval between two of them (inside any gap).
fn dense_times(policies: &[&Policy]) -> Vec<DateTime<Utc>> {
    let t = sample_times(policies);
    let mut out = t.clone();
    out.extend(t.windows(2).map(|p| p[0] + (p[1] - p[0]) / 2));
    out.sort();
    out.dedup();
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn policies_round_trip(p in arb_policy()) {
        let text = p.to_json_pretty();
        let back = Policy::from_json(&text).unwrap();
        prop_assert_eq!(&back, &p);
        prop_assert_eq!(back.to_json_pretty(), text);
    }

    #[test]
    fn cleanup_changes_nobodys_access(p in arb_policy(), grace in 0i64..120, only_jit in any::<bool>()) {
        let (after, removed) = edit::cleanup("projects/p", &p, now(), Duration::minutes(grace), only_jit).unwrap();
        let times = sample_times(&[&p]);
        let mut access = Access::new();
        prop_assert_eq!(access.table(&p, &times, &MEMBERS), access.table(&after, &times, &MEMBERS));
        for b in &after.bindings {
            prop_assert!(p.bindings.contains(b), "cleanup only removes whole bindings");
        }
        let gone = p.bindings.iter().filter(|b| !after.bindings.contains(b)).map(|b| b.members.len()).sum::<usize>();
        prop_assert_eq!(gone, removed.len());
        prop_assert_eq!(&after.extra, &p.extra);
    }

    #[test]
    fn grant_leaves_the_rest_alone_and_never_doubles_up(
        p in arb_policy(),
        roles in proptest::sample::subsequence(ROLES.to_vec(), 1..=2),
        members in proptest::sample::subsequence(MEMBERS.to_vec(), 1..=2),
        minutes in 1i64..720,
        replace in any::<bool>(),
    ) {
        let mut req = grant_request(&roles, &members, minutes);
        req.replace = replace;
        let (after, report) = match edit::grant("projects/p", &p, &req, now()) {
            Ok(x) => x,
            // Generated policies are far below Google's limits: every grant succeeds.
            Err(e) => { prop_assert!(false, "grant refused: {}", e); return Ok(()); }
        };
        let targeted = |b: &Binding| roles.contains(&b.role.as_str()) && b.members.iter().any(|m| members.contains(&m.as_str()));
        for b in &p.bindings {
            let is_targeted_jit = targeted(b) && b.condition.as_ref().is_some_and(|c| Source::of(c) == Source::Jit);
            let pruned = report.changed() && is_expired_jit(b);
            if !is_targeted_jit && !pruned {
                prop_assert!(after.bindings.contains(b), "untargeted binding changed: {:?}", b);
            }
            if b.condition.is_none() {
                prop_assert!(after.bindings.contains(b), "grant never changes a binding without a time bound");
            }
        }
        for r in &roles {
            for m in &members {
                if let Err(e) = one_window_covers(&p, &after, r, m, now(), req.end) {
                    prop_assert!(false, "{}", e);
                }
            }
        }
        // Access: everyone else's is unchanged from now on; the grantees hold the roles until the end.
        let times = sample_times(&[&p, &after]);
        let mut access = Access::new();
        let others: Vec<&str> = MEMBERS.iter().copied().filter(|m| !members.contains(m)).collect();
        prop_assert_eq!(access.table(&p, &times, &others), access.table(&after, &times, &others));
        for r in &roles {
            for m in &members {
                for t in &times {
                    if *t < req.end {
                        prop_assert!(access.holds(&after, r, m, *t), "{} {} at {}", r, m, t);
                    }
                }
            }
        }
        prop_assert_eq!(&after.extra, &p.extra);
        prop_assert_eq!(&after.etag, &p.etag);
    }

    /// Issue 17 item 1: never more access than asked. After a grant, no binding's window covers a
    /// moment that neither the windows it came from nor the request covered (so none is longer
    /// than they are together: windows join only where they overlap or touch, never across a
    /// gap), and no window the grant writes is longer than the maximum, counted from now or its
    /// start. A refusal is always one such maximum, which the same grant without it would pass.
    #[test]
    fn a_grant_never_widens_a_window_across_a_gap(
        p in arb_policy(),
        roles in proptest::sample::subsequence(ROLES.to_vec(), 1..=2),
        members in proptest::sample::subsequence(MEMBERS.to_vec(), 1..=2),
        start in proptest::option::of(1i64..600),
        minutes in 1i64..720,
        max_minutes in proptest::option::of(60i64..1440),
        per_role in proptest::option::of((0..ROLES.len(), 30i64..720)),
        replace in any::<bool>(),
    ) {
        let mut req = grant_request(&roles, &members, minutes);
        if let Some(s) = start {
            req.start = Some(now() + Duration::minutes(s));
            req.end = now() + Duration::minutes(s + minutes);
        }
        req.replace = replace;
        let mut limited = req.clone();
        limited.maximum.all = max_minutes.map(|m| (Duration::minutes(m), "the maximum".to_string()));
        if let Some((r, m)) = per_role {
            limited.maximum.roles.insert(ROLES[r].to_string(), (Duration::minutes(m), "the team".to_string()));
        }
        // The windows the grant gives a member that member did not hold under that condition.
        let written = |before: &Policy, after: &Policy| -> Vec<Binding> {
            let held = |b: &Binding, m: &str| before.bindings.iter().any(|o| o.role == b.role && o.condition == b.condition && o.members.iter().any(|x| x == m));
            after
                .bindings
                .iter()
                .filter(|b| roles.contains(&b.role.as_str()) && b.members.iter().any(|m| members.contains(&m.as_str()) && !held(b, m)))
                .cloned()
                .collect()
        };
        let too_long = |b: &Binding| {
            let w = condition::window(&b.condition.as_ref().unwrap().expression).unwrap();
            let long = edit::remaining(w.lower.map(|l| l.at), w.upper.unwrap().at, now());
            limited.maximum.of(&b.role).is_some_and(|(max, _)| long > *max)
        };
        match edit::grant("projects/p", &p, &limited, now()) {
            Ok((after, _)) => {
                for b in written(&p, &after) {
                    prop_assert!(!too_long(&b), "over the maximum: {:?}", b);
                }
                let mut access = Access::new();
                for t in dense_times(&[&p, &after]) {
                    let asked = req.start.is_none_or(|s| t >= s) && t < req.end;
                    for r in &roles {
                        for m in &members {
                            if access.holds(&after, r, m, t) {
                                prop_assert!(asked || access.holds(&p, r, m, t), "{} {} at {}: granted, never asked", r, m, t);
                            }
                        }
                    }
                }
            }
            Err(e) => {
                prop_assert_eq!(e.exit_code(), 2);
                prop_assert!(e.to_string().contains("over the maximum of"), "{}", e);
                let (after, _) = edit::grant("projects/p", &p, &req, now()).unwrap();
                prop_assert!(written(&p, &after).iter().any(too_long), "refused with no window over the maximum: {}", e);
            }
        }
    }

    #[test]
    fn grant_then_revoke_gives_back_the_original_access(
        p in arb_policy(),
        roles in proptest::sample::subsequence(ROLES.to_vec(), 1..=3),
        minutes in 1i64..720,
    ) {
        let fresh = "user:fresh@example.com";
        let (granted, _) = edit::grant("projects/p", &p, &grant_request(&roles, &[fresh], minutes), now()).unwrap();
        let role_list: Vec<Role> = roles.iter().map(|r| Role::from_str(r).unwrap()).collect();
        let (revoked, removed) = edit::revoke("projects/p", &granted, &role_list, &Members::Only(vec![Principal::from_str(fresh).unwrap()]), now()).unwrap();
        prop_assert_eq!(removed.len(), roles.len());
        let times = sample_times(&[&p, &granted]);
        let mut access = Access::new();
        let everyone: Vec<&str> = MEMBERS.iter().copied().chain([fresh]).collect();
        prop_assert_eq!(access.table(&p, &times, &everyone), access.table(&revoked, &times, &everyone));
    }

    #[test]
    fn revoke_touches_only_time_bound_bindings_of_the_roles(
        p in arb_policy(),
        roles in proptest::sample::subsequence(ROLES.to_vec(), 1..=2),
        members in proptest::sample::subsequence(MEMBERS.to_vec(), 0..=2),
    ) {
        let role_list: Vec<Role> = roles.iter().map(|r| Role::from_str(r).unwrap()).collect();
        let who = if members.is_empty() { Members::All } else { Members::Only(members.iter().map(|m| Principal::from_str(m).unwrap()).collect()) };
        let (after, _) = edit::revoke("projects/p", &p, &role_list, &who, now()).unwrap();
        for b in &p.bindings {
            let bound = b.condition.as_ref().is_some_and(|c| condition::window(&c.expression).unwrap().is_time_bound());
            if !bound || !roles.contains(&b.role.as_str()) {
                prop_assert!(after.bindings.contains(b), "revoke touched {:?}", b);
            }
        }
        for b in &after.bindings {
            let bound = b.condition.as_ref().is_some_and(|c| condition::window(&c.expression).unwrap().is_time_bound());
            if bound && roles.contains(&b.role.as_str()) {
                let revoked: Vec<&str> = match &who { Members::All => MEMBERS.to_vec(), Members::Only(_) => members.clone() };
                prop_assert!(b.members.iter().all(|m| !revoked.contains(&m.as_str())));
            }
        }
    }

    #[test]
    fn members_match_in_any_case(
        p in arb_policy(),
        roles in proptest::sample::subsequence(ROLES.to_vec(), 1..=2),
        which in 0..MEMBERS.len(),
        mask in any::<u64>(),
        minutes in 1i64..720,
    ) {
        let member = MEMBERS[which];
        let spelled = recase(member, mask);
        // list: the rows found for the other spelling are the rows of the member.
        let rows = edit::timed_bindings("projects/p", &p, now()).unwrap();
        let exact = rows.iter().filter(|r| r.member == member).count();
        let any_case = rows.iter().filter(|r| same_member(&r.member, &spelled)).count();
        prop_assert_eq!(exact, any_case);
        // grant: never a second live jit binding beside the one in the policy's spelling.
        match edit::grant("projects/p", &p, &grant_request(&roles, &[spelled.as_str()], minutes), now()) {
            Ok((after, _)) => {
                let end = now() + Duration::minutes(minutes);
                for r in &roles {
                    prop_assert!(live_jit_count_any_case(&after, r, member) >= 1, "{} {}", r, spelled);
                    if let Err(e) = one_window_covers(&p, &after, r, member, now(), end) {
                        prop_assert!(false, "{} ({})", e, spelled);
                    }
                }
            }
            Err(e) => prop_assert!(false, "grant refused: {}", e),
        }
        // revoke: the member is gone from every time-bound binding of the roles.
        let role_list: Vec<Role> = roles.iter().map(|r| Role::from_str(r).unwrap()).collect();
        let who = Members::Only(vec![Principal::from_str(&spelled).unwrap()]);
        let (after, removed) = edit::revoke("projects/p", &p, &role_list, &who, now()).unwrap();
        let bound = |b: &Binding| b.condition.as_ref().is_some_and(|c| condition::window(&c.expression).unwrap().is_time_bound());
        let before = p.bindings.iter().filter(|b| bound(b) && roles.contains(&b.role.as_str()) && b.members.iter().any(|m| m == member)).count();
        prop_assert_eq!(removed.len(), before);
        for b in after.bindings.iter().filter(|b| bound(b) && roles.contains(&b.role.as_str())) {
            prop_assert!(!b.members.iter().any(|m| same_member(m, member)), "{} left in {:?}", spelled, b);
        }
    }

    #[test]
    fn adding_any_duration_is_an_answer_never_a_panic(
        start in -62_135_596_800i64..=253_402_300_799,
        seconds in 0i64..=i64::MAX / 1000,
    ) {
        // Issue 8 defects 4 and 5: every sum is a time a condition can hold, or an error.
        let from = DateTime::from_timestamp(start, 0).unwrap();
        let d = Duration::seconds(seconds);
        match timespec::after(from, d, "d") {
            Ok(end) => {
                prop_assert!(condition::in_cel_range(end));
                prop_assert_eq!(end - from, d);
                let (written, _) = edit::grant("projects/p", &Policy::default(), &GrantRequest { start: None, end, ..grant_request(&[ROLES[0]], &[MEMBERS[0]], 1) }, from).unwrap();
                let c = written.bindings[0].condition.as_ref().unwrap();
                prop_assert_eq!(condition::window(&c.expression).unwrap().upper.map(|u| u.at), Some(end));
            }
            Err(e) => prop_assert_eq!(e.exit_code(), 2),
        }
        match timespec::cutoff(from, d) {
            Ok(cutoff) => prop_assert!(condition::in_cel_range(cutoff)),
            Err(e) => prop_assert_eq!(e.exit_code(), 2),
        }
    }

    #[test]
    fn the_window_agrees_with_the_interpreter(c in arb_condition(), offset in -700i64..700) {
        if let Some(c) = c {
            let w = condition::window(&c.expression).unwrap();
            let t = now() + Duration::minutes(offset);
            let holds = condition::evaluate(&c.expression, t).unwrap();
            if w.ended_by(t) || w.not_started_at(t) {
                prop_assert!(!holds, "{} holds at {} outside its window {:?}", c.expression, t, w);
            }
        }
    }
}

#[test]
fn unknown_json_fields_are_kept_everywhere() {
    let text = r#"{"bindings":[{"role":"roles/a.b","members":["user:a@example.com"],"condition":{"expression":"true","title":"t","newExprField":1},"newBindingField":[1, 12345678901234567890123]}],"auditConfigs":[],"newTopField":"x","newNumber":-1.00000000000000000000001,"etag":"BwX=","version":3}"#;
    let p = Policy::from_json(text).unwrap();
    let a: Value = serde_json::from_str(text).unwrap();
    let out = p.to_json_pretty();
    let b: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(a, b);
    // Byte for byte, not only equal after parsing (issue 8 defect 10).
    assert_eq!(serde_json::to_string(&a).unwrap(), serde_json::to_string(&b).unwrap());
    assert!(out.contains("12345678901234567890123") && out.contains("-1.00000000000000000000001"), "{out}");
}
