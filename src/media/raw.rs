//! Camera RAW files (DNG, CR2, NEF, ARW and other TIFF-based ones, RAF, CR3): their web
//! variants come from the largest JPEG preview the camera embedded, turned by the RAW's
//! own orientation. Only the structures that lead to that preview are read, through a
//! `Read + Seek` source (a local file), never the whole RAW.

use std::io::{Read, Seek, SeekFrom};

/// At most this many IFDs are followed (a crafted file could chain them forever).
const MAX_IFDS: usize = 64;
/// At most this many entries are read from one IFD.
const MAX_ENTRIES: u16 = 512;
/// A preview larger than this is not read (no camera embeds one near it).
pub const MAX_PREVIEW_BYTES: u64 = 64 * 1024 * 1024;
/// At most this many ISO boxes are looked at in a CR3 (top level and inside `moov`).
const MAX_BOXES: usize = 256;

/// What a RAW holds for the pages: its largest embedded JPEG and how to turn it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    pub offset: u64,
    pub len: u64,
    /// EXIF orientation (1–8) of the RAW; `None` when the RAW does not say (the preview's
    /// own EXIF then decides).
    pub orientation: Option<u32>,
}

/// The kinds of RAW read here, from their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Tiff,
    Raf,
    Cr3,
}

/// Whether `head` (the file's first bytes) is a RAW this module reads; a TIFF counts only
/// when its name says RAW (a plain TIFF photo is not a camera file).
pub fn sniff(head: &[u8], extension: Option<&str>) -> Option<Kind> {
    let raw_name = matches!(
        extension,
        Some("dng" | "cr2" | "nef" | "nrw" | "arw" | "srf" | "sr2" | "orf" | "rw2" | "pef" | "raw")
    );
    match head {
        [b'I', b'I', 42, 0, ..] | [b'M', b'M', 0, 42, ..] if raw_name => Some(Kind::Tiff),
        // Panasonic's RW2 and Olympus' ORF change the magic number; the IFDs are TIFF's.
        [b'I', b'I', b'U', 0, ..] | [b'I', b'I', b'R', b'O', ..] | [b'I', b'I', b'R', b'S', ..] if raw_name => {
            Some(Kind::Tiff)
        }
        _ if head.starts_with(b"FUJIFILMCCD-RAW") => Some(Kind::Raf),
        _ if head.len() >= 12 && &head[4..8] == b"ftyp" && &head[8..12] == b"crx " => Some(Kind::Cr3),
        _ => None,
    }
}

/// The largest usable preview of a RAW of `kind`, or why there is none.
pub fn find<R: Read + Seek>(kind: Kind, src: &mut R) -> Result<Preview, String> {
    let found = match kind {
        Kind::Tiff => tiff(src)?,
        Kind::Raf => raf(src)?,
        Kind::Cr3 => cr3(src)?,
    };
    // The preview lies inside the file, and is of a size worth reading.
    let end = src.seek(SeekFrom::End(0)).map_err(|e| e.to_string())?;
    let inside = found.offset.checked_add(found.len).is_some_and(|e| e <= end);
    if found.len == 0 || found.len > MAX_PREVIEW_BYTES || !inside {
        return Err("no usable preview in this RAW file".into());
    }
    Ok(found)
}

#[derive(Clone, Copy)]
struct Order(bool); // true: big-endian

impl Order {
    fn u16(self, b: &[u8]) -> u16 {
        let a = [b[0], b[1]];
        if self.0 {
            u16::from_be_bytes(a)
        } else {
            u16::from_le_bytes(a)
        }
    }
    fn u32(self, b: &[u8]) -> u32 {
        let a = [b[0], b[1], b[2], b[3]];
        if self.0 {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        }
    }
}

fn read_at<R: Read + Seek>(src: &mut R, at: u64, len: usize) -> Result<Vec<u8>, String> {
    src.seek(SeekFrom::Start(at)).map_err(|e| e.to_string())?;
    let mut buf = vec![0; len];
    src.read_exact(&mut buf)
        .map_err(|_| "the RAW file is cut short".to_owned())?;
    Ok(buf)
}

