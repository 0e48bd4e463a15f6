//! A streaming zip writer (stored, not compressed: what people keep is mostly compressed
//! already, and storing keeps a download at disk speed). Each entry's header goes out
//! before its bytes, its CRC-32 after them in a data descriptor, and the central
//! directory at the end, so nothing is buffered but the directory. Sizes are known in
//! advance, so the whole archive's length is too (`Content-Length`, a browser's progress
//! bar). Zip64 records are written only where a size, an offset or the entry count
//! needs them.

/// One entry as the writer needs to know it before its bytes.
#[derive(Debug, Clone)]
pub struct ZipEntry {
    /// The name inside the archive: `/`-separated, a folder's ending in `/`.
    pub name: String,
    pub size: u64,
    /// Modification time, Unix seconds.
    pub mtime: i64,
}

impl ZipEntry {
    fn is_dir(&self) -> bool {
        self.name.ends_with('/')
    }
}

const U32_MAX: u64 = 0xFFFF_FFFF;
const FLAG_DESCRIPTOR: u16 = 0x0008;
const FLAG_UTF8: u16 = 0x0800;

pub struct ZipEncoder {
    offset: u64,
    central: Vec<u8>,
    count: u64,
    open: Option<(ZipEntry, u64)>,
}

impl Default for ZipEncoder {
    fn default() -> Self {
        Self::new()
    }
}

impl ZipEncoder {
    pub fn new() -> Self {
        ZipEncoder { offset: 0, central: Vec::new(), count: 0, open: None }
    }

    /// The exact length of the archive of these entries.
    pub fn archive_len(entries: &[ZipEntry]) -> u64 {
        let mut z = ZipEncoder::new();
        let mut len = 0u64;
        for e in entries {
            len += z.begin(e.clone()).len() as u64 + e.size;
            len += z.end(0).len() as u64;
        }
        len + z.finish().len() as u64
    }

    /// The local header; exactly `entry.size` bytes of content must follow, then `end`.
    pub fn begin(&mut self, entry: ZipEntry) -> Vec<u8> {
        assert!(self.open.is_none(), "an entry is still open");
        let zip64 = entry.size >= U32_MAX;
        let (date, time) = dos_time(entry.mtime);
        let mut h = Vec::with_capacity(30 + entry.name.len() + 29);
        put32(&mut h, 0x0403_4b50);
        put16(&mut h, if zip64 { 45 } else { 20 });
        put16(&mut h, FLAG_DESCRIPTOR | FLAG_UTF8);
        put16(&mut h, 0); // stored
        put16(&mut h, time);
        put16(&mut h, date);
        put32(&mut h, 0); // CRC-32: in the descriptor
        // Sizes are known, so they are given here too (streaming readers use them).
        let small = if zip64 { U32_MAX as u32 } else { entry.size as u32 };
        put32(&mut h, small);
        put32(&mut h, small);
        let mut extra = Vec::new();
        if zip64 {
            put16(&mut extra, 0x0001);
            put16(&mut extra, 16);
            put64(&mut extra, entry.size);
            put64(&mut extra, entry.size);
        }
        timestamp_extra(&mut extra, entry.mtime);
        put16(&mut h, entry.name.len() as u16);
        put16(&mut h, extra.len() as u16);
        h.extend_from_slice(entry.name.as_bytes());
        h.extend_from_slice(&extra);
        let at = self.offset;
        self.offset += h.len() as u64 + entry.size;
        self.open = Some((entry, at));
        h
    }

    /// The data descriptor after the entry's bytes, given their CRC-32.
    pub fn end(&mut self, crc: u32) -> Vec<u8> {
        let (entry, at) = self.open.take().expect("no entry is open");
        let zip64 = entry.size >= U32_MAX;
        let mut d = Vec::with_capacity(24);
        put32(&mut d, 0x0807_4b50);
        put32(&mut d, crc);
        if zip64 {
            put64(&mut d, entry.size);
            put64(&mut d, entry.size);
        } else {
            put32(&mut d, entry.size as u32);
            put32(&mut d, entry.size as u32);
        }
        self.offset += d.len() as u64;
        self.central_record(&entry, at, crc);
        self.count += 1;
        d
    }

    fn central_record(&mut self, entry: &ZipEntry, at: u64, crc: u32) {
        let big_size = entry.size >= U32_MAX;
        let big_offset = at >= U32_MAX;
        let (date, time) = dos_time(entry.mtime);
        let mut extra = Vec::new();
        if big_size || big_offset {
            put16(&mut extra, 0x0001);
            put16(&mut extra, (if big_size { 16 } else { 0 }) + (if big_offset { 8 } else { 0 }));
            if big_size {
                put64(&mut extra, entry.size);
                put64(&mut extra, entry.size);
            }
            if big_offset {
                put64(&mut extra, at);
            }
        }
        timestamp_extra(&mut extra, entry.mtime);
        let c = &mut self.central;
        put32(c, 0x0201_4b50);
        put16(c, (3 << 8) | 45); // made by: Unix, zip 4.5
        put16(c, if big_size || big_offset { 45 } else { 20 });
        put16(c, FLAG_DESCRIPTOR | FLAG_UTF8);
        put16(c, 0);
        put16(c, time);
        put16(c, date);
        put32(c, crc);
        let small = if big_size { U32_MAX as u32 } else { entry.size as u32 };
        put32(c, small);
        put32(c, small);
        put16(c, entry.name.len() as u16);
        put16(c, extra.len() as u16);
        put16(c, 0); // comment
        put16(c, 0); // disk
        put16(c, 0); // internal attributes
        // Unix mode in the high half; the MS-DOS directory bit for folders.
        put32(c, if entry.is_dir() { (0o040755 << 16) | 0x10 } else { 0o100644 << 16 });
        put32(c, if big_offset { U32_MAX as u32 } else { at as u32 });
        c.extend_from_slice(entry.name.as_bytes());
        c.extend_from_slice(&extra);
    }

