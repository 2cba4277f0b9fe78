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
