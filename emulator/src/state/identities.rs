//! Who is who: service accounts and their keys, tokens, groups and the other identities the
//! store knows, and how a policy's member matches a caller (e-mail members in any case, groups,
//! domains, the convenience values of buckets).

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::model::{ServiceAccount, ServiceAccountKey, Token};
use super::store::Store;
use super::validation::{self, MemberKind};

impl Store {
    /// A service account by e-mail (without regard to case) or unique id.
    pub fn service_account(&self, account: &str) -> Option<&ServiceAccount> {
        self.data
            .service_accounts
            .iter()
            .find(|sa| sa.email.eq_ignore_ascii_case(account) || sa.unique_id() == account)
    }
    /// True when `principal` is one of `member` (directly, by group, by domain, or as a public
    /// principal). E-mail principals (`user:`, `group:`, `serviceAccount:`) and domains compare
    /// without regard to case: e-mail addresses and DNS names are case-insensitive, and Google
    /// stores an e-mail member in the account's own case whatever case it was sent in
    /// (terraform-provider-google #4276, #3880, #5107), so a binding written for
    /// `user:jane.doe@example.com` grants `user:Jane.Doe@example.com`.
    pub fn member_matches(&self, member: &str, principal: &str) -> bool {
        if member == principal || member == "allUsers" || member == "allAuthenticatedUsers" {
            return true;
        }
        if let Some(domain) = member.strip_prefix("domain:") {
            return principal
                .strip_prefix("user:")
                .and_then(|e| e.rsplit_once('@'))
                .is_some_and(|(_, d)| d.eq_ignore_ascii_case(domain));
        }
        if validation::member_kind(member) == Some(MemberKind::Email) && same_email_member(member, principal)
        {
            return true;
        }
        if let Some((kind, project)) = member.split_once(':')
            && let Some(role) = convenience_role(kind)
        {
            return self.holds_basic_role(principal, project, role);
        }
        if member.starts_with("group:") {
            return self.data.groups.iter().any(|g| {
                same_email_member(&g.name, member)
                    && g.members.iter().any(|m| same_email_member(m, principal))
            });
        }
        false
    }
    /// True when `principal` holds the basic role `role` on the project `project` (ID or
    /// number): the convenience values `projectOwner:P`, `projectEditor:P`, `projectViewer:P` stand
    /// for "the owners / editors / viewers of the project"
    /// (<https://cloud.google.com/storage/docs/access-control/iam#convenience-values>).
    ///
    /// Only bindings on the project's own policy count, not a basic role inherited from a folder
    /// or the organization: the documentation names the project's owners and Cloud Storage's
    /// older "project team" (`projectTeam` in ACLs, gsutil's "Working With Projects": the
    /// project's three groups of members) is the project's own membership. Whether Google also
    /// counts inherited holders is not documented; this reading is assumed.
    fn holds_basic_role(&self, principal: &str, project: &str, role: &str) -> bool {
        let Some(p) = self.project(project) else { return false };
        self.data.policies.get(&format!("projects/{}", p.project_id)).is_some_and(|policy| {
            policy.bindings.iter().any(|b| {
                // Basic roles take no condition (validation refuses one), so none is evaluated;
                // a convenience value on a project's policy is refused too, which keeps this from
                // recursing.
                b.role == role
                    && b.condition.is_none()
                    && b.members.iter().any(|m| {
                        validation::member_kind(m) != Some(MemberKind::Convenience)
                            && self.member_matches(m, principal)
                    })
            })
        })
    }
    /// Every identity the store knows (token and refresh-token holders, service accounts, groups
    /// and their members, the metadata principal), keyed `type:lowercased-address`, each in its
    /// own case.
    pub fn known_identities(&self) -> HashMap<String, String> {
        let d = &self.data;
        let mut known = HashMap::new();
        let sas = d.service_accounts.iter().map(|sa| format!("serviceAccount:{}", sa.email));
        let all = d
            .tokens
            .iter()
            .chain(&d.refresh_tokens)
            .map(|t| t.principal.clone())
            .chain(sas)
            .chain(
                d.groups
                    .iter()
                    .flat_map(|g| std::iter::once(g.name.clone()).chain(g.members.iter().cloned())),
            )
            .chain(d.metadata_principal.clone());
        for p in all {
            if let Some((kind, email)) = email_key(&p) {
                known.entry(format!("{kind}:{email}")).or_insert_with(|| p.clone());
            }
        }
        known
    }