/// Width × height of the JPEG at `offset`, when it is a baseline or progressive one (a
/// DNG's raw data can be a lossless JPEG, which browsers and Relais do not show).
fn jpeg_pixels<R: Read + Seek>(src: &mut R, offset: u64, len: u64) -> Option<u64> {
    let head = read_at(src, offset, len.min(256 * 1024) as usize).ok()?;
    if !head.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let mut at = 2;
    while at + 9 < head.len() {
        if head[at] != 0xFF {
            return None;
        }
        let marker = head[at + 1];
        let seg = u16::from_be_bytes([head[at + 2], head[at + 3]]) as usize;
        match marker {
            0xC0..=0xC2 => {
                let h = u16::from_be_bytes([head[at + 5], head[at + 6]]) as u64;
                let w = u16::from_be_bytes([head[at + 7], head[at + 8]]) as u64;
                return (w > 0 && h > 0).then_some(w * h);
            }
            // Lossless, hierarchical or arithmetic: not a preview.
            0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => return None,
            _ => at += 2 + seg,
        }
    }
    None
}

fn tiff<R: Read + Seek>(src: &mut R) -> Result<Preview, String> {
    let head = read_at(src, 0, 8)?;
    let order = Order(head[0] == b'M');
    let mut queue = vec![u64::from(order.u32(&head[4..8]))];
    let mut seen = Vec::new();
    let mut orientation = None;
    let mut best: Option<(u64, Preview)> = None;
    while let Some(at) = queue.pop() {
        if at == 0 || seen.contains(&at) || seen.len() >= MAX_IFDS {
            continue;
        }
        seen.push(at);
        // A pointer that leads nowhere ends that branch, not what was found already.
        let Ok(count) = read_at(src, at, 2).map(|b| order.u16(&b).min(MAX_ENTRIES)) else {
            continue;
        };
        let Ok(entries) = read_at(src, at + 2, usize::from(count) * 12 + 4) else {
            continue;
        };
        let (mut jpeg_at, mut jpeg_len, mut strip_at, mut strip_len, mut compression) = (None, None, None, None, None);
        for e in entries[..usize::from(count) * 12].chunks_exact(12) {
            let tag = order.u16(&e[0..2]);
            let kind = order.u16(&e[2..4]);
            let n = order.u32(&e[4..8]);
            // A SHORT fits in the value field's first two bytes; a LONG in all four.
            let value = if kind == 3 {
                u32::from(order.u16(&e[8..10]))
            } else {
                order.u32(&e[8..12])
            };
            match tag {
                0x0103 => compression = Some(value),
                0x0111 if n == 1 => strip_at = Some(u64::from(value)),
                0x0117 if n == 1 => strip_len = Some(u64::from(value)),
                0x0112 if at == seen[0] && (1..=8).contains(&value) => orientation = Some(value),
                0x0201 => jpeg_at = Some(u64::from(value)),
                0x0202 => jpeg_len = Some(u64::from(value)),
                // SubIFDs: one offset in place, or a list elsewhere.
                0x014A => {
                    if n == 1 {
                        queue.push(u64::from(value));
                    } else if n <= 16
                        && let Ok(list) = read_at(src, u64::from(order.u32(&e[8..12])), n as usize * 4)
                    {
                        queue.extend(list.chunks_exact(4).map(|c| u64::from(order.u32(c))));
                    }
                }
                // The EXIF IFD can hold a maker's preview pointers too.
                0x8769 => queue.push(u64::from(value)),
                _ => {}
            }
        }
        let mut candidates = Vec::new();
        if let (Some(o), Some(l)) = (jpeg_at, jpeg_len) {
            candidates.push((o, l));
        }
        if let (Some(o), Some(l), Some(6 | 7)) = (strip_at, strip_len, compression) {
            candidates.push((o, l));
        }
        for (offset, len) in candidates {
            if let Some(pixels) = jpeg_pixels(src, offset, len)
                && best.as_ref().is_none_or(|(p, _)| pixels > *p)
            {
                best = Some((
                    pixels,
                    Preview {
                        offset,
                        len,
                        orientation: None,
                    },
                ));
            }
        }
        let next = u64::from(order.u32(&entries[usize::from(count) * 12..]));
        queue.push(next);
    }
    let (_, mut preview) = best.ok_or("no usable preview in this RAW file")?;
    preview.orientation = orientation;
    Ok(preview)
}

