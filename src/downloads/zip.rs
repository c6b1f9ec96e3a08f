//! A streaming ZIP writer for whole transfers: entries are stored, not recompressed
//! (photos and videos do not shrink), with their CRC-32 computed on the way through and
//! written in a data descriptor after each entry. ZIP64 records are used where a size or
//! an offset needs them, so archives and files over 4 GiB open in standard tools. Every
//! size is known in advance, so the layout, and the exact length of the archive, is too.

use std::collections::HashSet;

use bytes::{BufMut, Bytes, BytesMut};

use super::headers::safe_file_name;
use crate::domain::Timestamp;

/// Sizes and offsets at or above this need ZIP64 records. Tests lower it to exercise the
/// ZIP64 paths with small files.
pub const ZIP64_THRESHOLD: u64 = 0xFFFF_FFFF;

const FLAG_DATA_DESCRIPTOR: u16 = 0x0008;
const FLAG_UTF8: u16 = 0x0800;
const VERSION_DEFAULT: u16 = 20;
const VERSION_ZIP64: u16 = 45;
/// Made by Unix (3), spec 4.5: lets readers apply the permission bits below.
const VERSION_MADE_BY: u16 = (3 << 8) | VERSION_ZIP64;
/// A regular file, rw-r--r--.
const EXTERNAL_ATTRIBUTES: u32 = 0o100_644 << 16;

/// One file of the archive, as planned.
#[derive(Debug, Clone)]
pub struct PlannedEntry<K> {
    pub name: String,
    pub size: u64,
    pub dos_time: u16,
    pub dos_date: u16,
    /// Where the entry's local header starts in the archive.
    pub offset: u64,
    pub zip64: bool,
    /// What the caller needs to fetch the bytes.
    pub source: K,
}

#[derive(Debug, Clone)]
pub struct Plan<K> {
    pub entries: Vec<PlannedEntry<K>>,
    pub threshold: u64,
    /// Where the central directory starts.
    pub directory_offset: u64,
    pub directory_len: u64,
    pub total_len: u64,
}

/// Names inside the archive: safe single names, unique case-insensitively (Windows and
/// macOS would otherwise overwrite one file with another), `photo (2).jpg` style.
pub fn unique_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut taken = HashSet::new();
    names
        .into_iter()
        .map(|raw| {
            let name = safe_file_name(raw);
            let (stem, ext) = match name.rsplit_once('.') {
                Some((s, e)) if !s.is_empty() => (s.to_owned(), format!(".{e}")),
                _ => (name.clone(), String::new()),
            };
            let mut candidate = name.clone();
            let mut n = 2;
            while !taken.insert(candidate.to_lowercase()) {
                candidate = format!("{stem} ({n}){ext}");
                n += 1;
            }
            candidate
        })
        .collect()
}

/// MS-DOS date and time of an instant (local time is not known; UTC is used, and dates
/// before 1980 are clamped to it).
pub fn dos_date_time(at: Timestamp) -> (u16, u16) {
    let t = at.to_offset_date_time().unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    if t.year() < 1980 {
        return (0, (1 << 5) | 1);
    }
    let date = (((t.year() - 1980).min(127) as u16) << 9) | ((u8::from(t.month()) as u16) << 5) | t.day() as u16;
    let time = ((t.hour() as u16) << 11) | ((t.minute() as u16) << 5) | (t.second() as u16 / 2);
    (time, date)
}

fn local_header_len(name: &str, zip64: bool) -> u64 {
    30 + name.len() as u64 + if zip64 { 20 } else { 0 }
}

fn descriptor_len(zip64: bool) -> u64 {
    if zip64 { 24 } else { 16 }
}

fn central_extra_len(size: u64, offset: u64, threshold: u64) -> u64 {
    let fields = if size >= threshold { 2 } else { 0 } + u64::from(offset >= threshold);
    if fields == 0 { 0 } else { 4 + 8 * fields }
}

impl<K> PlannedEntry<K> {
    /// Where the file's own bytes lie in the archive.
    pub fn data_range(&self) -> std::ops::Range<u64> {
        let start = self.offset + local_header_len(&self.name, self.zip64);
        start..start + self.size
    }
}