    // ---- identities -----------------------------------------------------------------------------
    /// The principal a bearer token stands for, if it is known and not expired at wall time `wall`.
    pub fn token_principal(&self, token: &str, wall: DateTime<Utc>) -> Option<&Token> {
        self.data.tokens.iter().find(|t| t.token == token && t.expire_time.is_none_or(|e| e > wall))
    }
    /// Issues an access token for `principal`, valid for `seconds` of wall time.
    pub fn issue_token(&mut self, principal: &str, wall: DateTime<Utc>, seconds: i64) -> Token {
        let token = Token {
            token: format!("ya29.emu-{}", hex::encode(rand::random::<[u8; 24]>())),
            principal: principal.to_string(),
            expire_time: Some(wall + chrono::Duration::seconds(seconds)),
        };
        // Expired tokens are of no use to anyone; dropping them keeps the state file small.
        self.data.tokens.retain(|t| t.expire_time.is_none_or(|e| e > wall));
        self.data.tokens.push(token.clone());
        token
    }
    pub fn add_token(&mut self, token: Token) {
        self.data.tokens.retain(|t| t.token != token.token);
        self.data.tokens.push(token);
    }
    pub fn service_account_key(&self, key_id: &str) -> Option<(&ServiceAccount, &ServiceAccountKey)> {
        self.data
            .service_accounts
            .iter()
            .find_map(|sa| sa.keys.iter().find(|k| k.key_id == key_id).map(|k| (sa, k)))
    }
    pub fn add_service_account_key(&mut self, email: &str, key: ServiceAccountKey) {
        match self.data.service_accounts.iter_mut().find(|sa| sa.email == email) {
            Some(sa) => sa.keys.push(key),
            None => self.data.service_accounts.push(ServiceAccount {
                email: email.to_string(),
                keys: vec![key],
                ..ServiceAccount::default()
            }),
        }
    }
}