/// Fujifilm: the header names the embedded JPEG (offset and length at byte 84, big-endian).
fn raf<R: Read + Seek>(src: &mut R) -> Result<Preview, String> {
    let head = read_at(src, 84, 8)?;
    let offset = u64::from(u32::from_be_bytes([head[0], head[1], head[2], head[3]]));
    let len = u64::from(u32::from_be_bytes([head[4], head[5], head[6], head[7]]));
    jpeg_pixels(src, offset, len).ok_or("no usable preview in this RAW file")?;
    Ok(Preview {
        offset,
        len,
        orientation: None,
    })
}

/// Canon CR3 (ISO base media): the `PRVW` JPEG inside the preview `uuid` box, and the
/// orientation in the `CMT1` TIFF of the `moov`'s Canon `uuid` box.
fn cr3<R: Read + Seek>(src: &mut R) -> Result<Preview, String> {
    const PREVIEW_UUID: [u8; 16] = [
        0xea, 0xf4, 0x2b, 0x5e, 0x1c, 0x98, 0x4b, 0x88, 0xb9, 0xfb, 0xb7, 0xdc, 0x40, 0x6e, 0x4d, 0x16,
    ];
    let end = src.seek(SeekFrom::End(0)).map_err(|e| e.to_string())?;
    let mut at = 0u64;
    let mut boxes = 0;
    let mut orientation = None;
    while at.checked_add(8).is_some_and(|e| e <= end) && boxes < MAX_BOXES {
        boxes += 1;
        let head = read_at(src, at, 8)?;
        let mut size = u64::from(u32::from_be_bytes([head[0], head[1], head[2], head[3]]));
        let kind = [head[4], head[5], head[6], head[7]];
        let mut body = at + 8;
        if size == 1 {
            let large = read_at(src, at + 8, 8)?;
            size = u64::from_be_bytes(large.try_into().map_err(|_| "box size")?);
            body += 8;
        } else if size == 0 {
            size = end - at;
        }
        let Some(next) = at.checked_add(size).filter(|_| size >= 8) else {
            break;
        };
        if &kind == b"moov" {
            orientation = cr3_orientation(src, body, next.min(end));
        }
        if &kind == b"uuid" && read_at(src, body, 16)? == PREVIEW_UUID {
            // uuid, 8 bytes, then the PRVW box: its header, 4 + 2 bytes, width, height, 2
            // bytes, the JPEG's length (24 bytes in all), and the JPEG.
            let prvw = body + 16 + 8;
            let b = read_at(src, prvw, 24)?;
            if &b[4..8] == b"PRVW" {
                let len = u64::from(u32::from_be_bytes([b[20], b[21], b[22], b[23]]));
                let offset = prvw + 24;
                jpeg_pixels(src, offset, len).ok_or("no usable preview in this RAW file")?;
                return Ok(Preview {
                    offset,
                    len,
                    orientation,
                });
            }
        }
        at = next;
    }
    Err("no usable preview in this RAW file".into())
}