impl<K> Plan<K> {
    /// Lays out the archive: `(name, size, modified, source)` per file.
    pub fn new(files: Vec<(String, u64, Timestamp, K)>, threshold: u64) -> Self {
        let mut offset = 0u64;
        let mut entries = Vec::with_capacity(files.len());
        for (name, size, modified, source) in files {
            let zip64 = size >= threshold;
            let (dos_time, dos_date) = dos_date_time(modified);
            let entry = PlannedEntry {
                name,
                size,
                dos_time,
                dos_date,
                offset,
                zip64,
                source,
            };
            offset += local_header_len(&entry.name, zip64) + size + descriptor_len(zip64);
            entries.push(entry);
        }
        let directory_offset = offset;
        let directory_len: u64 = entries
            .iter()
            .map(|e| 46 + e.name.len() as u64 + central_extra_len(e.size, e.offset, threshold))
            .sum();
        let mut plan = Self {
            entries,
            threshold,
            directory_offset,
            directory_len,
            total_len: 0,
        };
        plan.total_len = directory_offset + directory_len + plan.end_records().len() as u64;
        plan
    }

    fn needs_zip64_end(&self) -> bool {
        self.entries.len() >= 0xFFFF || self.directory_offset >= self.threshold || self.directory_len >= self.threshold
    }

    pub fn local_header(&self, e: &PlannedEntry<K>) -> Bytes {
        let mut b = BytesMut::with_capacity(local_header_len(&e.name, e.zip64) as usize);
        b.put_u32_le(0x0403_4b50);
        b.put_u16_le(if e.zip64 { VERSION_ZIP64 } else { VERSION_DEFAULT });
        b.put_u16_le(FLAG_DATA_DESCRIPTOR | FLAG_UTF8);
        b.put_u16_le(0); // stored
        b.put_u16_le(e.dos_time);
        b.put_u16_le(e.dos_date);
        // CRC and sizes follow the data, in the descriptor.
        b.put_u32_le(0);
        b.put_u32_le(if e.zip64 { 0xFFFF_FFFF } else { 0 });
        b.put_u32_le(if e.zip64 { 0xFFFF_FFFF } else { 0 });
        b.put_u16_le(e.name.len() as u16);
        b.put_u16_le(if e.zip64 { 20 } else { 0 });
        b.put_slice(e.name.as_bytes());
        if e.zip64 {
            b.put_u16_le(0x0001);
            b.put_u16_le(16);
            b.put_u64_le(0);
            b.put_u64_le(0);
        }
        b.freeze()
    }

    pub fn descriptor(&self, e: &PlannedEntry<K>, crc: u32) -> Bytes {
        let mut b = BytesMut::with_capacity(descriptor_len(e.zip64) as usize);
        b.put_u32_le(0x0807_4b50);
        b.put_u32_le(crc);
        if e.zip64 {
            b.put_u64_le(e.size);
            b.put_u64_le(e.size);
        } else {
            b.put_u32_le(e.size as u32);
            b.put_u32_le(e.size as u32);
        }
        b.freeze()
    }

    /// The central directory and end records, given each entry's CRC-32.
    pub fn trailer(&self, crcs: &[u32]) -> Bytes {
        let mut b = BytesMut::with_capacity(self.directory_len as usize + 100);
        for (e, crc) in self.entries.iter().zip(crcs) {
            let big_size = e.size >= self.threshold;
            let big_offset = e.offset >= self.threshold;
            let extra = central_extra_len(e.size, e.offset, self.threshold);
            b.put_u32_le(0x0201_4b50);
            b.put_u16_le(VERSION_MADE_BY);
            b.put_u16_le(if extra > 0 || e.zip64 {
                VERSION_ZIP64
            } else {
                VERSION_DEFAULT
            });
            b.put_u16_le(FLAG_DATA_DESCRIPTOR | FLAG_UTF8);
            b.put_u16_le(0);
            b.put_u16_le(e.dos_time);
            b.put_u16_le(e.dos_date);
            b.put_u32_le(*crc);
            let size32 = if big_size { 0xFFFF_FFFF } else { e.size as u32 };
            b.put_u32_le(size32);
            b.put_u32_le(size32);
            b.put_u16_le(e.name.len() as u16);
            b.put_u16_le(extra as u16);
            b.put_u16_le(0); // comment
            b.put_u16_le(0); // disk
            b.put_u16_le(0); // internal attributes
            b.put_u32_le(EXTERNAL_ATTRIBUTES);
            b.put_u32_le(if big_offset { 0xFFFF_FFFF } else { e.offset as u32 });
            b.put_slice(e.name.as_bytes());
            if extra > 0 {
                b.put_u16_le(0x0001);
                b.put_u16_le((extra - 4) as u16);
                // Only the fields whose 32-bit slot says 0xFFFFFFFF, in this order.
                if big_size {
                    b.put_u64_le(e.size);
                    b.put_u64_le(e.size);
                }
                if big_offset {
                    b.put_u64_le(e.offset);
                }
            }
        }
        b.put_slice(&self.end_records());
        b.freeze()
    }

