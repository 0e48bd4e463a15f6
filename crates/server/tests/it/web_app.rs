//! The web app in a real browser: Debian's Chromium driven by playwright-core
//! (`tools/web-check/e2e.mjs`) against a real server, through every flow a person uses
//! (see that script's steps), with an axe-core accessibility audit of each page. The
//! server's own state is then checked here. Screenshots go to `docs/screenshots/` when
//! `NIMBUS_SCREENSHOTS=1`, else to a temp dir.

use crate::common::{TestServer, skip};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn tools() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tools/web-check")
}

fn chromium() -> Option<String> {
    let path = std::env::var("NIMBUS_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    Path::new(&path).exists().then_some(path)
}

#[tokio::test]
async fn the_web_app_works_end_to_end_in_chromium() {
    crate::needs_backend!();
    let node_ok = Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    let Some(browser) = chromium() else {
        return skip("Chromium is not installed", "apt-get install chromium");
    };
    if !node_ok || !tools().join("node_modules/playwright-core").is_dir() {
        return skip("playwright-core is not installed", "cd tools/web-check && npm ci");
    }
    let s = TestServer::start().await;
    let shots_dir = tempfile::tempdir().unwrap();
    let shots = if std::env::var("NIMBUS_SCREENSHOTS").is_ok_and(|v| v == "1") {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots")
    } else {
        shots_dir.path().to_path_buf()
    };
    let script = tools().join("e2e.mjs");
    let base = s.base.clone();
    let shots_arg = shots.display().to_string();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node").arg(script).arg(base).arg(shots_arg).env("NIMBUS_CHROMIUM", browser).output().unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report: Value = serde_json::from_str(stdout.lines().last().unwrap_or(""))
        .unwrap_or_else(|e| panic!("{e}: {stdout}\n{}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(report["ok"], true, "{}", report["error"].as_str().unwrap_or(&report.to_string()));
    println!("web app figures: {}", report["figures"]);
    println!("accessibility (serious or critical violations per page): {}", report["accessibility"]);
    for (page, count) in report["accessibility"].as_object().unwrap() {
        assert_eq!(count, 0, "axe-core found violations on {page}");
    }
    for name in ["files", "files-grid", "sharing", "usage", "admin", "phone", "messages", "public-link"] {
        assert!(shots.join(format!("{name}.png")).is_file(), "screenshot {name}.png");
    }

    // What the browser did, as the server saw it.
    let alice = s.anon.login("alice", "correct horse battery").await.unwrap().0;
    for p in ["big.bin", "photo.png", "resume.bin", "Documents/notes.txt", "many/file-0999.txt"] {
        let found = alice.list_files(Some(p), Some(1), None).await.unwrap();
        assert_eq!(found.items.first().map(|f| f.path.as_str()), Some(p), "{p} is stored");
    }
    assert_eq!(alice.list_files(Some("many/"), Some(1000), None).await.unwrap().items.len(), 1000);
    let bob = s.anon.login("bob", "correct horse battery").await;
    assert!(bob.is_err(), "bob was disabled through the admin page");
}