fn cr3_orientation<R: Read + Seek>(src: &mut R, from: u64, to: u64) -> Option<u32> {
    const CANON_UUID: [u8; 16] = [
        0x85, 0xc0, 0xb6, 0x87, 0x82, 0x0f, 0x11, 0xe0, 0x81, 0x11, 0xf4, 0xce, 0x46, 0x2b, 0x6a, 0x48,
    ];
    let mut at = from;
    let mut boxes = 0;
    while at.checked_add(8).is_some_and(|e| e <= to) && boxes < MAX_BOXES {
        boxes += 1;
        let head = read_at(src, at, 8).ok()?;
        let size = u64::from(u32::from_be_bytes([head[0], head[1], head[2], head[3]]));
        if size < 8 {
            return None;
        }
        if &head[4..8] == b"uuid" && read_at(src, at + 8, 16).ok()? == CANON_UUID {
            // Inside: CNCV, CCTP, CTBO, …, CMT1 (a TIFF whose IFD0 holds the orientation).
            let mut inner = at + 24;
            let end = at.saturating_add(size);
            while inner.saturating_add(8) <= end && boxes < MAX_BOXES {
                boxes += 1;
                let h = read_at(src, inner, 8).ok()?;
                let s = u64::from(u32::from_be_bytes([h[0], h[1], h[2], h[3]]));
                if s < 8 {
                    return None;
                }
                if &h[4..8] == b"CMT1" {
                    let tiff = read_at(src, inner + 8, (s - 8).min(64 * 1024) as usize).ok()?;
                    return tiff_orientation(&tiff);
                }
                inner = inner.saturating_add(s);
            }
        }
        at = at.saturating_add(size);
    }
    None
}

