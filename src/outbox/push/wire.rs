//! One Web Push request as a push service expects it: the payload encrypted to the browser's
//! keys (RFC 8291, `aes128gcm`, by the `web-push-native` crate) and the school identified by a
//! VAPID token (RFC 8292: an ES256 JWT signed by `jsonwebtoken`, with the key beside it).

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p256::pkcs8::EncodePrivateKey;
use serde::Serialize;

use crate::config::Vapid;

/// How long a VAPID token is valid (RFC 8292 allows at most 24 hours).
const TOKEN_LIFETIME: Duration = Duration::from_secs(12 * 3600);

/// What the service worker receives (JSON, then encrypted).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Payload {
    /// The sender's name (a direct chat) or the group's title (empty with `PUSH_PREVIEW=off`).
    pub title: String,
    /// The newest message's first 100 characters (or its first file's name) with
    /// `PUSH_PREVIEW=full`; else empty.
    pub body: String,
    pub chat_id: i64,
    pub message_id: i64,
    /// How many messages the notification stands for.
    pub count: i32,
    /// Who wrote the newest one (empty with `PUSH_PREVIEW=off`).
    pub sender: String,
    /// One of the messages mentions the person (sent even when they muted the chat).
    pub mentioned: bool,
}

/// The school's VAPID key, ready to sign.
#[derive(Clone)]
pub struct Signer {
    key: EncodingKey,
    public_key: String,
    subject: String,
}

impl Signer {
    pub fn new(vapid: &Vapid) -> anyhow::Result<Self> {
        let secret = p256::SecretKey::from_slice(vapid.private_key.expose())?;
        let der = secret.to_pkcs8_der().map_err(|e| anyhow::anyhow!("cannot encode the VAPID key: {e}"))?;
        Ok(Self {
            key: EncodingKey::from_ec_der(der.as_bytes()),
            public_key: vapid.public_key.clone(),
            subject: vapid.subject.clone(),
        })
    }

    /// The `Authorization` header for a push to `endpoint`: `vapid t=<JWT>, k=<public key>`,
    /// the token's audience being the endpoint's origin (with its port, if not the default).
    pub fn authorization(&self, endpoint: &url::Url, now: u64) -> anyhow::Result<String> {
        #[derive(Serialize)]
        struct Claims<'a> {
            aud: String,
            exp: u64,
            sub: &'a str,
        }
        let claims = Claims {
            aud: endpoint.origin().ascii_serialization(),
            exp: now + TOKEN_LIFETIME.as_secs(),
            sub: &self.subject,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::ES256), &claims, &self.key)?;
        Ok(format!("vapid t={token}, k={}", self.public_key))
    }
}

/// `payload` encrypted to a subscription's keys (base64url, as the browser gave them).
pub fn encrypt(payload: &Payload, p256dh: &str, auth: &str) -> anyhow::Result<Vec<u8>> {
    let public = URL_SAFE_NO_PAD.decode(p256dh.trim_end_matches('='))?;
    let public = web_push_native::p256::PublicKey::from_sec1_bytes(&public)
        .map_err(|_| anyhow::anyhow!("the subscription's p256dh is not a P-256 public key"))?;
    let auth: [u8; 16] = URL_SAFE_NO_PAD
        .decode(auth.trim_end_matches('='))?
        .try_into()
        .map_err(|_| anyhow::anyhow!("the subscription's auth secret is not 16 bytes"))?;
    let auth = web_push_native::Auth::from(auth);
    Ok(web_push_native::encrypt(serde_json::to_vec(payload)?, &public, &auth)?)
}

/// Whether `p256dh` and `auth` are keys a payload can be encrypted to (checked when a browser
/// subscribes, so that a bad subscription is refused then, not failed later).
pub fn keys_valid(p256dh: &str, auth: &str) -> bool {
    let public = URL_SAFE_NO_PAD.decode(p256dh.trim_end_matches('=')).ok();
    let auth = URL_SAFE_NO_PAD.decode(auth.trim_end_matches('=')).ok();
    public.is_some_and(|p| web_push_native::p256::PublicKey::from_sec1_bytes(&p).is_ok() && p.len() == 65)
        && auth.is_some_and(|a| a.len() == 16)
}

/// A new VAPID key pair, as configuration lines (`tutorchat vapid-keys`).
pub fn new_key_pair() -> anyhow::Result<String> {
    let secret = loop {
        let bytes: [u8; 32] = rand::random();
        if let Ok(secret) = p256::SecretKey::from_slice(&bytes) {
            break secret;
        }
    };
    let private = URL_SAFE_NO_PAD.encode(secret.to_bytes());
    let (_, public) = crate::config::vapid_key(&private).map_err(|e| anyhow::anyhow!(e))?;
    Ok(format!(
        "PUSH_VAPID_PRIVATE_KEY={private}\nPUSH_VAPID_SUBJECT=mailto:it@school.example\n# the public key browsers subscribe with (GET /api/push/vapid-public-key serves it):\n# {public}\n"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payload_decrypts_with_the_browser_s_private_key() {
        // A browser's keys, made here; web-push-native's own decrypt is the check (the API
        // tests decrypt with Python's http-ece, an independent implementation).
        let browser = web_push_native::p256::SecretKey::from_slice(&[7u8; 32]).expect("a key");
        let public = p256::elliptic_curve::sec1::ToEncodedPoint::to_encoded_point(&browser.public_key(), false);
        let auth = [9u8; 16];
        let payload = Payload {
            title: "Иван".into(),
            body: "Привет!".into(),
            chat_id: 1,
            message_id: 2,
            count: 1,
            sender: "Иван".into(),
            mentioned: false,
        };
        let sealed = encrypt(&payload, &URL_SAFE_NO_PAD.encode(public.as_bytes()), &URL_SAFE_NO_PAD.encode(auth))
            .expect("a valid test value");
        let opened =
            web_push_native::decrypt(sealed, &browser, &web_push_native::Auth::from(auth)).expect("a valid test value");
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&opened).expect("a valid test value")["body"],
            "Привет!"
        );
        assert!(keys_valid(&URL_SAFE_NO_PAD.encode(public.as_bytes()), &URL_SAFE_NO_PAD.encode(auth)));
        assert!(!keys_valid("AAAA", &URL_SAFE_NO_PAD.encode(auth)));
        assert!(!keys_valid(&URL_SAFE_NO_PAD.encode(public.as_bytes()), "AAAA"));
    }

    #[test]
    fn the_token_names_the_endpoint_s_origin_with_its_port() {
        let (private_key, public_key) =
            crate::config::vapid_key("IQ9Ur0ykXoHS9gzfYX0aBjy9lvdrjx_PFUXmie9YRcY").expect("a valid test value");
        let signer = Signer::new(&Vapid {
            private_key,
            public_key: public_key.clone(),
            subject: "mailto:it@school.example".into(),
        })
        .expect("a valid test value");
        let header = signer
            .authorization(&url::Url::parse("http://127.0.0.1:8099/push/1").expect("a valid test value"), 1_000)
            .expect("a valid test value");
        let (token, key) = header
            .strip_prefix("vapid t=")
            .expect("a valid test value")
            .split_once(", k=")
            .expect("a valid test value");
        assert_eq!(key, public_key);
        let claims = token.split('.').nth(1).expect("a valid test value");
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).expect("a valid test value"))
                .expect("a valid test value");
        assert_eq!(claims["aud"], "http://127.0.0.1:8099");
        assert_eq!(claims["exp"], 1_000 + 12 * 3600);
        assert!(new_key_pair().expect("a valid test value").starts_with("PUSH_VAPID_PRIVATE_KEY="));
    }
}
