//! CARv1 export: a header naming the single root, then every block of the file's DAG
//! once, each as `varint(len) ‖ CID bytes ‖ block bytes`. The header is the DAG-CBOR map
//! `{"roots": [root], "version": 1}`, encoded by hand (it has one fixed shape).

use super::unixfs::{Block, UnixFsBuilder};
use multihash_codetable::{Code, MultihashDigest};
use std::collections::HashSet;

/// The multicodec of a CAR file (`car_cid` is a CID with this codec).
pub const CAR_CODEC: u64 = 0x0202;

fn varint(mut n: u64, out: &mut Vec<u8>) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// The CAR header for `root`.
fn header(root: &cid::Cid) -> Vec<u8> {
    let cid_bytes = root.to_bytes();
    let mut cbor = vec![0xa2, 0x65];
    cbor.extend_from_slice(b"roots");
    cbor.push(0x81); // array of one
    cbor.extend_from_slice(&[0xd8, 0x2a]); // tag 42: a CID
    let link_len = cid_bytes.len() + 1; // with the multibase identity prefix 0x00
    if link_len < 24 {
        cbor.push(0x40 | link_len as u8);
    } else {
        cbor.extend_from_slice(&[0x58, link_len as u8]);
    }
    cbor.push(0x00);
    cbor.extend_from_slice(&cid_bytes);
    cbor.push(0x67);
    cbor.extend_from_slice(b"version");
    cbor.push(0x01);
    let mut out = Vec::with_capacity(cbor.len() + 2);
    varint(cbor.len() as u64, &mut out);
    out.extend_from_slice(&cbor);
    out
}

/// Turns file bytes into CAR bytes as they stream: `push` returns the CAR bytes that
/// became ready. The header goes first, so the root must be known up front (the file's
/// `cid`); the blocks follow as the DAG is rebuilt, each distinct block once.
pub struct CarEncoder {
    dag: UnixFsBuilder,
    seen: HashSet<cid::Cid>,
    header: Option<Vec<u8>>,
}

impl CarEncoder {
    pub fn new(root: &cid::Cid) -> Self {
        CarEncoder { dag: UnixFsBuilder::default(), seen: HashSet::new(), header: Some(header(root)) }
    }

    fn write_block(seen: &mut HashSet<cid::Cid>, out: &mut Vec<u8>, (cid, data): Block) {
        // Repeated content (e.g. runs of zeros) yields the same block many times.
        if seen.insert(cid) {
            let cid_bytes = cid.to_bytes();
            varint((cid_bytes.len() + data.len()) as u64, out);
            out.extend_from_slice(&cid_bytes);
            out.extend_from_slice(&data);
        }
    }

    pub fn push(&mut self, data: &[u8]) -> Vec<u8> {
        let mut out = self.header.take().unwrap_or_default();
        let seen = &mut self.seen;
        self.dag.push(data, |b| Self::write_block(seen, &mut out, b));
        out
    }

    pub fn finish(mut self) -> Vec<u8> {
        let mut out = self.header.take().unwrap_or_default();
        let seen = &mut self.seen;
        self.dag.finish(|b| Self::write_block(seen, &mut out, b));
        out
    }
}

/// `car_cid`: CIDv1 with the `car` codec over the SHA-256 of the exact CAR bytes.
pub fn car_cid_of(sha256: &[u8; 32]) -> String {
    let mh = Code::Sha2_256.wrap(sha256).expect("a 32-byte digest fits");
    cid::Cid::new_v1(CAR_CODEC, mh).to_string()
}

/// Parses a CID in any base or version and returns its CIDv1 base32 form, the form
/// files are indexed by. `None` if it is not a CID.
pub fn parse_cid(s: &str) -> Option<String> {
    let c = cid::Cid::try_from(s).ok()?;
    let v1 = if c.version() == cid::Version::V0 { cid::Cid::new_v1(0x70, *c.hash()) } else { c };
    Some(v1.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_matches_go_car_bytes() {
        let root: cid::Cid = "bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am".parse().unwrap();
        let h = header(&root);
        // varint(0x3a) a2 65 "roots" 81 d8 2a 58 25 00 <36-byte CID> 67 "version" 01
        assert_eq!(h[0] as usize, h.len() - 1);
        assert_eq!(&h[1..8], &[0xa2, 0x65, b'r', b'o', b'o', b't', b's']);
        assert_eq!(&h[8..13], &[0x81, 0xd8, 0x2a, 0x58, 0x25]);
        assert!(h.ends_with(b"\x67version\x01"));
    }

    #[test]
    fn repeated_blocks_are_written_once() {
        let data = vec![0u8; 4 * 262_144];
        let mut hasher = super::super::ContentHasher::default();
        hasher.update(&data);
        let root: cid::Cid = hasher.finish().cid.parse().unwrap();
        let mut enc = CarEncoder::new(&root);
        let mut car = enc.push(&data);
        car.extend(enc.finish());
        // header + one leaf + one root node, not four leaves.
        assert!(car.len() < 262_144 + 1_000, "{}", car.len());
    }

    #[test]
    fn cids_normalise_to_v1_base32() {
        assert_eq!(
            parse_cid("QmbWqxBEKC3P8tqsKc98xmWNzrzDtRLMiMPL8wBuTGsMnR").unwrap(),
            "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"
        );
        assert!(parse_cid("not-a-cid").is_none());
    }
}
