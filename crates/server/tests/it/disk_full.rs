//! A full disk is an answer, not a crash: on a data dir that runs out of space (a small
//! tmpfs the test mounts, so it needs root, as CI has), uploads get 507
//! `insufficient_storage` with no temporary left behind, appends to a resumable upload
//! keep their offset, the server stays up, and it works again once space is freed.

use crate::common::{TestServer, eventually, files_under, skip};
use std::path::{Path, PathBuf};
use std::process::Command;

const MIB: usize = 1 << 20;

/// A tmpfs of `mib` MiB, unmounted when dropped.
struct SmallDisk {
    path: PathBuf,
    _dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(mib: usize) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("disk");
        std::fs::create_dir(&path).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(&path)
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(SmallDisk { path, _dir: dir })
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

fn temporaries(root: &Path) -> Vec<PathBuf> {
    let blobs = root.join("blobs");
    files_under(&blobs).into_iter().filter(|p| p.strip_prefix(&blobs).is_ok_and(|rel| rel.starts_with("tmp"))).collect()
}

#[tokio::test]
async fn a_full_disk_is_507_and_passes_when_space_is_freed() {
    crate::needs_backend!();
    let Some(disk) = SmallDisk::mount(24) else {
        return skip("mounting a tmpfs failed (it needs root)", "run the tests as root, as CI does");
    };
    let root = disk.path.clone();
    let s = TestServer::start_with(|c| {
        c.data_dir = root.clone();
        // No watermark: this test is about the disk itself saying no.
        c.min_free_bytes = 0;
        // A small reserve for deletes, as the default 16 MiB would fill this disk.
        c.space_reserve_bytes = 2 << 20;
    })
    .await;
    let c = s.user("alice").await;

    // Fill it: 4 MiB at a time until the disk says no.
    let mut stored = Vec::new();
    let refusal = loop {
        assert!(stored.len() < 10, "24 MiB never filled up");
        let name = format!("f{}.bin", stored.len());
        let data: Vec<u8> = (0..4 * MIB).map(|i| (i % 251) as u8 ^ stored.len() as u8).collect();
        match c.put(&name, data, &Default::default()).await {
            Ok(_) => stored.push(name),
            Err(e) => break e,
        }
    };
    assert_eq!(refusal.status().unwrap(), 507, "{refusal}");
    assert_eq!(refusal.code(), Some("insufficient_storage"), "not the user's quota: the server's disk");
    assert!(eventually(5, || temporaries(&root).is_empty()).await, "{:?}", temporaries(&root));
    assert!(c.health(true).await.is_ok(), "the server is still up");
    assert_eq!(c.list_files(None, None, None).await.unwrap().items.len(), stored.len(), "nothing half-written");

    // A resumable upload's append is refused too, and keeps its offset.
    // (A declared length that does not fit is refused at creation; a deferred one
    // finds out on the way.)
    let declared = c.create_upload(Some(8 * MIB as u64), &[("filename", "declared.bin")]).await.unwrap_err();
    assert_eq!(declared.status().unwrap(), 507);
    let loc = c.create_upload(None, &[("filename", "resumable.bin")]).await.unwrap();
    let append = c.append_upload(&loc, 0, vec![9u8; 4 * MIB], None).await.unwrap_err();
    assert_eq!(append.status().unwrap(), 507, "{append}");
    assert_eq!(c.upload_offset(&loc).await.unwrap().0, 0);

    // Now fill the very last bytes (as another program on the disk would): reads and a
    // delete still work at 100 % full, so a user can always make room.
    let filler = root.join("filler");
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&filler).unwrap();
        let block = vec![0u8; 64 << 10];
        while f.write_all(&block).is_ok() {}
        let mut byte = [0u8; 1];
        while f.write_all(&byte).is_ok() {
            byte[0] ^= 1;
        }
        let _ = f.sync_all();
    }
    assert!(root.join("space-reserve").exists(), "the reserve was laid down at start");
    assert_eq!(c.get_path_bytes(&stored[0]).await.unwrap().len(), 4 * MIB, "reads work on a full disk");
    c.delete_path(&stored[0]).await.expect("a delete works on a full disk");
    c.empty_trash().await.expect("emptying the trash works on a full disk");
    std::fs::remove_file(&filler).unwrap();

    // Space freed: uploads work again, with no restart.
    for name in stored.iter().skip(1).take(1) {
        c.delete_path(name).await.unwrap();
    }
    c.empty_trash().await.unwrap();
    let again: Vec<u8> = vec![5u8; 4 * MIB];
    let mut retried = c.put("after.bin", again.clone(), &Default::default()).await;
    for _ in 0..20 {
        // The sweeper reclaims deleted content within seconds.
        if retried.is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        retried = c.put("after.bin", again.clone(), &Default::default()).await;
    }
    retried.expect("an upload succeeds once space is free");
    assert_eq!(c.get_path_bytes("after.bin").await.unwrap(), again);
    drop(s);
}

