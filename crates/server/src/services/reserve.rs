//! A reserve of disk space for deletes: a file of `reserve_bytes` zeros in the data dir.
//! On a disk that is completely full, SQLite may need a few pages more to record even a
//! delete; when a delete (or another change that frees space) is refused for lack of
//! space, the reserve is given up and the change tried once more. The reserve is laid
//! down again once the disk has room (the sweeper has reclaimed what was deleted).

use std::path::PathBuf;
use tokio::io::AsyncWriteExt;

pub struct DiskReserve {
    path: PathBuf,
    bytes: u64,
}

impl DiskReserve {
    pub fn new(dir: PathBuf, bytes: u64) -> Self {
        DiskReserve { path: dir.join("space-reserve"), bytes }
    }

    /// Writes the reserve if it is missing and the disk has room for it and as much again;
    /// true if it is in place afterwards.
    pub async fn lay_down(&self) -> bool {
        if self.bytes == 0 {
            return false;
        }
        if tokio::fs::metadata(&self.path).await.is_ok_and(|m| m.len() == self.bytes) {
            return true;
        }
        let free = rustix::fs::statvfs(self.path.parent().unwrap_or(&self.path))
            .map(|s| s.f_bavail.saturating_mul(s.f_frsize))
            .unwrap_or(0);
        if free < self.bytes.saturating_mul(2) {
            return false;
        }
        let written = async {
            let mut f = tokio::fs::File::create(&self.path).await?;
            let block = vec![0u8; 1 << 20];
            let mut left = self.bytes;
            while left > 0 {
                let n = left.min(block.len() as u64) as usize;
                f.write_all(&block[..n]).await?;
                left -= n as u64;
            }
            f.sync_all().await
        }
        .await;
        if written.is_err() {
            let _ = tokio::fs::remove_file(&self.path).await;
            return false;
        }
        true
    }

    /// Gives the reserve up; true if there was one to give.
    pub async fn release(&self) -> bool {
        let released = tokio::fs::remove_file(&self.path).await.is_ok();
        if released {
            tracing::warn!("the disk is full: released the space reserve so a delete can proceed");
            metrics::counter!("nimbus_space_reserve_released_total").increment(1);
        }
        released
    }
}
