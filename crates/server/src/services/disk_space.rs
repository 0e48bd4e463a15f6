//! The low-space watermark: new uploads to a local disk are refused (507
//! `insufficient_storage`) while free space is below it, so what remains keeps deletes,
//! metadata changes and SQLite's journal working on a nearly full disk.

use super::{Files, Settings};
use crate::blob::{BlobStore, Space};
use crate::error::{Error, Result};

/// The free space to keep: `min_free_bytes` or `min_free_percent` of the disk,
/// whichever is smaller (a small disk is not refused outright).
pub fn watermark(settings: &Settings, total: u64) -> u64 {
    let share = total / 100 * u64::from(settings.min_free_percent.min(100));
    settings.min_free_bytes.min(share)
}

/// Whether `space` is below the watermark.
pub fn is_low(settings: &Settings, space: Space) -> bool {
    space.free < watermark(settings, space.total)
}

impl Files {
    /// `InsufficientStorage` if writing `incoming` more bytes to `store` would leave less
    /// free than the watermark. Stores that cannot tell (S3) always pass.
    pub(super) async fn ensure_disk_room(&self, store: &dyn BlobStore, incoming: u64) -> Result<()> {
        let Some(space) = store.space().await? else { return Ok(()) };
        if space.free < watermark(&self.settings, space.total).saturating_add(incoming) {
            tracing::warn!(free = space.free, "refusing an upload: the disk is below its low-space watermark");
            return Err(Error::InsufficientStorage);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(bytes: u64, percent: u8) -> Settings {
        let c = crate::config::Config { min_free_bytes: bytes, min_free_percent: percent, ..Default::default() };
        Settings::from_config(&c)
    }

    #[test]
    fn the_smaller_of_the_two_limits_applies() {
        let s = settings(1 << 30, 5);
        assert_eq!(watermark(&s, 1000 << 30), 1 << 30, "a big disk keeps 1 GiB");
        assert_eq!(watermark(&s, 100 << 20), 5 << 20, "a small disk keeps 5 %");
        assert!(is_low(&s, Space { free: 4 << 20, total: 100 << 20 }));
        assert!(!is_low(&settings(0, 0), Space { free: 0, total: 100 }));
    }
}