    /// The central directory and the end records.
    pub fn finish(self) -> Vec<u8> {
        let cd_offset = self.offset;
        let cd_size = self.central.len() as u64;
        let mut out = self.central;
        let zip64 = self.count >= 0xFFFF || cd_size >= U32_MAX || cd_offset >= U32_MAX;
        if zip64 {
            let record_at = cd_offset + cd_size;
            put32(&mut out, 0x0606_4b50);
            put64(&mut out, 44);
            put16(&mut out, (3 << 8) | 45);
            put16(&mut out, 45);
            put32(&mut out, 0);
            put32(&mut out, 0);
            put64(&mut out, self.count);
            put64(&mut out, self.count);
            put64(&mut out, cd_size);
            put64(&mut out, cd_offset);
            put32(&mut out, 0x0706_4b50);
            put32(&mut out, 0);
            put64(&mut out, record_at);
            put32(&mut out, 1);
        }
        put32(&mut out, 0x0605_4b50);
        put16(&mut out, 0);
        put16(&mut out, 0);
        let count = if zip64 { 0xFFFF } else { self.count as u16 };
        put16(&mut out, count);
        put16(&mut out, count);
        put32(&mut out, if zip64 { U32_MAX as u32 } else { cd_size as u32 });
        put32(&mut out, if zip64 { U32_MAX as u32 } else { cd_offset as u32 });
        put16(&mut out, 0);
        out
    }
}

/// The "extended timestamp" extra field: the exact modification time for Unix tools.
fn timestamp_extra(extra: &mut Vec<u8>, mtime: i64) {
    put16(extra, 0x5455);
    put16(extra, 5);
    extra.push(1);
    put32(extra, mtime.clamp(0, i64::from(u32::MAX)) as u32);
}

/// MS-DOS date and time (UTC; 2-second steps; 1980–2107).
fn dos_time(unix: i64) -> (u16, u16) {
    let t = time::OffsetDateTime::from_unix_timestamp(unix.clamp(315_532_800, 4_354_819_199))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let date = ((t.year() - 1980) as u16) << 9 | (u16::from(u8::from(t.month()))) << 5 | u16::from(t.day());
    let time = u16::from(t.hour()) << 11 | u16::from(t.minute()) << 5 | u16::from(t.second() / 2);
    (date, time)
}

fn put16(v: &mut Vec<u8>, x: u16) {
    v.extend_from_slice(&x.to_le_bytes());
}
fn put32(v: &mut Vec<u8>, x: u32) {
    v.extend_from_slice(&x.to_le_bytes());
}
fn put64(v: &mut Vec<u8>, x: u64) {
    v.extend_from_slice(&x.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn archive(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut z = ZipEncoder::new();
        let mut out = Vec::new();
        for (name, data) in files {
            out.extend(z.begin(ZipEntry { name: name.to_string(), size: data.len() as u64, mtime: 1_700_000_000 }));
            out.extend_from_slice(data);
            out.extend(z.end(crc32fast::hash(data)));
        }
        out.extend(z.finish());
        out
    }

    #[test]
    fn the_predicted_length_is_the_length() {
        let files: &[(&str, &[u8])] = &[("a.txt", b"hello"), ("dir/", b""), ("dir/ü.bin", &[7u8; 1000])];
        let entries: Vec<ZipEntry> = files
            .iter()
            .map(|(n, d)| ZipEntry { name: n.to_string(), size: d.len() as u64, mtime: 1_700_000_000 })
            .collect();
        assert_eq!(ZipEncoder::archive_len(&entries), archive(files).len() as u64);
    }

    #[test]
    fn the_end_record_points_at_the_directory() {
        let z = archive(&[("a", b"abc"), ("b", b"")]);
        let end = &z[z.len() - 22..];
        assert_eq!(&end[..4], &0x0605_4b50u32.to_le_bytes());
        assert_eq!(u16::from_le_bytes([end[10], end[11]]), 2, "two entries");
        let cd_offset = u32::from_le_bytes(end[16..20].try_into().unwrap()) as usize;
        assert_eq!(&z[cd_offset..cd_offset + 4], &0x0201_4b50u32.to_le_bytes());
    }

    #[test]
    fn dos_times_are_encoded_as_readers_expect() {
        // 2023-11-14 22:13:20 UTC
        let (date, time) = dos_time(1_700_000_000);
        assert_eq!((date >> 9) + 1980, 2023);
        assert_eq!((date >> 5) & 0xF, 11);
        assert_eq!(date & 0x1F, 14);
        assert_eq!((time >> 11, (time >> 5) & 0x3F, (time & 0x1F) * 2), (22, 13, 20));
    }
}
