//! Short-lived values the gateway hands to a browser and must get back unaltered (the consent
//! screen's sign-in ticket, a single sign-on's state cookie): HS256 JWTs under a key derived
//! from `ALLOY_JWT_SECRET` for one use, so that no other token of the gateway passes for one.
//!
//! They need no storage, so the step that reads one back may land on any replica.

use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::error::Error;

/// Signs and checks one kind of value (one `typ`, one derived key).
#[derive(Clone)]
pub(crate) struct Signed {
    encoding: EncodingKey,
    decoding: DecodingKey,
    typ: &'static str,
}

/// The envelope: the value and its expiry.
#[derive(Serialize, serde::Deserialize)]
struct Envelope<T> {
    exp: i64,
    #[serde(rename = "v")]
    value: T,
}

impl Signed {
    /// `typ` names the use; the key is derived from the secret and `typ`.
    pub(crate) fn new(jwt_secret: &[u8], typ: &'static str) -> Self {
        let mut key = Sha256::new();
        key.update(b"alloy-signed\0");
        key.update(typ.as_bytes());
        key.update(b"\0");
        key.update(jwt_secret);
        let key = key.finalize();
        Signed {
            encoding: EncodingKey::from_secret(&key),
            decoding: DecodingKey::from_secret(&key),
            typ,
        }
    }

    /// `value`, good for `ttl_secs`.
    pub(crate) fn sign<T: Serialize>(&self, value: &T, ttl_secs: i64) -> Result<String, Error> {
        let mut header = Header::new(Algorithm::HS256);
        header.typ = Some(self.typ.to_owned());
        let envelope = Envelope {
            exp: Utc::now().timestamp() + ttl_secs,
            value,
        };
        jsonwebtoken::encode(&header, &envelope, &self.encoding)
            .map_err(|e| Error::Internal(format!("signing a {}: {e}", self.typ)))
    }

    /// The value, when `token` is one of ours, of this use, and unexpired.
    pub(crate) fn verify<T: DeserializeOwned>(&self, token: &str) -> Option<T> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_aud = false;
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp"]);
        let data = jsonwebtoken::decode::<Envelope<T>>(token, &self.decoding, &validation).ok()?;
        (data.header.typ.as_deref() == Some(self.typ)).then_some(data.claims.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_hold_for_their_use_and_secret_only() {
        let tickets = Signed::new(b"secret", "a+jwt");
        let t = tickets.sign(&("alice".to_owned(), 7), 60).unwrap();
        assert_eq!(
            tickets.verify::<(String, i32)>(&t),
            Some(("alice".to_owned(), 7))
        );
        assert!(
            Signed::new(b"secret", "b+jwt")
                .verify::<(String, i32)>(&t)
                .is_none()
        );
        assert!(
            Signed::new(b"other", "a+jwt")
                .verify::<(String, i32)>(&t)
                .is_none()
        );
        let expired = tickets.sign(&("alice".to_owned(), 7), -1).unwrap();
        assert!(tickets.verify::<(String, i32)>(&expired).is_none());
        let mut tampered = t.clone();
        tampered.insert(t.find('.').unwrap() + 3, 'x');
        assert!(tickets.verify::<(String, i32)>(&tampered).is_none());
    }
}
