//! Bursts of concurrent small uploads, which SQLite commits in groups (one transaction
//! and one WAL fsync for all that queued together, each upload in its own savepoint):
//! each acknowledged upload is there exactly once, a refused one leaves nothing and
//! takes nothing from the others, and a crash mid-burst loses only unacknowledged ones.

use crate::common::{Backend, PASSWORD, PgTestDb, TestServer, eventually};
use crate::process::ServerProcess;
use nimbus_client::{Client, PutOptions};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

const SIZE: usize = 4096;

/// The bytes of upload `i`: 4 KiB, different for every `i` below 251 (nothing dedups).
fn small(i: usize) -> Vec<u8> {
    (0..SIZE).map(|j| ((i * 131 + j * 7 + j / 251) % 251) as u8).collect()
}

/// Every file under `burst/` by name, read back whole.
async fn stored(c: &Client) -> Vec<(String, Vec<u8>)> {
    let page = c.list_files(Some("burst/"), Some(1000), None).await.unwrap();
    let mut out = Vec::new();
    for f in page.items {
        let bytes = c.get_path_bytes(&f.path).await.unwrap().to_vec();
        out.push((f.path, bytes));
    }
    out
}

fn index_of(path: &str) -> usize {
    path.trim_start_matches("burst/f").trim_end_matches(".bin").parse().unwrap()
}

/// 200 uploads at once against a quota that holds 150 of them: exactly 150 are taken,
/// each stored once and byte-exact, the 50 others are refused with 507 and leave
/// nothing; the quota charge is exactly what is stored. Then 20 uploads racing for one
/// path with `If-None-Match: *`: one wins, the others get 412, and the file is the
/// winner's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_commits_each_upload_once_and_refuses_only_what_does_not_fit() {
    crate::needs_backend!();
    let s = TestServer::start_with(|c| c.default_quota_bytes = 150 * SIZE as u64).await;
    let c = s.user("burst").await;
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let c = c.clone();
            tokio::spawn(
                async move { (i, c.put(&format!("burst/f{i:03}.bin"), small(i), &PutOptions::default()).await) },
            )
        })
        .collect();
    let (mut taken, mut refused) = (BTreeSet::new(), 0);
    for t in tasks {
        let (i, r) = t.await.unwrap();
        match r {
            Ok((f, created)) => {
                assert!(created);
                assert_eq!(f.size, SIZE as u64);
                taken.insert(i);
            }
            Err(e) => {
                assert_eq!((e.status().map(|s| s.as_u16()), e.code()), (Some(507), Some("quota_exceeded")), "{e}");
                refused += 1;
            }
        }
    }
    assert_eq!((taken.len(), refused), (150, 50), "the quota holds exactly 150");
    let files = stored(&c).await;
    let names: BTreeSet<usize> = files.iter().map(|(p, _)| index_of(p)).collect();
    assert_eq!(files.len(), 150, "each upload is stored once");
    assert_eq!(names, taken, "exactly the acknowledged uploads are stored");
    for (path, bytes) in &files {
        assert!(bytes == &small(index_of(path)), "{path} reads back byte-exact");
    }
    let usage = c.usage().await.unwrap();
    assert_eq!((usage.used_bytes, usage.file_count), (150 * SIZE as u64, 150), "charged for what is stored");

    // Make room, then race for one path.
    for i in taken.iter().take(30) {
        c.delete_path(&format!("burst/f{i:03}.bin")).await.unwrap();
    }
    c.empty_trash().await.unwrap();
    let opts = PutOptions { if_none_match_any: true, ..Default::default() };
    let racers: Vec<_> = (0..20)
        .map(|i| {
            let (c, opts) = (c.clone(), opts.clone());
            tokio::spawn(async move { (i, c.put("race/one.bin", small(200 + i), &opts).await) })
        })
        .collect();
    let mut winners = Vec::new();
    for t in racers {
        let (i, r) = t.await.unwrap();
        match r {
            Ok(_) => winners.push(i),
            Err(e) => assert_eq!(e.status().map(|s| s.as_u16()), Some(412), "{e}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one create wins");
    assert!(c.get_path_bytes("race/one.bin").await.unwrap() == small(200 + winners[0]), "the winner's bytes");
    assert_eq!(c.usage().await.unwrap().used_bytes, 121 * SIZE as u64);
}

/// SIGKILL in the middle of a burst of 200 concurrent small uploads, then a restart:
/// every upload that was acknowledged is there byte for byte, every file there is whole
/// (none torn), and the quota charge matches the files. The server runs as a process on
/// this binary's database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_mid_burst_keeps_every_acknowledged_upload_whole() {
    crate::needs_backend!();
    let dir = tempfile::tempdir().unwrap();
    let pg = match crate::BACKEND {
        Backend::Postgres => Some(PgTestDb::create().await),
        Backend::Sqlite => None,
    };
    let env: Vec<(&str, String)> = pg.iter().map(|db| ("NIMBUS_DATABASE_URL", db.url.clone())).collect();
    let mut server = ServerProcess::start(dir.path(), &env);
    let anon = Client::new(&server.base);
    let req = nimbus_api::RegisterRequest { username: "burst".into(), password: PASSWORD.into(), ..Default::default() };
    anon.register(&req).await.unwrap();
    let c = anon.login("burst", PASSWORD).await.unwrap().0;

    let acked = Arc::new(Mutex::new(BTreeSet::new()));
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let (c, acked) = (c.clone(), acked.clone());
            tokio::spawn(async move {
                if c.put(&format!("burst/f{i:03}.bin"), small(i), &PutOptions::default()).await.is_ok() {
                    acked.lock().unwrap().insert(i);
                }
            })
        })
        .collect();
    assert!(eventually(30, || acked.lock().unwrap().len() >= 40).await, "the burst got going");
    if crate::BACKEND == Backend::Sqlite {
        // The server's own count: more uploads committed than groups committed them.
        let text = anon.request(reqwest::Method::GET, "/metrics").send().await.unwrap().text().await.unwrap();
        let value = |name: &str| -> f64 {
            let line = text.lines().find(|l| l.starts_with(name));
            line.and_then(|l| l.rsplit(' ').next()).and_then(|v| v.parse().ok()).unwrap_or(0.0)
        };
        let (uploads, groups) =
            (value("nimbus_upload_commit_group_size_sum"), value("nimbus_upload_commit_group_size_count"));
        assert!(uploads > groups && groups > 0.0, "uploads were committed in groups: {uploads} in {groups}");
    }
    server.kill();
    for t in tasks {
        t.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() < 200, "the kill landed mid-burst ({} of 200 acknowledged)", acked.len());

    let server = ServerProcess::start(dir.path(), &env);
    let c = Client::new(&server.base).login("burst", PASSWORD).await.unwrap().0;
    let files = stored(&c).await;
    let present: BTreeSet<usize> = files.iter().map(|(p, _)| index_of(p)).collect();
    assert!(acked.is_subset(&present), "acknowledged but lost: {:?}", acked.difference(&present).collect::<Vec<_>>());
    for (path, bytes) in &files {
        assert!(bytes == &small(index_of(path)), "{path} is whole");
    }
    let usage = c.usage().await.unwrap();
    assert_eq!((usage.used_bytes, usage.file_count), ((files.len() * SIZE) as u64, files.len() as u64));
    drop(pg);
}
