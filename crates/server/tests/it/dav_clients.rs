//! Real WebDAV clients and suites that nobody here wrote, against a real server: the
//! litmus compliance suite (basic, copymove, props, locks, http: every summary must say
//! 0 failed, since `litmus` exits 0 on failures) and rclone's webdav backend with the
//! `other` and `nextcloud` vendors (copy a nested tree of 200 files, check it byte for
//! byte, modify and sync, move, delete, and the modification times kept).

use crate::common::{TestServer, skip};
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

fn installed(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok_and(|o| o.status.success())
}

async fn run(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().expect("spawn")).await.unwrap()
}

/// `<- summary for `basic': of 16 tests run: 16 passed, 0 failed. 100.0%` → (suite, failed).
fn summaries(out: &str) -> Vec<(String, u32)> {
    out.lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("<- summary for `")?;
            let (suite, rest) = rest.split_once('\'')?;
            let failed = rest.split(", ").nth(1)?.split(' ').next()?.parse().ok()?;
            Some((suite.to_string(), failed))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn litmus_passes_every_suite() {
    if !installed("litmus") {
        return skip("litmus is not installed", "apt-get install litmus");
    }
    crate::needs_backend!();
    let s = TestServer::start().await;
    let c = s.user("litmus").await;
    let password = c.create_app_password("litmus").await.unwrap().password.unwrap();
    // litmus leaves debug.log and child.log where it runs.
    let work = tempfile::tempdir().unwrap();
    let mut cmd = Command::new("litmus");
    cmd.current_dir(work.path()).env("TESTS", "basic copymove props locks http").args([
        &format!("{}/dav/", s.base),
        "litmus",
        &password,
    ]);
    let out = run(cmd).await;
    let text = String::from_utf8_lossy(&out.stdout);
    let found = summaries(&text);
    let suites: Vec<&str> = found.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(suites, ["basic", "copymove", "props", "locks", "http"], "{text}");
    assert!(found.iter().all(|(_, failed)| *failed == 0), "{text}");
}

/// rclone with a remote named `nimbus` configured through the environment.
fn rclone(url: &str, vendor: &str, user: &str, obscured: &str) -> Command {
    let mut cmd = Command::new("rclone");
    // rclone here refuses to start with the CA bundle variable this machine sets.
    cmd.env_remove("AWS_CA_BUNDLE")
        .env("RCLONE_CONFIG_NIMBUS_TYPE", "webdav")
        .env("RCLONE_CONFIG_NIMBUS_URL", url)
        .env("RCLONE_CONFIG_NIMBUS_VENDOR", vendor)
        .env("RCLONE_CONFIG_NIMBUS_USER", user)
        .env("RCLONE_CONFIG_NIMBUS_PASS", obscured)
        .env("RCLONE_CONFIG", "/dev/null");
    cmd
}

async fn rclone_ok(base: &Command, args: &[&str]) -> String {
    let mut cmd = Command::new(base.get_program());
    for (k, v) in base.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    cmd.args(args);
    let out = run(cmd).await;
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "rclone {args:?} failed:\n{text}");
    text
}

/// 200 files in nested folders, of assorted sizes (some empty), with old mtimes.
fn make_tree(root: &Path) {
    for i in 0..200usize {
        let dir = root.join(format!("d{}", i % 7)).join(format!("sub{}", i % 3));
        std::fs::create_dir_all(&dir).unwrap();
        let len = match i % 10 {
            0 => 0,
            1 => 200_000,
            _ => 100 + i * 37,
        };
        let data: Vec<u8> = (0..len).map(|j| (j * 31 + i) as u8).collect();
        let path = dir.join(format!("file {i}.bin"));
        std::fs::write(&path, data).unwrap();
        let when = SystemTime::UNIX_EPOCH + Duration::from_secs(1_600_000_000 + i as u64 * 3600);
        std::fs::File::options().write(true).open(&path).unwrap().set_modified(when).unwrap();
    }
}

