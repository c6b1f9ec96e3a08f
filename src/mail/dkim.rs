//! DKIM (RFC 6376): the RSA key that signs outgoing mail, and the DNS records a studio
//! publishes so receiving servers trust it (SPF, DKIM, DMARC). Without them an
//! invitation from a new domain is likely to land in spam.

use std::fmt;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use lettre::message::dkim::{
    DkimCanonicalization, DkimCanonicalizationType, DkimConfig, DkimSigningAlgorithm, DkimSigningKey,
};
use lettre::message::header::HeaderName;
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey, LineEnding};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};
use secrecy::{ExposeSecret, SecretString};

/// Receivers reject shorter RSA keys.
const MIN_BITS: usize = 1024;

/// A DKIM private key, checked once at start. `Debug` never shows it.
#[derive(Clone)]
pub struct DkimKey {
    /// PKCS#1 PEM, the form lettre signs with.
    pkcs1: Arc<SecretString>,
    /// The public key as DKIM's `p=` tag wants it: base64 of the SubjectPublicKeyInfo DER.
    public: String,
    bits: usize,
}

impl fmt::Debug for DkimKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DkimKey(rsa-{}, [redacted])", self.bits)
    }
}

impl DkimKey {
    /// An RSA private key in PEM, PKCS#1 (`BEGIN RSA PRIVATE KEY`, what `openssl genrsa`
    /// wrote for years) or PKCS#8 (`BEGIN PRIVATE KEY`, what it writes now).
    pub fn from_pem(pem: &str) -> Result<Self, String> {
        let key = RsaPrivateKey::from_pkcs1_pem(pem.trim())
            .or_else(|_| RsaPrivateKey::from_pkcs8_pem(pem.trim()))
            .map_err(|_| "not an RSA private key in PEM".to_owned())?;
        let bits = key.size() * 8;
        if bits < MIN_BITS {
            return Err(format!("a {bits}-bit key is too short for DKIM (use 2048 bits)"));
        }
        let public = RsaPublicKey::from(&key)
            .to_public_key_der()
            .map_err(|e| format!("cannot derive the public key: {e}"))?;
        let pkcs1 = key
            .to_pkcs1_pem(LineEnding::LF)
            .map_err(|e| format!("cannot re-encode the key: {e}"))?;
        Ok(Self {
            pkcs1: Arc::new(SecretString::from(pkcs1.to_string())),
            public: STANDARD.encode(public.as_bytes()),
            bits,
        })
    }

    /// The signing configuration for `domain`: relaxed canonicalisation (survives the
    /// header rewrapping relays do), over the headers that identify the message.
    pub fn signer(&self, selector: &str, domain: &str) -> Result<DkimConfig, String> {
        let key = DkimSigningKey::new(self.pkcs1.expose_secret(), DkimSigningAlgorithm::Rsa)
            .map_err(|e| format!("DKIM key: {e}"))?;
        // The unsubscribe headers are signed too (RFC 8058 asks it): a relay that added or
        // changed them would break the signature. Absent from most messages, they are then
        // signed as absent.
        let headers = [
            "From",
            "To",
            "Subject",
            "Date",
            "Message-ID",
            "List-Unsubscribe",
            "List-Unsubscribe-Post",
        ]
        .into_iter()
        .map(HeaderName::new_from_ascii_str)
        .collect();
        let relaxed = DkimCanonicalization {
            header: DkimCanonicalizationType::Relaxed,
            body: DkimCanonicalizationType::Relaxed,
        };
        Ok(DkimConfig::new(
            selector.to_owned(),
            domain.to_owned(),
            key,
            headers,
            relaxed,
        ))
    }

    /// The TXT record's value: `v=DKIM1; k=rsa; p=…`.
    pub fn txt_record(&self) -> String {
        format!("v=DKIM1; k=rsa; p={}", self.public)
    }
}

/// Which of the sender's records a `DnsRecord` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    Spf,
    Dkim,
    Dmarc,
}

impl RecordKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::Spf => "SPF",
            Self::Dkim => "DKIM",
            Self::Dmarc => "DMARC",
        }
    }
}

/// One DNS record to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsRecord {
    pub kind: RecordKind,
    pub name: String,
    pub value: String,
    pub why: &'static str,
}

/// The records for mail from `domain`: SPF naming the SMTP relay when there is one,
/// DKIM when a key is configured, and a DMARC policy that asks receivers to quarantine
/// what fails both.
pub fn dns_records(domain: &str, smtp_host: Option<&str>, dkim: Option<(&str, &DkimKey)>) -> Vec<DnsRecord> {
    let mut records = vec![DnsRecord {
        kind: RecordKind::Spf,
        name: domain.to_owned(),
        value: match smtp_host {
            Some(host) => format!("v=spf1 a:{host} mx ~all"),
            None => "v=spf1 mx ~all".to_owned(),
        },
        why: "SPF: the servers allowed to send for the domain (merge with an existing v=spf1 record; a domain has one)",
    }];
    if let Some((selector, key)) = dkim {
        records.push(DnsRecord {
            kind: RecordKind::Dkim,
            name: format!("{selector}._domainkey.{domain}"),
            value: key.txt_record(),
            why: "DKIM: the public key of the signature Relais adds to every message",
        });
    }
    records.push(DnsRecord {
        kind: RecordKind::Dmarc,
        name: format!("_dmarc.{domain}"),
        value: "v=DMARC1; p=quarantine; adkim=r; aspf=r".to_owned(),
        why: "DMARC: what receivers do with mail that fails SPF and DKIM",
    });
    records
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anything_but_an_rsa_key_is_refused_with_a_reason() {
        assert!(DkimKey::from_pem("").is_err());
        assert!(DkimKey::from_pem("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----").is_err());
    }

    #[test]
    fn the_dmarc_and_spf_records_are_there_without_a_key() {
        let records = dns_records("studio.fr", Some("smtp.relay.fr"), None);
        let names: Vec<&str> = records.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["studio.fr", "_dmarc.studio.fr"]);
        assert_eq!(records[0].value, "v=spf1 a:smtp.relay.fr mx ~all");
    }
}
