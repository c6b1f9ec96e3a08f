//! Which snapshots a target keeps, and removing the rest: the newest snapshot of each of
//! the last `keep_daily` days, `keep_weekly` ISO weeks and `keep_monthly` months (the
//! newest of all is always kept), then the objects no kept snapshot names.

use std::collections::{BTreeMap, HashSet};
use std::io::BufRead;
use std::time::Duration;

use time::OffsetDateTime;

use super::{BackupError, ManifestEntry, Target, snapshot_path};
use crate::config::BackupConfig;
use crate::domain::{DAY, Timestamp};

/// A snapshot id from its time: `20261205T234900Z` (UTC), sortable as text.
pub fn id_for(at: Timestamp) -> String {
    let t = at.to_offset_date_time().unwrap_or(OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// A period a snapshot falls in: (year, day of the year, ISO week or month).
type Period = (i32, u32);

/// The day, ISO week and month a snapshot id belongs to.
fn periods(id: &str) -> Option<(Period, Period, Period)> {
    let digits = id.get(..8)?;
    let year: i32 = digits.get(..4)?.parse().ok()?;
    let month: u8 = digits.get(4..6)?.parse().ok()?;
    let day: u8 = digits.get(6..8)?.parse().ok()?;
    let date = time::Date::from_calendar_date(year, time::Month::try_from(month).ok()?, day).ok()?;
    let (week_year, week, _) = date.to_iso_week_date();
    Some((
        (year, u32::from(date.ordinal())),
        (week_year, u32::from(week)),
        (year, u32::from(month)),
    ))
}

/// The ids to keep among `ids` (complete snapshots).
pub fn kept(ids: &[String], rules: &BackupConfig) -> HashSet<String> {
    let mut newest_first: Vec<&String> = ids.iter().collect();
    newest_first.sort_by(|a, b| b.cmp(a));
    let mut keep = HashSet::new();
    if let Some(newest) = newest_first.first() {
        keep.insert((*newest).clone());
    }
    let mut days = Vec::new();
    let mut weeks = Vec::new();
    let mut months = Vec::new();
    for id in newest_first {
        let Some((day, week, month)) = periods(id) else {
            // Not a name Relais gives: left alone.
            keep.insert(id.clone());
            continue;
        };
        for (seen, period, limit) in [
            (&mut days, day, rules.keep_daily),
            (&mut weeks, week, rules.keep_weekly),
            (&mut months, month, rules.keep_monthly),
        ] {
            if !seen.contains(&period) && seen.len() < limit as usize {
                seen.push(period);
                keep.insert(id.clone());
            }
        }
    }
    keep
}

#[derive(Debug, Default)]
pub struct Pruned {
    pub snapshots: Vec<String>,
    pub objects: u64,
}

/// Every snapshot folder on the target: whether it is complete, and its files.
pub async fn snapshots(target: &Target) -> Result<BTreeMap<String, (bool, Vec<String>)>, BackupError> {
    let mut found: BTreeMap<String, (bool, Vec<String>)> = BTreeMap::new();
    for (path, _) in target.list("snapshots").await? {
        let mut parts = path.splitn(3, '/');
        let (Some("snapshots"), Some(id), Some(name)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let entry = found.entry(id.to_owned()).or_default();
        entry.0 |= name == "snapshot.json";
        entry.1.push(path.clone());
    }
    Ok(found)
}

/// The newest complete snapshot's id.
pub async fn latest(target: &Target) -> Result<Option<String>, BackupError> {
    Ok(snapshots(target)
        .await?
        .into_iter()
        .rev()
        .find(|(_, (complete, _))| *complete)
        .map(|(id, _)| id))
}

/// What another run may still be writing: incomplete snapshots and unnamed objects
/// younger than this are left alone (two backups on one target never remove each
/// other's work in progress).
const GRACE: Duration = DAY;

/// Removes the snapshots the rules do not keep (and incomplete ones a day old), then the
/// objects that no kept snapshot names and that are a day old.
pub async fn prune(
    target: &Target,
    rules: &BackupConfig,
    now: Timestamp,
    current: &str,
) -> Result<Pruned, BackupError> {
    let all = snapshots(target).await?;
    let complete: Vec<String> = all.iter().filter(|(_, (c, _))| *c).map(|(id, _)| id.clone()).collect();
    let keep = kept(&complete, rules);
    let mut pruned = Pruned::default();
    for (id, (is_complete, files)) in &all {
        // An incomplete snapshot newer than this one belongs to a run still going.
        let drop = if *is_complete {
            !keep.contains(id)
        } else {
            id.as_str() < current
        };
        if drop && id != current {
            // snapshot.json first: from then on the snapshot is incomplete, never restored.
            let mut ordered = files.clone();
            ordered.sort_by_key(|p| !p.ends_with("/snapshot.json"));
            for path in ordered {
                target.delete(&path).await?;
            }
            if *is_complete {
                pruned.snapshots.push(id.clone());
            }
        }
    }
    // The objects every kept snapshot names; anything else goes.
    let mut named: HashSet<String> = HashSet::new();
    for id in &keep {
        for entry in manifest(target, id).await? {
            named.insert(entry.sha256);
        }
    }
    for (path, _, modified) in target.list_dated("objects").await? {
        let Some(sha) = path.rsplit('/').next() else { continue };
        if super::is_sha256(sha) && !named.contains(sha) && now - modified > GRACE {
            target.delete(&path).await?;
            pruned.objects += 1;
        }
    }
    Ok(pruned)
}

/// A snapshot's manifest, read whole (one short line per object).
pub async fn manifest(target: &Target, id: &str) -> Result<Vec<ManifestEntry>, BackupError> {
    let Some(bytes) = target.get_small(&snapshot_path(id, "manifest.jsonl")).await? else {
        return Err(BackupError::Damaged(format!("snapshot {id} has no manifest")));
    };
    bytes
        .lines()
        .enumerate()
        .map(|(n, line)| {
            let bad = |why: String| BackupError::Damaged(format!("manifest of {id}, line {}: {why}", n + 1));
            let line = line.map_err(|e| bad(e.to_string()))?;
            let entry: ManifestEntry = serde_json::from_str(&line).map_err(|e| bad(e.to_string()))?;
            // A damaged manifest must not name a path outside `objects/`, nor an object
            // outside the three places Relais keeps them.
            if !super::is_sha256(&entry.sha256) {
                return Err(bad(format!("{:?} is not a SHA-256", entry.sha256)));
            }
            let known = ["files/", "derived/", "documents/"]
                .iter()
                .any(|p| entry.key.starts_with(p));
            if !known || relais_storage::BlobKey::parse(&entry.key).is_err() {
                return Err(bad(format!("{:?} is not an object key of Relais", entry.key)));
            }
            Ok(entry)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::HOUR;

    fn rules(daily: u32, weekly: u32, monthly: u32) -> BackupConfig {
        BackupConfig {
            target: None,
            at: (3, 0),
            keep_daily: daily,
            keep_weekly: weekly,
            keep_monthly: monthly,
            s3: None,
        }
    }

    #[test]
    fn ids_sort_in_time_order() {
        assert_eq!(id_for(Timestamp::EPOCH), "19700101T000000Z");
        assert_eq!(id_for(Timestamp::from_millis(1_796_514_540_000)), "20261205T234900Z");
    }

    #[test]
    fn one_snapshot_a_day_for_a_year_keeps_7_days_4_weeks_12_months() {
        let start = Timestamp::from_millis(1_767_225_600_000); // 2026-01-01
        let ids: Vec<String> = (0..365).map(|d| id_for(start + d * DAY + 3 * HOUR)).collect();
        let keep = kept(&ids, &rules(7, 4, 12));
        // 7 days, plus the newest of 3 older weeks, plus the newest of 11 older months
        // (some of those coincide with the weeks).
        assert!(keep.contains(ids.last().expect("newest")));
        for id in &ids[365 - 7..] {
            assert!(keep.contains(id), "{id}");
        }
        assert!(keep.len() >= 7 + 11 && keep.len() <= 7 + 3 + 11, "{}", keep.len());
        assert!(keep.contains("20260131T030000Z"), "the newest of January");
        assert!(!keep.contains("20260130T030000Z"));
    }

    #[test]
    fn several_snapshots_a_day_keep_the_newest_of_the_day() {
        let ids: Vec<String> = ["20261201T010000Z", "20261201T130000Z", "20261202T010000Z"]
            .map(String::from)
            .to_vec();
        let keep = kept(&ids, &rules(7, 0, 0));
        assert_eq!(keep.len(), 2);
        assert!(!keep.contains("20261201T010000Z"));
    }

    #[test]
    fn keeping_nothing_still_keeps_the_newest() {
        let ids = vec!["20261201T010000Z".to_owned(), "20261202T010000Z".to_owned()];
        assert_eq!(
            kept(&ids, &rules(0, 0, 0)),
            HashSet::from(["20261202T010000Z".to_owned()])
        );
    }
}
