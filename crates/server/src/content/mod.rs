//! Content encodings: what is computed from a file's bytes while they stream in (SHA-256
//! and the Kubo-compatible UnixFS CID), the CARv1 export of a file's DAG, and the zip
//! format that folders download in.

mod car;
mod hasher;
mod unixfs;
mod zip;

pub use car::{CAR_CODEC, CarEncoder, car_cid_of, parse_cid};
pub use hasher::{ContentDigest, ContentHasher};
pub use unixfs::{CHUNK_SIZE, UnixFsBuilder};
pub use zip::{ZipEncoder, ZipEntry};