async fn round_trip_with_rclone(vendor: &str) {
    if !installed("rclone") {
        return skip("rclone is not installed", "apt-get install rclone");
    }
    crate::needs_backend!();
    let s = TestServer::start().await;
    let c = s.user("alice").await;
    let password = c.create_app_password(&format!("rclone {vendor}")).await.unwrap().password.unwrap();
    let url = match vendor {
        "nextcloud" => format!("{}/remote.php/dav/files/alice/", s.base),
        _ => format!("{}/dav/", s.base),
    };
    let mut obscure = Command::new("rclone");
    obscure.env_remove("AWS_CA_BUNDLE").args(["obscure", &password]);
    let obscured = String::from_utf8(run(obscure).await.stdout).unwrap().trim().to_string();
    let base = rclone(&url, vendor, "alice", &obscured);
    let work = tempfile::tempdir().unwrap();
    let local = work.path().join("tree");
    make_tree(&local);
    let local_s = local.display().to_string();

    rclone_ok(&base, &["copy", &local_s, "nimbus:tree"]).await;
    // No hash in common (rclone knows SHA-1/MD5 for WebDAV), so compare the bytes.
    rclone_ok(&base, &["check", "--download", &local_s, "nimbus:tree"]).await;
    assert_eq!(c.list_files(Some("tree/"), Some(1000), None).await.unwrap().items.len(), 200);

    // Change some, add one, remove one; sync mirrors it.
    std::fs::write(local.join("d1/sub1/file 1.bin"), b"changed").unwrap();
    std::fs::write(local.join("d0/new.txt"), b"new").unwrap();
    std::fs::remove_file(local.join("d2/sub2/file 2.bin")).unwrap();
    rclone_ok(&base, &["sync", &local_s, "nimbus:tree"]).await;
    rclone_ok(&base, &["check", "--download", &local_s, "nimbus:tree"]).await;
    assert_eq!(c.get_path_bytes("tree/d1/sub1/file 1.bin").await.unwrap(), "changed");
    assert_eq!(c.get_path("tree/d2/sub2/file 2.bin").await.unwrap_err().status().unwrap(), 404);

    // Move on the server, then delete.
    rclone_ok(&base, &["moveto", "nimbus:tree/d0/new.txt", "nimbus:moved/new.txt"]).await;
    assert_eq!(c.get_path_bytes("moved/new.txt").await.unwrap(), "new");
    assert_eq!(c.get_path("tree/d0/new.txt").await.unwrap_err().status().unwrap(), 404);
    rclone_ok(&base, &["delete", "nimbus:moved"]).await;
    assert_eq!(c.get_path("moved/new.txt").await.unwrap_err().status().unwrap(), 404);

    if vendor == "nextcloud" {
        // rclone sends X-OC-Mtime to Nextcloud-style servers: the times survive.
        let listed = rclone_ok(&base, &["lsjson", "-R", "--files-only", "nimbus:tree/d3"]).await;
        let items: Vec<serde_json::Value> = serde_json::from_str(&listed).unwrap();
        assert!(!items.is_empty());
        for item in items {
            let path = local.join("d3").join(item["Path"].as_str().unwrap());
            let local_secs = std::fs::metadata(&path)
                .unwrap()
                .modified()
                .unwrap()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .as_secs();
            let remote = item["ModTime"].as_str().unwrap();
            let remote_secs = time_secs(remote);
            assert_eq!(remote_secs, local_secs as i64, "{path:?}: {remote}");
        }
    }
}

fn time_secs(rfc3339: &str) -> i64 {
    let t = time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339).unwrap();
    t.unix_timestamp()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rclone_webdav_vendor_other_round_trips_a_tree() {
    round_trip_with_rclone("other").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rclone_webdav_vendor_nextcloud_round_trips_a_tree_with_mtimes() {
    round_trip_with_rclone("nextcloud").await;
}

#[test]
fn litmus_summaries_are_parsed() {
    let out = "<- summary for `basic': of 16 tests run: 16 passed, 0 failed. 100.0%\n\
               <- summary for `locks': of 41 tests run: 37 passed, 4 failed. 90.2%\n";
    assert_eq!(summaries(out), [("basic".to_string(), 0), ("locks".to_string(), 4)]);
}
