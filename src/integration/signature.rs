//! Standard Webhooks signatures (https://www.standardwebhooks.com), as the quote site's
//! `standardwebhooks` library makes them: `webhook-signature: v1,<base64 HMAC-SHA256 of
//! "{webhook-id}.{webhook-timestamp}.{raw body}">`, keyed with the base64 part of a
//! `whsec_…` secret. Checked in constant time over the raw body, before anything is
//! parsed; every way of failing is the same rejection, so a caller learns nothing.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// Timestamps further than this from now (either way) are refused: a replay window.
pub const TOLERANCE_SECS: i64 = 5 * 60;
const PREFIX: &str = "whsec_";

/// An integration's signing secret. Never printed: `Debug` shows only that it exists.
#[derive(Clone)]
pub struct Secret {
    key: Vec<u8>,
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl Secret {
    /// A new random 32-byte secret.
    pub fn generate() -> Self {
        Self {
            key: rand::random::<[u8; 32]>().to_vec(),
        }
    }

    /// `whsec_<base64>`, as the quote site is given it.
    pub fn parse(text: &str) -> Option<Self> {
        let key = STANDARD.decode(text.trim().strip_prefix(PREFIX)?).ok()?;
        (!key.is_empty()).then_some(Self { key })
    }

    /// The text form, shown once when the integration is created.
    pub fn expose(&self) -> String {
        format!("{PREFIX}{}", STANDARD.encode(&self.key))
    }

    fn mac(&self, id: &str, timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }

    /// The `webhook-signature` value for a message (tests and examples sign with it).
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let tag = self.mac(id, &timestamp.to_string(), body).finalize().into_bytes();
        format!("v1,{}", STANDARD.encode(tag))
    }
}

/// The three headers of a signed request, as received.
pub struct Signed<'a> {
    pub id: &'a str,
    pub timestamp: &'a str,
    pub signature: &'a str,
}

/// The one answer to every bad signature.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid webhook signature")]
pub struct Rejected;

/// A check in progress: the headers have been read and the timestamp is within the
/// tolerance; the body is fed as it arrives (a PDF is not held in memory to be checked).
pub struct Verifier {
    /// One running HMAC per secret, with the secret's position in the list given.
    macs: Vec<(usize, Hmac<Sha256>)>,
    candidates: Vec<Vec<u8>>,
}

/// The headers of a request, checked before any secret is looked up: an id, a timestamp
/// within the window, at least one `v1,` signature. Most garbage stops here, without a
/// database round trip.
pub struct Headers<'a> {
    id: &'a str,
    timestamp: &'a str,
    candidates: Vec<Vec<u8>>,
}

impl<'a> Headers<'a> {
    /// Checks the id, the timestamp (a replay window of [`TOLERANCE_SECS`] either way) and
    /// that some `v1,` signature is there.
    pub fn check(signed: &Signed<'a>, now_secs: i64) -> Result<Self, Rejected> {
        let id = signed.id.trim();
        let timestamp = signed.timestamp.trim();
        let seconds: i64 = timestamp.parse().map_err(|_| Rejected)?;
        if id.is_empty() || (now_secs - seconds).abs() > TOLERANCE_SECS {
            return Err(Rejected);
        }
        // Several space-separated signatures may be sent (the sender's own rotation).
        let candidates: Vec<Vec<u8>> = signed
            .signature
            .split_whitespace()
            .filter_map(|s| s.strip_prefix("v1,"))
            .filter_map(|b64| STANDARD.decode(b64).ok())
            .collect();
        if candidates.is_empty() {
            return Err(Rejected);
        }
        Ok(Self {
            id,
            timestamp,
            candidates,
        })
    }
}

impl Verifier {
    /// Starts checking the body against every secret that may have signed it.
    pub fn start(secrets: &[Secret], headers: Headers<'_>) -> Self {
        let macs = secrets
            .iter()
            .enumerate()
            .map(|(i, secret)| (i, secret.mac(headers.id, headers.timestamp, b"")))
            .collect();
        Self {
            macs,
            candidates: headers.candidates,
        }
    }

    /// Feeds the next bytes of the raw body.
    pub fn update(&mut self, chunk: &[u8]) {
        for (_, mac) in &mut self.macs {
            mac.update(chunk);
        }
    }

    /// The position of the secret that signed the body, or the one rejection. Every
    /// comparison is constant-time (`verify_slice`).
    pub fn finish(self) -> Result<usize, Rejected> {
        let candidates = self.candidates;
        self.macs
            .into_iter()
            .find(|(_, mac)| candidates.iter().any(|tag| mac.clone().verify_slice(tag).is_ok()))
            .map(|(i, _)| i)
            .ok_or(Rejected)
    }
}

