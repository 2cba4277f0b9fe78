//! Chat notifications of `[notify]` (issue 21 item 4): the requester's jit posts the request,
//! the approver's jit posts the outcome, to a Google Chat or Slack incoming webhook whose URL is
//! kept in a Secret Manager secret (never in jit.toml). A courtesy of the client, not Google's
//! (docs/security.md): a failed notification is a warning, never a failed request.

use serde_json::{Value, json};

use crate::config::Config;
use crate::entitlements::{ChatFormat, Notify};
use crate::gcp::Gcp;
use crate::gcp::pam::Grant;
use crate::output;

/// "X asks for ROLE on RESOURCE for 2h: REASON (approve with: jit approve …)".
pub fn request_text(g: &Grant) -> String {
    let roles = g.roles().join(", ");
    let on = g.iam_access().map(|a| crate::pam::short_resource(&a.resource)).unwrap_or_default();
    let duration = g.duration().map(crate::timespec::words).unwrap_or_else(|| g.requested_duration.clone());
    let reason = if g.reason().is_empty() { "no reason given".to_string() } else { g.reason().to_string() };
    let next = if g.state == "APPROVAL_AWAITED" {
        format!(" (approve with: jit approve {})", g.name)
    } else {
        format!(" ({}, no approval needed)", crate::pam::state_words(&g.state))
    };
    format!("{} asks for {roles} on {on} for {duration}: {reason}{next}", g.requester)
}

/// "alice@example.com approved bob@example.com's request for ROLE on RESOURCE: REASON".
pub fn decision_text(g: &Grant, approved: bool, actor: &str) -> String {
    let roles = g.roles().join(", ");
    let on = g.iam_access().map(|a| crate::pam::short_resource(&a.resource)).unwrap_or_default();
    let (verb, said) = if approved {
        ("approved", g.approver().map(|a| a.reason.clone()).unwrap_or_default())
    } else {
        ("denied", g.denier().map(|a| a.reason.clone()).unwrap_or_default())
    };
    let said = if said.is_empty() { String::new() } else { format!(": {said}") };
    format!("{actor} {verb} {}'s request for {roles} on {on}{said}", g.requester)
}

/// The body for `format`: both take `text`; Slack's gets it as a mrkdwn section as well.
pub fn body(format: ChatFormat, text: &str) -> Value {
    match format {
        ChatFormat::GoogleChat => json!({"text": text}),
        ChatFormat::Slack => json!({
            "text": text,
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
        }),
    }
}

/// The format of a webhook: as configured, else Slack for hooks.slack.com, else Google Chat.
pub fn format_of(n: &Notify, url: &str) -> ChatFormat {
    n.format.unwrap_or_else(|| {
        let host = url.split("://").nth(1).and_then(|r| r.split('/').next()).unwrap_or_default();
        if host == "hooks.slack.com" { ChatFormat::Slack } else { ChatFormat::GoogleChat }
    })
}

async fn post(config: &Config, gcp: &Gcp, n: &Notify, texts: &[String]) {
    let url = match gcp.access_secret(&n.webhook_secret).await {
        Ok(url) => url,
        Err(e) => return warn(config, &format!("cannot read the webhook from `{}`: {e}", n.webhook_secret)),
    };
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return warn(config, &format!("the secret `{}` does not hold a webhook URL", n.webhook_secret));
    }
    let format = format_of(n, &url);
    for text in texts {
        if let Err(e) = gcp.post_webhook(&url, &body(format, text)).await {
            return warn(config, &e.to_string());
        }
    }
}

fn warn(config: &Config, what: &str) {
    if !config.quiet {
        eprintln!(
            "warning: the chat notification failed ({}); the request itself is unaffected",
            output::escape(what)
        );
    }
}

/// After `jit request`: one message per grant made.
pub async fn requested(config: &Config, gcp: &Gcp, made: &[(Grant, Vec<String>)], notify: Option<&Notify>) {
    let Some(n) = notify else { return };
    if made.is_empty() {
        return;
    }
    let texts: Vec<String> = made.iter().map(|(g, _)| request_text(g)).collect();
    post(config, gcp, n, &texts).await;
}

/// After `jit approve` or `jit deny`.
pub async fn decided(
    config: &Config,
    gcp: &Gcp,
    g: &Grant,
    approved: bool,
    caller: Option<&str>,
    notify: Option<&Notify>,
) {
    let Some(n) = notify else { return };
    let actor = caller.map(|c| c.split_once(':').map_or(c, |(_, e)| e)).unwrap_or("an approver");
    post(config, gcp, n, &[decision_text(g, approved, actor)]).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(state: &str) -> Grant {
        serde_json::from_value(json!({
            "name": "projects/p/locations/global/entitlements/jit-prod-debug/grants/g1",
            "requester": "bob@example.com", "state": state, "requestedDuration": "7200s",
            "justification": {"unstructuredJustification": "INC-42"},
            "privilegedAccess": {"gcpIamAccess": {"resource": "//cloudresourcemanager.googleapis.com/projects/p",
                "resourceType": "cloudresourcemanager.googleapis.com/Project",
                "roleBindings": [{"role": "roles/logging.viewer"}]}},
            "timeline": {"events": [{"approved": {"actor": "alice@example.com", "reason": "go"}}]}
        }))
        .unwrap()
    }

    #[test]
    fn the_messages_say_who_what_where_how_long_and_why() {
        assert_eq!(
            request_text(&grant("APPROVAL_AWAITED")),
            "bob@example.com asks for roles/logging.viewer on projects/p for 2h: INC-42 \
             (approve with: jit approve projects/p/locations/global/entitlements/jit-prod-debug/grants/g1)"
        );
        assert_eq!(
            decision_text(&grant("ACTIVE"), true, "alice@example.com"),
            "alice@example.com approved bob@example.com's request for roles/logging.viewer on projects/p: go"
        );
    }

    #[test]
    fn google_chat_and_slack_bodies() {
        let n = Notify { webhook_secret: "projects/p/secrets/s".into(), format: None };
        assert_eq!(format_of(&n, "https://hooks.slack.com/services/T/B/X"), ChatFormat::Slack);
        assert_eq!(
            format_of(&n, "https://chat.googleapis.com/v1/spaces/S/messages?key=k"),
            ChatFormat::GoogleChat
        );
        let forced = Notify { format: Some(ChatFormat::Slack), ..n };
        assert_eq!(format_of(&forced, "http://127.0.0.1:9/hook"), ChatFormat::Slack);
        assert_eq!(body(ChatFormat::GoogleChat, "hi"), json!({"text": "hi"}));
        assert_eq!(body(ChatFormat::Slack, "hi")["blocks"][0]["text"]["type"], "mrkdwn");
    }
}
