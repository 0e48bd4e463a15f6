//! The README's curl walk-through, run exactly as written against a fresh server, so a
//! newcomer who pastes it gets what it promises.

use crate::common::{TestServer, skip};
use std::process::Command;

/// The `sh` blocks of the README's walk-through section, in order (blocks fenced as
/// `shell` there are examples of other commands, not part of the sequence).
fn walkthrough_blocks() -> Vec<String> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let section = readme.split("\n## A walk-through with curl").nth(1).expect("the README has a walk-through");
    let section = section.split("\n## ").next().unwrap();
    section.split("```sh\n").skip(1).map(|b| b.split("\n```").next().unwrap().to_string()).collect()
}

#[tokio::test]
async fn the_readme_walkthrough_runs_as_written() {
    crate::needs_backend!();
    if crate::BACKEND != crate::common::Backend::Sqlite {
        return; // the walk-through is about the API, not the database: one run suffices
    }
    let tools_ok = ["curl", "jq"].iter().all(|t| Command::new(t).arg("--version").output().is_ok());
    if !tools_ok {
        return skip("curl or jq is not installed (the README walk-through uses them)", "apt-get install curl jq");
    }
    let s = TestServer::start().await;
    let blocks = walkthrough_blocks();
    assert!(blocks.len() >= 3, "{blocks:?}");
    let script = format!("set -euo pipefail\n{}", blocks.join("\n"));
    let dir = tempfile::tempdir().unwrap();
    let base = s.base.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("bash").arg("-c").arg(&script).current_dir(dir.path()).env("NIMBUS_URL", base).output().unwrap()
    })
    .await
    .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the walk-through failed:\n{stderr}\n--- output so far:\n{stdout}");
    // What it promises along the way.
    assert!(stdout.contains("\"kind\":\"folder\""), "the one-level listing shows folders: {stdout}");
    assert!(stdout.contains("notes-copy.txt") && stdout.contains("pets/old"), "{stdout}");
    assert!(stdout.contains("buy"), "the range request printed the first bytes");
    assert!(stdout.trim_end().ends_with("401"), "the token stops working after logout: {stdout}");
    let bob = s.anon.login("bob", "bob battery staple").await.unwrap().0;
    assert_eq!(bob.shared(None, None).await.unwrap().items.len(), 1, "bob received the shared file");
}