/// Accepts the request when its timestamp is within the tolerance and one of its
/// `v1,` signatures was made with one of `secrets` (two during a rotation); returns the
/// position of the secret that matched.
pub fn verify(secrets: &[Secret], signed: &Signed<'_>, body: &[u8], now_secs: i64) -> Result<usize, Rejected> {
    let mut verifier = Verifier::start(secrets, Headers::check(signed, now_secs)?);
    verifier.update(body);
    verifier.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    // The example of the Standard Webhooks specification and its reference libraries.
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TIMESTAMP: i64 = 1_614_265_330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn check(secrets: &[Secret], signature: &str, timestamp: &str, body: &[u8], now: i64) -> Result<usize, Rejected> {
        let signed = Signed {
            id: ID,
            timestamp,
            signature,
        };
        verify(secrets, &signed, body, now)
    }

    #[test]
    fn the_specifications_example_signs_and_verifies() {
        let secret = Secret::parse(SECRET).expect("secret");
        assert_eq!(secret.sign(ID, TIMESTAMP, BODY), SIGNATURE);
        assert_eq!(secret.expose(), SECRET);
        let ts = TIMESTAMP.to_string();
        assert_eq!(check(&[secret], SIGNATURE, &ts, BODY, TIMESTAMP + 10), Ok(0));
    }

    #[test]
    fn every_kind_of_bad_request_gets_the_same_rejection() {
        let secret = Secret::parse(SECRET).expect("secret");
        let secrets = [secret.clone()];
        let ts = TIMESTAMP.to_string();
        let mut flipped = BODY.to_vec();
        flipped[3] ^= 1;
        let other = Secret::generate();
        // (secrets, signature, timestamp, body, now)
        type Case<'a> = (&'a [Secret], &'a str, &'a str, &'a [u8], i64);
        let cases: [Case<'_>; 8] = [
            (&secrets, SIGNATURE, &ts, &flipped, TIMESTAMP),
            (&secrets, SIGNATURE, &ts, BODY, TIMESTAMP + TOLERANCE_SECS + 1),
            (&secrets, SIGNATURE, &ts, BODY, TIMESTAMP - TOLERANCE_SECS - 1),
            (&secrets, "", &ts, BODY, TIMESTAMP),
            (&secrets, "v1,not base64!", &ts, BODY, TIMESTAMP),
            (
                &secrets,
                "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
                &ts,
                BODY,
                TIMESTAMP,
            ),
            (&secrets, SIGNATURE, "yesterday", BODY, TIMESTAMP),
            (std::slice::from_ref(&other), SIGNATURE, &ts, BODY, TIMESTAMP),
        ];
        for (i, (secrets, signature, timestamp, body, now)) in cases.into_iter().enumerate() {
            assert_eq!(
                check(secrets, signature, timestamp, body, now),
                Err(Rejected),
                "case {i}"
            );
        }
    }

    #[test]
    fn during_a_rotation_either_secret_and_any_listed_signature_is_accepted() {
        let old = Secret::parse(SECRET).expect("secret");
        let new = Secret::generate();
        let ts = TIMESTAMP.to_string();
        let both = [new.clone(), old.clone()];
        assert_eq!(check(&both, SIGNATURE, &ts, BODY, TIMESTAMP), Ok(1));
        let with_new = new.sign(ID, TIMESTAMP, BODY);
        assert_eq!(check(&both, &with_new, &ts, BODY, TIMESTAMP), Ok(0));
        let two = format!("v1,AAAA {with_new}");
        assert_eq!(check(std::slice::from_ref(&new), &two, &ts, BODY, TIMESTAMP), Ok(0));
        assert!(!format!("{new:?}").contains(&new.expose()[6..12]));
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn any_signature_headers_are_checked_without_panicking(
            id in "\\PC{0,40}",
            timestamp in "[0-9 a-z-]{0,14}",
            signature in "\\PC{0,120}",
        ) {
            let signed = Signed { id: &id, timestamp: &timestamp, signature: &signature };
            if let Ok(headers) = Headers::check(&signed, 1_800_000_000) {
                // Whatever passed the header check still proves nothing without a secret.
                let secret = Secret::generate();
                let mut verifier = Verifier::start(std::slice::from_ref(&secret), headers);
                verifier.update(b"{}");
                prop_assert!(verifier.finish().is_err());
            }
        }
    }
}
