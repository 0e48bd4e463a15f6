//! Content addressing: what is computed from a file's bytes while they stream in.

mod hasher;

pub use hasher::{ContentDigest, ContentHasher};
