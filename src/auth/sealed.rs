//! Values this server signs for itself and reads back later: a sign-in's state kept by the
//! browser, a search page's cursor, an email's unsubscribe link. Each purpose signs with a key
//! of its own, derived from `JWT_SECRET` by HKDF-SHA256 with the purpose as its info, never
//! with the session key: a sealed value does not verify as a session token, nor as a value of
//! another purpose, whatever `JWT_AUDIENCE` says. (An unsubscribe link once signed with the
//! session key was a year-long session for its recipient; [`Keys::verify_claims`] also refuses
//! every audience listed here, those links' included.)
//!
//! [`Keys::verify_claims`]: super::Keys::verify_claims

use hkdf::Hkdf;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::Serialize;
use sha2::Sha256;

/// What a sealed value is for: its audience, and the key it is signed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A sign-in with the school's account, kept in a cookie while the browser is at the provider.
    SignIn,
    /// A search page's cursor.
    SearchCursor,
    /// An email's unsubscribe link: turns one person's email off, nothing else.
    Unsubscribe,
}

impl Purpose {
    pub const ALL: [Purpose; 3] = [Purpose::SignIn, Purpose::SearchCursor, Purpose::Unsubscribe];

    /// The `aud` claim of a value sealed for this purpose.
    pub fn audience(self) -> &'static str {
        match self {
            Purpose::SignIn => "tutorchat:sign-in",
            Purpose::SearchCursor => "tutorchat:search-cursor",
            Purpose::Unsubscribe => "tutorchat:email-unsubscribe",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Audiences of values sealed by earlier builds with the session key itself: refused as
/// sessions, so that a link already mailed is no session even before `JWT_SECRET` is rotated.
const RETIRED: [&str; 1] = ["tutorchat email unsubscribe"];

/// Whether `aud` is one of this server's own purposes (now or before): never a session's.
pub fn is_internal_audience(aud: &str) -> bool {
    Purpose::ALL.iter().any(|p| p.audience() == aud) || RETIRED.contains(&aud)
}

/// The keys of every purpose, derived once at start-up.
pub struct Sealer {
    keys: Vec<(EncodingKey, DecodingKey)>,
}

impl Sealer {
    pub fn new(secret: &[u8]) -> Self {
        let hkdf = Hkdf::<Sha256>::new(Some(b"tutorchat sealed values"), secret);
        let keys = Purpose::ALL
            .iter()
            .map(|purpose| {
                let mut key = [0u8; 32];
                // 32 bytes is far below HKDF-SHA256's limit (255 × 32), so expanding cannot fail.
                hkdf.expand(purpose.audience().as_bytes(), &mut key).unwrap_or_default();
                (EncodingKey::from_secret(&key), DecodingKey::from_secret(&key))
            })
            .collect();
        Self { keys }
    }

    /// Signs `value` for `purpose`, valid for `ttl`.
    pub fn seal(&self, purpose: Purpose, value: &impl Serialize, ttl: std::time::Duration) -> anyhow::Result<String> {
        let mut claims = serde_json::to_value(value)?;
        let object = claims.as_object_mut().ok_or_else(|| anyhow::anyhow!("only an object can be sealed"))?;
        object.insert("aud".into(), purpose.audience().into());
        object.insert("exp".into(), (jsonwebtoken::get_current_timestamp() + ttl.as_secs()).into());
        Ok(jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.keys[purpose.index()].0)?)
    }

    /// What [`Sealer::seal`] sealed for `purpose`, if it is intact and not expired.
    pub fn open<T: serde::de::DeserializeOwned>(&self, purpose: Purpose, sealed: &str) -> Option<T> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[purpose.audience()]);
        validation.set_required_spec_claims(&["exp", "aud"]);
        validation.leeway = 0;
        jsonwebtoken::decode::<T>(sealed, &self.keys[purpose.index()].1, &validation).ok().map(|data| data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Keys;
    use crate::config::{JwtConfig, Secret};

    const SECRET: &[u8] = b"a secret of at least thirty-two bytes!!";

    fn keys(audience: Option<&str>) -> Keys {
        let mut config = JwtConfig::new(Secret::new(SECRET)).expect("a long enough secret");
        config.audience = audience.map(str::to_owned);
        Keys::new(&config)
    }

    #[test]
    fn a_value_sealed_for_any_purpose_is_refused_as_a_session_whatever_the_audience_setting() {
        let ttl = std::time::Duration::from_secs(60);
        for audience in [None, Some("school-platform")] {
            let keys = keys(audience);
            let session = keys.mint(7, ttl, None).expect("a session");
            assert!(keys.verify(&session).is_ok(), "the session itself verifies");
            for purpose in Purpose::ALL {
                // Whatever it holds, a user id as `sub` included.
                let sealed = keys.seal(purpose, &serde_json::json!({ "sub": "7" }), ttl).expect("sealed");
                assert!(keys.verify(&sealed).is_err(), "{purpose:?} sealed value accepted as a session ({audience:?})");
            }
        }
    }

    #[test]
    fn a_token_signed_with_the_session_key_for_an_internal_purpose_is_no_session() {
        // As earlier builds sealed unsubscribe links: the session key, an internal audience.
        let keys = keys(None);
        let exp = jsonwebtoken::get_current_timestamp() + 60;
        let legacy = Purpose::ALL.iter().map(|p| p.audience()).chain(RETIRED);
        for aud in legacy {
            let claims = serde_json::json!({ "sub": "7", "aud": aud, "exp": exp });
            let token =
                jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(SECRET))
                    .expect("signed");
            assert!(keys.verify(&token).is_err(), "a token for {aud:?} accepted as a session");
        }
    }

    #[test]
    fn a_value_sealed_for_one_purpose_does_not_open_for_another() {
        let sealer = Sealer::new(SECRET);
        let ttl = std::time::Duration::from_secs(60);
        for sealed_for in Purpose::ALL {
            let sealed = sealer.seal(sealed_for, &serde_json::json!({ "x": 1 }), ttl).expect("sealed");
            for opened_as in Purpose::ALL {
                let opened: Option<serde_json::Value> = sealer.open(opened_as, &sealed);
                assert_eq!(opened.is_some(), sealed_for == opened_as, "{sealed_for:?} opened as {opened_as:?}");
            }
        }
    }
}
