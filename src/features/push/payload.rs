//! What a push carries to the service worker (`assets/web/js/sw-push.js`): the notification
//! as the feed shows it, where a click goes, and for a request for more time the actions
//! that answer it. Push services take at most 4096 bytes (encrypted), so a long one is cut.

use serde_json::{Value, json};
use studyhub_actors::store::{Notification, NotificationKind};

/// The most plaintext sent: 4096 less the aes128gcm header (86), tag (16) and padding
/// delimiter, with room to spare.
const MAX_PLAINTEXT: usize = 3800;

/// The JSON text of a push for `n`.
pub fn for_notification(n: &Notification) -> String {
    let mut v = json!({
        "id": n.id,
        "kind": n.kind.as_str(),
        "child_id": n.child_id,
        "title": n.title,
        "body": n.body,
        "data": n.data,
        "created_at": n.created_at,
        "url": "/parent",
        // The page that shows it marks it read; the same tag replaces an older copy.
        "tag": n.id,
    });
    if n.kind == NotificationKind::TimeRequest
        && let Some(request_id) = n.data.get("request_id").and_then(Value::as_str)
    {
        v["url"] = json!(format!("/parent#request-{request_id}"));
        v["urgency"] = json!("high");
        // The service worker answers with the page's own call, `POST /v1/time-requests/{id}`.
        v["answer_url"] = json!(format!("/v1/time-requests/{request_id}"));
        v["actions"] = json!([
            {"action": "approve", "title": "Approve"},
            {"action": "deny", "title": "Deny"},
        ]);
    }
    let text = v.to_string();
    if text.len() <= MAX_PLAINTEXT {
        return text;
    }
    // Too long: keep what the notification needs to be shown and answered.
    v["data"] = match n.data.get("request_id") {
        Some(id) => json!({ "request_id": id }),
        None => json!({}),
    };
    v["title"] = json!(cut(&n.title, 200));
    v["body"] = json!(cut(&n.body, 1000));
    v.to_string()
}

/// How urgent a push is (RFC 8030 `Urgency`): a child waiting for an answer is `high`.
pub fn urgency(kind: NotificationKind) -> &'static str {
    match kind {
        NotificationKind::TimeRequest | NotificationKind::TimeLimitReached => "high",
        _ => "normal",
    }
}

fn cut(s: &str, max_chars: usize) -> String {
    match s.char_indices().nth(max_chars) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(kind: NotificationKind, data: Value, body: &str) -> Notification {
        Notification {
            id: "n1".into(),
            parent_id: "p".into(),
            child_id: "00000000-0000-7000-8000-000000000001".into(),
            kind,
            title: "Ada asks for more time".into(),
            body: body.into(),
            data,
            created_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn a_time_request_carries_its_answers() {
        let n = note(
            NotificationKind::TimeRequest,
            json!({"request_id": "r1", "seconds": 900}),
            "to finish",
        );
        let v: Value = serde_json::from_str(&for_notification(&n)).unwrap();
        assert_eq!(v["kind"], "time_request");
        assert_eq!(v["answer_url"], "/v1/time-requests/r1");
        assert_eq!(v["actions"][0]["action"], "approve");
        assert_eq!(v["actions"][1]["action"], "deny");
        assert_eq!(v["data"]["seconds"], 900);
        let plain = note(NotificationKind::ActivityCompleted, json!({}), "done");
        let v: Value = serde_json::from_str(&for_notification(&plain)).unwrap();
        assert!(v.get("actions").is_none());
        assert_eq!(v["url"], "/parent");
    }

    #[test]
    fn a_long_one_fits_a_push() {
        let n = note(
            NotificationKind::TimeRequest,
            json!({"request_id": "r1", "big": "x".repeat(5000)}),
            &"é".repeat(3000),
        );
        let text = for_notification(&n);
        assert!(text.len() <= MAX_PLAINTEXT, "{}", text.len());
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["data"], json!({"request_id": "r1"}));
        assert_eq!(v["answer_url"], "/v1/time-requests/r1");
    }
}
