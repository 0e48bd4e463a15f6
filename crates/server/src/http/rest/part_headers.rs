//! A bound on a multipart part's headers: multer buffers a part's header section until
//! its blank line, however long, so a client could make the server hold a megabyte of
//! "headers" per part. This watches the body on its way to multer and fails it once the
//! bytes between a boundary and the blank line that ends its headers pass the limit.

use memchr::memmem::Finder;

/// The most bytes of headers one part may have.
pub const MAX_PART_HEADER_BYTES: usize = 16 << 10;

const BLANK_LINE: &[u8] = b"\r\n\r\n";

pub struct PartHeaderGuard {
    delimiter: Finder<'static>,
    blank: Finder<'static>,
    in_headers: bool,
    header_bytes: usize,
    /// The last bytes of the previous chunk, for a pattern split across chunks.
    tail: Vec<u8>,
}

impl PartHeaderGuard {
    pub fn new(boundary: &str) -> Self {
        let delimiter = format!("--{boundary}").into_bytes();
        PartHeaderGuard {
            delimiter: Finder::new(&delimiter).into_owned(),
            blank: Finder::new(BLANK_LINE).into_owned(),
            in_headers: false,
            header_bytes: 0,
            tail: Vec::new(),
        }
    }

    /// Watches the next chunk; `Err` once a part's headers are too large.
    pub fn feed(&mut self, mut chunk: &[u8]) -> Result<(), ()> {
        loop {
            let finder = if self.in_headers { &self.blank } else { &self.delimiter };
            let needle = finder.needle().len();
            // A match that starts in the previous chunk's tail and ends in this one.
            let mut joined = self.tail.clone();
            joined.extend_from_slice(&chunk[..chunk.len().min(needle - 1)]);
            let found = match finder.find(&joined) {
                Some(at) => Some(at + needle - self.tail.len()),
                None => finder.find(chunk).map(|at| at + needle),
            };
            match found {
                Some(end) => {
                    if self.in_headers {
                        self.header_bytes += end;
                        if self.header_bytes > MAX_PART_HEADER_BYTES {
                            return Err(());
                        }
                    }
                    self.in_headers = !self.in_headers;
                    self.header_bytes = 0;
                    self.tail.clear();
                    chunk = &chunk[end..];
                }
                None => {
                    if self.in_headers {
                        self.header_bytes += chunk.len();
                        if self.header_bytes > MAX_PART_HEADER_BYTES {
                            return Err(());
                        }
                    }
                    joined = std::mem::take(&mut self.tail);
                    joined.extend_from_slice(chunk);
                    let keep = joined.len().min(needle - 1);
                    self.tail = joined[joined.len() - keep..].to_vec();
                    return Ok(());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(header_len: usize) -> Vec<u8> {
        let mut b = b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n".to_vec();
        b.extend(std::iter::repeat_n(b'a', header_len));
        b.extend_from_slice(b"\r\n\r\nhello --Xy not a boundary\r\n--XyZ--\r\n");
        b
    }

    fn feed_in(chunk_size: usize, data: &[u8]) -> Result<(), ()> {
        let mut g = PartHeaderGuard::new("XyZ");
        data.chunks(chunk_size).try_for_each(|c| g.feed(c))
    }

    #[test]
    fn ordinary_parts_pass_in_any_chunking() {
        let b = body(100);
        for size in [1, 2, 3, 5, 7, 64, b.len()] {
            assert_eq!(feed_in(size, &b), Ok(()), "chunks of {size}");
        }
    }

    #[test]
    fn oversized_part_headers_fail_in_any_chunking() {
        let b = body(MAX_PART_HEADER_BYTES + 10);
        for size in [1, 3, 4096, b.len()] {
            assert_eq!(feed_in(size, &b), Err(()), "chunks of {size}");
        }
        // File bytes are not headers: a large part body is fine.
        let mut big = b"--XyZ\r\nContent-Type: x\r\n\r\n".to_vec();
        big.extend(std::iter::repeat_n(b'z', 1 << 20));
        big.extend_from_slice(b"\r\n--XyZ--\r\n");
        assert_eq!(feed_in(8192, &big), Ok(()));
    }
}
