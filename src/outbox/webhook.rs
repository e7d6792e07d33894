//! The school's webhook: a notice POSTed as JSON with the Standard Webhooks headers
//! (`webhook-id`, `webhook-timestamp`, `webhook-signature`: `v1,` + base64 of HMAC-SHA256 over
//! `id.timestamp.body` with `NOTIFY_WEBHOOK_SECRET`). When and how often is [`super::notices`]'s.

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use time::OffsetDateTime;

use crate::config::Webhook;

/// The Standard Webhooks signature of `body` sent as notice `id` at `timestamp`.
pub fn signature(secret: &[u8], id: &str, timestamp: i64, body: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else { unreachable!("HMAC takes keys of any length") };
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()))
}

/// One attempt to deliver `notice` as message `id` (the same for every attempt, so the
/// receiver can de-duplicate): `Ok` when the webhook answered 2xx, else what went wrong.
pub(super) async fn deliver(
    http: &reqwest::Client,
    webhook: &Webhook,
    id: uuid::Uuid,
    notice: &impl serde::Serialize,
) -> Result<(), String> {
    let body = serde_json::to_string(notice).map_err(|e| e.to_string())?;
    let timestamp = OffsetDateTime::now_utc().unix_timestamp();
    let id = id.to_string();
    let answer = http
        .post(&webhook.url)
        .header("content-type", "application/json")
        .header("webhook-id", &id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature(webhook.secret.expose(), &id, timestamp, &body))
        .body(body)
        .send()
        .await;
    match answer {
        Ok(answer) if answer.status().is_success() => Ok(()),
        Ok(answer) => Err(format!("the webhook answered {}", answer.status())),
        Err(e) => Err(format!("the webhook could not be reached: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks specification (its reference libraries' tests).
    #[test]
    fn signs_as_standard_webhooks_does() {
        let secret = crate::config::webhook_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("a valid secret");
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            signature(secret.expose(), "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }
}