/// Bytes free on the file system at `path`, as `df` sees them.
fn free_bytes(path: &Path) -> u64 {
    let out = Command::new("df").args(["--output=avail", "-B1"]).arg(path).output().unwrap();
    String::from_utf8_lossy(&out.stdout).lines().nth(1).unwrap().trim().parse().unwrap()
}

#[tokio::test]
async fn below_the_watermark_uploads_are_refused_early_and_deletes_still_work() {
    crate::needs_backend!();
    let Some(disk) = SmallDisk::mount(32) else {
        return skip("mounting a tmpfs failed (it needs root)", "run the tests as root, as CI does");
    };
    let root = disk.path.clone();
    let s = TestServer::start_with(|c| {
        c.data_dir = root.clone();
        c.min_free_bytes = 8 * MIB as u64;
        c.min_free_percent = 100;
    })
    .await;
    let c = s.user("alice").await;
    let mut stored = Vec::new();
    let refusal = loop {
        assert!(stored.len() < 10, "the watermark never applied");
        let name = format!("f{}.bin", stored.len());
        match c.put(&name, vec![stored.len() as u8; 4 * MIB], &Default::default()).await {
            Ok(_) => stored.push(name),
            Err(e) => break e,
        }
    };
    assert_eq!(refusal.code(), Some("insufficient_storage"), "{refusal}");
    assert!(free_bytes(&root) >= 8 * MIB as u64, "refused before the disk filled: {} free", free_bytes(&root));

    // Something else fills the disk below the watermark: readiness says so, and
    // deletes and metadata changes still work.
    let filler = root.join("filler");
    let fill = free_bytes(&root).saturating_sub(3 * MIB as u64);
    std::fs::write(&filler, vec![0u8; fill as usize]).unwrap();
    let ready = c.health(true).await.unwrap();
    assert!(ready.checks["space"].starts_with("low:"), "{:?}", ready.checks);
    let loc = c.create_upload(Some(MIB as u64), &[("filename", "later.bin")]).await.unwrap_err();
    assert_eq!(loc.status().unwrap(), 507);
    let part = nimbus_client::UploadPart::bytes("multi.bin", vec![0u8; 1024]);
    let multipart = c.upload(None, nimbus_api::OnConflict::Fail, vec![part]).await.unwrap_err();
    assert_eq!(multipart.code(), Some("insufficient_storage"), "multipart uploads too");
    c.delete_path(&stored[0]).await.unwrap();
    c.update_me(&nimbus_api::UpdateMeRequest { first_name: Some("Alice".into()), ..Default::default() }).await.unwrap();
    std::fs::remove_file(&filler).unwrap();
    assert!(c.health(true).await.unwrap().checks["space"].starts_with("ok:"));
    c.put("again.bin", vec![1u8; MIB], &Default::default()).await.expect("room again");
    drop(s);
}
