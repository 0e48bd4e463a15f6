//! The UnixFS DAG of a file as `ipfs add --cid-version=1` builds it with Kubo's defaults:
//! 256 KiB fixed-size chunks, raw leaves, a balanced DAG of at most 174 links per node,
//! and a single-chunk file reduced to its raw leaf. The dag-pb encoding is rust-unixfs's;
//! this wrapper only feeds it and hands out the blocks it produces.

use rust_unixfs::file::adder::{BalancedCollector, Chunker, FileAdder};

pub const CHUNK_SIZE: usize = 256 * 1024;
pub const MAX_LINKS: usize = 174;

/// Feed bytes in order; every block of the DAG comes out once it is complete, leaves
/// first and the root last. Holds at most one chunk and the pending links.
pub struct UnixFsBuilder {
    adder: FileAdder,
    /// The last block emitted so far; after `finish`, the root. (A file of exactly one
    /// chunk emits its only block, the root, during `push`.)
    last: Option<cid::Cid>,
}

/// One block: its CID and its bytes.
pub type Block = (cid::Cid, Vec<u8>);

impl Default for UnixFsBuilder {
    fn default() -> Self {
        let adder = FileAdder::builder()
            .with_chunker(Chunker::Size(CHUNK_SIZE))
            .with_collector(BalancedCollector::with_branching_factor(MAX_LINKS))
            .with_raw_leaves(true)
            .build();
        UnixFsBuilder { adder, last: None }
    }
}

impl UnixFsBuilder {
    /// Consumes all of `data`, calling `emit` for each completed block.
    pub fn push(&mut self, mut data: &[u8], mut emit: impl FnMut(Block)) {
        while !data.is_empty() {
            let (blocks, consumed) = self.adder.push(data);
            for block in blocks {
                self.last = Some(block.0);
                emit(block);
            }
            data = &data[consumed..];
        }
    }

    /// Completes the DAG, emitting its remaining blocks, and returns the root CID.
    pub fn finish(mut self, mut emit: impl FnMut(Block)) -> cid::Cid {
        for block in self.adder.finish() {
            self.last = Some(block.0);
            emit(block);
        }
        self.last.expect("even an empty file has one block")
    }
}
