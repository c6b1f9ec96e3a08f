//! What the DNS actually says about the sender's domain, record by record, against what
//! `relais check` asks to publish (`dkim::dns_records`).

use std::net::SocketAddr;
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::RData;

use super::dkim::{DnsRecord, RecordKind};

/// What was found for one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Published, and saying what Relais needs.
    Matching,
    /// No such record.
    Missing,
    /// A record is there but says something else (`published`), or there are several.
    Different { published: String, why: String },
    /// The resolver did not answer: nothing is known.
    Unknown(String),
}

/// Asks `resolver` (or the system's) for each record.
pub async fn check(records: &[DnsRecord], resolver: Option<SocketAddr>) -> Vec<(DnsRecord, Verdict)> {
    let resolver = match build(resolver) {
        Ok(r) => r,
        Err(e) => {
            return records
                .iter()
                .map(|r| (r.clone(), Verdict::Unknown(format!("no DNS resolver: {e}"))))
                .collect();
        }
    };
    // At once: a resolver that does not answer costs one timeout, not one per record.
    futures_util::future::join_all(records.iter().map(|record| async {
        let verdict = match txt(&resolver, &record.name).await {
            Ok(published) => judge(record, &published),
            Err(e) => Verdict::Unknown(e),
        };
        (record.clone(), verdict)
    }))
    .await
}

fn build(server: Option<SocketAddr>) -> Result<TokioResolver, String> {
    let mut builder = match server {
        Some(addr) => {
            let mut udp = ConnectionConfig::udp();
            udp.port = addr.port();
            let mut tcp = ConnectionConfig::tcp();
            tcp.port = addr.port();
            let config =
                ResolverConfig::from_name_servers(vec![NameServerConfig::new(addr.ip(), true, vec![udp, tcp])]);
            TokioResolver::builder_with_config(config, TokioRuntimeProvider::default())
        }
        None => TokioResolver::builder_tokio().map_err(|e| e.to_string())?,
    };
    let options = builder.options_mut();
    options.timeout = Duration::from_secs(2);
    options.attempts = 2;
    // What the world sees now, not what this machine remembers.
    options.cache_size = 0;
    builder.build().map_err(|e| e.to_string())
}

/// The TXT records at `name`, each one's strings joined (a long DKIM key is split into
/// several strings of at most 255 bytes). None found is an empty list, not an error.
async fn txt(resolver: &TokioResolver, name: &str) -> Result<Vec<String>, String> {
    let fqdn = format!("{}.", name.trim_end_matches('.'));
    match resolver.txt_lookup(fqdn.as_str()).await {
        Ok(lookup) => Ok(lookup
            .answers()
            .iter()
            .filter_map(|record| match &record.data {
                RData::TXT(txt) => Some(
                    txt.txt_data
                        .iter()
                        .map(|part| String::from_utf8_lossy(part).into_owned())
                        .collect::<String>(),
                ),
                _ => None,
            })
            .collect()),
        Err(e) if e.is_no_records_found() || e.is_nx_domain() => Ok(Vec::new()),
        Err(e) => Err(format!("the lookup of {name} failed: {e}")),
    }
}

/// The record's verdict from the TXT values published at its name.
pub fn judge(record: &DnsRecord, published: &[String]) -> Verdict {
    let prefix = match record.kind {
        RecordKind::Spf => "v=spf1",
        RecordKind::Dkim => "v=DKIM1",
        RecordKind::Dmarc => "v=DMARC1",
    };
    let ours: Vec<&String> = published
        .iter()
        .filter(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with(&prefix.to_ascii_lowercase())
        })
        .collect();
    let value = match ours.as_slice() {
        [] => return Verdict::Missing,
        [one] => one.as_str(),
        several => {
            return Verdict::Different {
                published: several.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(" | "),
                why: format!("{} records at one name: receivers ignore them all", several.len()),
            };
        }
    };
    let different = |why: &str| Verdict::Different {
        published: value.to_owned(),
        why: why.to_owned(),
    };
    match record.kind {
        // Another SPF record can say more (other senders); it must name ours.
        RecordKind::Spf => {
            let published: Vec<String> = value.split_whitespace().map(str::to_ascii_lowercase).collect();
            let missing: Vec<&str> = record
                .value
                .split_whitespace()
                .skip(1)
                .filter(|m| !m.ends_with("all"))
                .filter(|m| !published.iter().any(|p| p == &m.to_ascii_lowercase()))
                .collect();
            if missing.is_empty() {
                Verdict::Matching
            } else {
                different(&format!("it does not name {}", missing.join(" ")))
            }
        }
        // The key must be this key.
        RecordKind::Dkim => {
            if tag(value, "p") == tag(&record.value, "p") {
                Verdict::Matching
            } else {
                different("another public key: signatures will not verify")
            }
        }
        // Any policy that acts on failures; `none` only reports.
        RecordKind::Dmarc => match tag(value, "p").as_deref() {
            Some("quarantine" | "reject") => Verdict::Matching,
            _ => different("its policy (p=) does not quarantine or reject what fails"),
        },
    }
}

/// The value of `name=` in a `tag=value; …` record, without spaces.
fn tag(record: &str, name: &str) -> Option<String> {
    record.split(';').find_map(|part| {
        let (key, value) = part.split_once('=')?;
        (key.trim().eq_ignore_ascii_case(name)).then(|| value.chars().filter(|c| !c.is_whitespace()).collect())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: RecordKind, value: &str) -> DnsRecord {
        DnsRecord {
            kind,
            name: "example.fr".into(),
            value: value.into(),
            why: "",
        }
    }

    #[test]
    fn spf_may_name_more_senders_but_must_name_ours_and_be_alone() {
        let ours = record(RecordKind::Spf, "v=spf1 a:smtp.example.fr mx ~all");
        assert_eq!(judge(&ours, &[]), Verdict::Missing);
        assert_eq!(judge(&ours, &["google-site-verification=x".into()]), Verdict::Missing);
        assert_eq!(
            judge(
                &ours,
                &["v=spf1 include:_spf.google.com a:smtp.example.fr mx -all".into()]
            ),
            Verdict::Matching
        );
        assert!(
            matches!(judge(&ours, &["v=spf1 mx -all".into()]), Verdict::Different { why, .. } if why.contains("a:smtp.example.fr"))
        );
        assert!(matches!(
            judge(&ours, &["v=spf1 a:smtp.example.fr mx ~all".into(), "v=spf1 -all".into()]),
            Verdict::Different { why, .. } if why.contains("2 records")
        ));
    }

    #[test]
    fn dkim_must_carry_this_key_whatever_the_spacing_and_dmarc_must_act() {
        let dkim = record(RecordKind::Dkim, "v=DKIM1; k=rsa; p=MIIBIjANBg");
        assert_eq!(
            judge(&dkim, &["v=DKIM1; k=rsa; p=MIIB IjAN Bg".into()]),
            Verdict::Matching
        );
        assert!(matches!(
            judge(&dkim, &["v=DKIM1; p=OTHER".into()]),
            Verdict::Different { .. }
        ));
        let dmarc = record(RecordKind::Dmarc, "v=DMARC1; p=quarantine");
        assert_eq!(
            judge(&dmarc, &["v=DMARC1; p=reject; rua=mailto:x@example.fr".into()]),
            Verdict::Matching
        );
        assert!(matches!(
            judge(&dmarc, &["v=DMARC1; p=none".into()]),
            Verdict::Different { .. }
        ));
    }
}