/// The orientation tag of IFD0 in a TIFF held in memory.
fn tiff_orientation(tiff: &[u8]) -> Option<u32> {
    if tiff.len() < 8 {
        return None;
    }
    let order = Order(tiff[0] == b'M');
    let ifd = order.u32(&tiff[4..8]) as usize;
    let count = usize::from(order.u16(tiff.get(ifd..ifd + 2)?)).min(usize::from(MAX_ENTRIES));
    for i in 0..count {
        let e = tiff.get(ifd + 2 + i * 12..ifd + 14 + i * 12)?;
        if order.u16(&e[0..2]) == 0x0112 {
            let v = u32::from(order.u16(&e[8..10]));
            return (1..=8).contains(&v).then_some(v);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    fn jpeg(w: u16, h: u16) -> Vec<u8> {
        // A minimal baseline JPEG header is enough for finding: SOI, SOF0, EOI.
        let mut j = vec![0xFF, 0xD8, 0xFF, 0xC0, 0, 11, 8];
        j.extend_from_slice(&h.to_be_bytes());
        j.extend_from_slice(&w.to_be_bytes());
        j.extend_from_slice(&[1, 1, 0x11, 0, 0xFF, 0xD9]);
        j
    }

    /// A little-endian TIFF: IFD0 (orientation, a small JPEG by 0x0201/0x0202, one SubIFD)
    /// and the SubIFD (a larger JPEG as a compression-7 strip).
    fn dng(orientation: u16) -> Vec<u8> {
        let small = jpeg(160, 120);
        let large = jpeg(4000, 3000);
        let ifd0 = 8u32;
        let ifd0_len = 2 + 4 * 12 + 4;
        let sub = ifd0 + ifd0_len;
        let sub_len = 2 + 3 * 12 + 4;
        let small_at = sub + sub_len;
        let large_at = small_at + small.len() as u32;
        let mut t = b"II*\0".to_vec();
        t.extend_from_slice(&ifd0.to_le_bytes());
        let entry = |t: &mut Vec<u8>, tag: u16, kind: u16, value: u32| {
            t.extend_from_slice(&tag.to_le_bytes());
            t.extend_from_slice(&kind.to_le_bytes());
            t.extend_from_slice(&1u32.to_le_bytes());
            t.extend_from_slice(&value.to_le_bytes());
        };
        t.extend_from_slice(&4u16.to_le_bytes());
        entry(&mut t, 0x0112, 3, u32::from(orientation));
        entry(&mut t, 0x014A, 4, sub);
        entry(&mut t, 0x0201, 4, small_at);
        entry(&mut t, 0x0202, 4, small.len() as u32);
        t.extend_from_slice(&0u32.to_le_bytes());
        t.extend_from_slice(&3u16.to_le_bytes());
        entry(&mut t, 0x0103, 3, 7);
        entry(&mut t, 0x0111, 4, large_at);
        entry(&mut t, 0x0117, 4, large.len() as u32);
        t.extend_from_slice(&0u32.to_le_bytes());
        t.extend_from_slice(&small);
        t.extend_from_slice(&large);
        t
    }

    #[test]
    fn a_tiff_raw_gives_its_largest_preview_and_its_orientation() {
        let file = dng(6);
        assert_eq!(sniff(&file, Some("dng")), Some(Kind::Tiff));
        assert_eq!(sniff(&file, Some("tif")), None, "a plain TIFF is not a camera file");
        let p = find(Kind::Tiff, &mut Cursor::new(&file)).expect("preview");
        assert_eq!(p.orientation, Some(6));
        assert_eq!(&file[p.offset as usize..][..2], &[0xFF, 0xD8]);
        assert_eq!(jpeg_pixels(&mut Cursor::new(&file), p.offset, p.len), Some(12_000_000));
    }

    #[test]
    fn hostile_raws_end_with_a_reason() {
        // IFD pointing at itself, a cut file, a lossless JPEG only.
        let mut looped = b"II*\0\x08\0\0\0".to_vec();
        looped.extend_from_slice(&0u16.to_le_bytes());
        looped.extend_from_slice(&8u32.to_le_bytes());
        assert!(find(Kind::Tiff, &mut Cursor::new(&looped)).is_err());
        let cut = &dng(1)[..40];
        assert!(find(Kind::Tiff, &mut Cursor::new(cut)).is_err());
        let mut lossless = dng(1);
        let at = lossless.windows(2).rposition(|w| w == [0xFF, 0xC0]).expect("sof");
        lossless[at + 1] = 0xC3;
        let p = find(Kind::Tiff, &mut Cursor::new(&lossless)).expect("the small one");
        assert_eq!(jpeg_pixels(&mut Cursor::new(&lossless), p.offset, p.len), Some(19_200));
    }

    #[test]
    fn raf_and_cr3_previews_are_found() {
        let j = jpeg(1600, 1067);
        let mut raf = b"FUJIFILMCCD-RAW 0201FF383501".to_vec();
        raf.resize(84, 0);
        raf.extend_from_slice(&100u32.to_be_bytes());
        raf.extend_from_slice(&(j.len() as u32).to_be_bytes());
        raf.resize(100, 0);
        raf.extend_from_slice(&j);
        assert_eq!(sniff(&raf, Some("raf")), Some(Kind::Raf));
        assert_eq!(find(Kind::Raf, &mut Cursor::new(&raf)).expect("raf").offset, 100);

        let mut cr3 = Vec::new();
        cr3.extend_from_slice(&20u32.to_be_bytes());
        cr3.extend_from_slice(b"ftypcrx \0\0\0\x01crx ");
        let prvw_len = 8 + 16 + j.len();
        let uuid_len = 8 + 16 + 8 + prvw_len;
        cr3.extend_from_slice(&(uuid_len as u32).to_be_bytes());
        cr3.extend_from_slice(b"uuid");
        cr3.extend_from_slice(&[
            0xea, 0xf4, 0x2b, 0x5e, 0x1c, 0x98, 0x4b, 0x88, 0xb9, 0xfb, 0xb7, 0xdc, 0x40, 0x6e, 0x4d, 0x16,
        ]);
        cr3.extend_from_slice(&[0; 8]);
        cr3.extend_from_slice(&(prvw_len as u32).to_be_bytes());
        cr3.extend_from_slice(b"PRVW");
        cr3.extend_from_slice(&[0; 6]);
        cr3.extend_from_slice(&1600u16.to_be_bytes());
        cr3.extend_from_slice(&1067u16.to_be_bytes());
        cr3.extend_from_slice(&[0; 2]);
        cr3.extend_from_slice(&(j.len() as u32).to_be_bytes());
        cr3.extend_from_slice(&j);
        assert_eq!(sniff(&cr3, Some("cr3")), Some(Kind::Cr3));
        let p = find(Kind::Cr3, &mut Cursor::new(&cr3)).expect("cr3");
        assert_eq!(&cr3[p.offset as usize..][..2], &[0xFF, 0xD8]);
    }
}