/// A resource's name as a client sent it, for 403 messages: `projects/p`, `folders/N`; the other
/// kinds' routes pass the full name already (a bucket: its name alone, as Storage's messages do).
/// The basic role a convenience value's prefix stands for.
/// <https://cloud.google.com/storage/docs/access-control/iam#convenience-values>
fn convenience_role(prefix: &str) -> Option<&'static str> {
    match prefix {
        "projectOwner" => Some("roles/owner"),
        "projectEditor" => Some("roles/editor"),
        "projectViewer" => Some("roles/viewer"),
        _ => None,
    }
}
/// The address of an e-mail member (`user:A@B` → `A@B`), lowercased, with its type.
fn email_key(member: &str) -> Option<(&str, String)> {
    let (kind, email) = member.split_once(':')?;
    matches!(kind, "user" | "group" | "serviceAccount").then(|| (kind, email.to_ascii_lowercase()))
}
/// Two e-mail members name the same account: same type, same address without regard to case.
/// (On every permission check, so without allocating.)
fn same_email_member(a: &str, b: &str) -> bool {
    match (email_parts(a), email_parts(b)) {
        (Some((ka, ea)), Some((kb, eb))) => ka == kb && ea.eq_ignore_ascii_case(eb),
        _ => a == b,
    }
}
/// `user:A@B` → (`user`, `A@B`), for the three e-mail types.
fn email_parts(member: &str) -> Option<(&str, &str)> {
    member.split_once(':').filter(|(k, _)| matches!(*k, "user" | "group" | "serviceAccount"))
}
/// A member as Google stores it: an e-mail member of a known identity in the identity's own case;
/// anything else as sent.
pub(crate) fn canonical_member(member: &str, known: &HashMap<String, String>) -> String {
    match email_key(member) {
        Some((kind, email)) => {
            known.get(&format!("{kind}:{email}")).cloned().unwrap_or_else(|| member.to_string())
        }
        None => member.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use crate::state::model::{Binding, Policy};
    use crate::state::seed::demo_seed;
    use crate::state::store::{Caller, Kind, StoreError};
    use crate::state::test_support::*;

    /// Google stores an e-mail member in the account's own case (terraform-provider-google #4276,
    /// #3880, #5107): the seed's `user:Jane.Doe@example.com` keeps her case whatever case a write
    /// uses, and e-mail members match callers without regard to case.
    #[test]
    fn e_mail_members_keep_the_accounts_own_case_and_match_without_it() {
        let mut s = store();
        let mut p = read(&s, 3);
        p.bindings.push(Binding {
            role: "roles/storage.objectViewer".into(),
            members: vec![
                "user:jane.doe@example.com".into(),
                "user:JANE.DOE@EXAMPLE.COM".into(),
                "user:Zed@Example.com".into(),
                "serviceAccount:JIT-CLEANUP@jit-demo-prod.iam.gserviceaccount.com".into(),
            ],
            ..Binding::default()
        });
        let stored = write(&mut s, p).unwrap();
        let b = stored.bindings.iter().find(|b| b.role == "roles/storage.objectViewer").unwrap();
        assert_eq!(
            b.members,
            [
                "serviceAccount:jit-cleanup@jit-demo-prod.iam.gserviceaccount.com",
                "user:Jane.Doe@example.com",
                // Unknown to the emulator: kept as sent.
                "user:Zed@Example.com",
            ]
        );
        let get = "storage.objects.get";
        let jane = Caller::Principal("user:Jane.Doe@example.com".into());
        assert!(s.has_permission(&jane, "projects/jit-demo-prod", get, t(12)));
        let zed = Caller::Principal("user:zed@example.com".into());
        assert!(s.has_permission(&zed, "projects/jit-demo-prod", get, t(12)));
        let other = Caller::Principal("user:zed@example.org".into());
        assert!(!s.has_permission(&other, "projects/jit-demo-prod", get, t(12)));
        // Groups and domains too.
        let carol = Caller::Principal("user:Carol@EXAMPLE.com".into());
        assert!(s.has_permission(&carol, "projects/jit-demo-prod", "logging.logEntries.list", t(12)));
        assert!(s.has_permission(
            &carol,
            "organizations/123456789012",
            "resourcemanager.organizations.get",
            t(12)
        ));
    }
    #[test]
    fn tokens_expire_on_the_wall_clock() {
        let mut s = store();
        let tok = s.issue_token("user:bob@example.com", t(1), 3600);
        assert_eq!(s.token_principal(&tok.token, t(1)).unwrap().principal, "user:bob@example.com");
        assert!(s.token_principal(&tok.token, t(2)).is_none());
        assert_eq!(s.token_principal("alice-token", t(23)).unwrap().principal, "user:alice@example.com");
    }
    #[test]
    fn convenience_values_stand_for_the_holders_of_the_projects_basic_roles() {
        let mut s = store();
        let a = "user:alice@example.com";
        // Alice holds roles/owner on jit-demo-prod's own policy, by ID or number.
        assert!(s.member_matches("projectOwner:jit-demo-prod", a));
        assert!(s.member_matches("projectOwner:100000000001", a));
        assert!(!s.member_matches("projectEditor:jit-demo-prod", a));
        assert!(!s.member_matches("projectViewer:jit-demo-prod", a));
        assert!(!s.member_matches("projectOwner:jit-demo-dev", "user:bob@example.com"));
        assert!(!s.member_matches("projectOwner:no-such-project", a));
        // Carol is a viewer through group:sre; the project's service account directly.
        assert!(s.member_matches("projectViewer:jit-demo-prod", "user:carol@example.com"));
        assert!(s.member_matches(
            "projectViewer:jit-demo-prod",
            "serviceAccount:jit-cleanup@jit-demo-prod.iam.gserviceaccount.com"
        ));
        assert!(!s.member_matches("projectOwner:jit-demo-prod", "user:carol@example.com"));
        // An owner by inheritance (a folder's policy) is not one of the project's owners.
        let dave = "user:dave@example.com";
        s.data.policies.get_mut("folders/234567890123").unwrap().bindings.push(binding("roles/owner", dave));
        assert!(s.has_permission(
            &Caller::Principal(dave.into()),
            "projects/jit-demo-prod",
            "resourcemanager.projects.setIamPolicy",
            t(12)
        ));
        assert!(!s.member_matches("projectOwner:jit-demo-prod", dave));
        // Valid in a bucket's policy, refused in any other.
        let with = |b: Binding| Policy { bindings: vec![b], ..Policy::default() };
        let owner = binding("roles/storage.objectViewer", "projectOwner:jit-demo-dev");
        assert_eq!(
            s.set_policy(&alice(), Kind::Project, "jit-demo-prod", with(owner.clone()), None, t(12)),
            Err(StoreError::Invalid(
                "The member projectOwner:jit-demo-dev is of an unknown type. Please set a valid type prefix \
                 for the member."
                    .into()
            ))
        );
        let secret = "projects/jit-demo-prod/secrets/db-password";
        assert!(matches!(
            s.set_policy(&alice(), Kind::Secret, secret, with(owner.clone()), None, t(12)),
            Err(StoreError::Invalid(m)) if m.contains("unknown type")
        ));
        let mut d = demo_seed();
        d.policies.get_mut("projects/jit-demo-dev").unwrap().bindings.push(owner.clone());
        assert_eq!(
            d.check(),
            Err("the policy of `projects/jit-demo-dev` cannot be served: The member projectOwner:jit-demo-dev is \
                 of an unknown type. Please set a valid type prefix for the member."
                .into())
        );
        let stored = s.set_policy(&alice(), Kind::Bucket, "jit-demo-prod-legacy", with(owner), None, t(12));
        assert_eq!(stored.unwrap().bindings[0].members, ["projectOwner:jit-demo-dev"]);
    }
}