    fn end_records(&self) -> Vec<u8> {
        let mut b = BytesMut::new();
        let zip64 = self.needs_zip64_end();
        let count = self.entries.len() as u64;
        if zip64 {
            let record_offset = self.directory_offset + self.directory_len;
            b.put_u32_le(0x0606_4b50);
            b.put_u64_le(44);
            b.put_u16_le(VERSION_MADE_BY);
            b.put_u16_le(VERSION_ZIP64);
            b.put_u32_le(0);
            b.put_u32_le(0);
            b.put_u64_le(count);
            b.put_u64_le(count);
            b.put_u64_le(self.directory_len);
            b.put_u64_le(self.directory_offset);
            b.put_u32_le(0x0706_4b50);
            b.put_u32_le(0);
            b.put_u64_le(record_offset);
            b.put_u32_le(1);
        }
        b.put_u32_le(0x0605_4b50);
        b.put_u16_le(0);
        b.put_u16_le(0);
        let count16 = if zip64 { 0xFFFF } else { count as u16 };
        b.put_u16_le(count16);
        b.put_u16_le(count16);
        b.put_u32_le(if zip64 { 0xFFFF_FFFF } else { self.directory_len as u32 });
        b.put_u32_le(if zip64 {
            0xFFFF_FFFF
        } else {
            self.directory_offset as u32
        });
        b.put_u16_le(0);
        b.to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_whatever_their_case_and_cannot_escape() {
        let names = unique_names(["photo.jpg", "Photo.JPG", "photo.jpg", "../secret", "..", "README"]);
        assert_eq!(
            names,
            [
                "photo.jpg",
                "Photo (2).JPG",
                "photo (3).jpg",
                ".._secret",
                "_",
                "README"
            ]
        );
    }

    #[test]
    fn dos_dates_encode_the_calendar() {
        // 2026-06-13 14:07:42 UTC
        let (time, date) = dos_date_time(Timestamp::from_millis(1_781_359_662_000));
        assert_eq!((date >> 9) + 1980, 2026);
        assert_eq!((date >> 5) & 0xF, 6);
        assert_eq!(date & 0x1F, 13);
        assert_eq!((time >> 11, (time >> 5) & 0x3F, (time & 0x1F) * 2), (14, 7, 42));
        assert_eq!(
            dos_date_time(Timestamp::EPOCH),
            (0, 33),
            "before 1980 is clamped to 1980-01-01"
        );
    }

    #[test]
    fn the_planned_length_is_the_written_length() {
        for threshold in [ZIP64_THRESHOLD, 10] {
            let files = vec![
                ("a.txt".to_owned(), 5u64, Timestamp::EPOCH, ()),
                ("été.jpg".to_owned(), 100, Timestamp::EPOCH, ()),
                ("empty".to_owned(), 0, Timestamp::EPOCH, ()),
            ];
            let plan = Plan::new(files, threshold);
            let mut written = 0u64;
            for e in &plan.entries {
                assert_eq!(e.offset, written);
                written += plan.local_header(e).len() as u64 + e.size + plan.descriptor(e, 0).len() as u64;
            }
            assert_eq!(written, plan.directory_offset);
            written += plan.trailer(&[0, 0, 0]).len() as u64;
            assert_eq!(written, plan.total_len, "threshold {threshold}");
        }
    }
}
