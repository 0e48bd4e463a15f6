//! The command-line client (`nimbus login | ls | put | get | sync …`) as a user runs it:
//! the real binary as a child process, against a real server, with its own config dir.

use crate::common::{PASSWORD, TestServer};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const MIB: usize = 1 << 20;

/// One person's command line: a config dir of their own, signed in to `server`.
struct Shell {
    config: tempfile::TempDir,
    work: tempfile::TempDir,
    server: String,
}

impl Shell {
    fn new(s: &TestServer) -> Self {
        Shell { config: tempfile::tempdir().unwrap(), work: tempfile::tempdir().unwrap(), server: s.base.clone() }
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_nimbus"));
        cmd.args(args)
            .current_dir(self.work.path())
            .env("XDG_CONFIG_HOME", self.config.path())
            .env_remove("NIMBUS_SERVER")
            .env_remove("NIMBUS_TOKEN")
            .env_remove("NIMBUS_PROFILE");
        cmd
    }

    /// Runs `nimbus args…` with `stdin`, in the background (it is a blocking wait).
    async fn run_with(&self, args: &[&str], stdin: &str) -> Output {
        let mut cmd = self.cmd(args);
        let stdin = stdin.to_string();
        tokio::task::spawn_blocking(move || {
            let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
            child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
            child.wait_with_output().unwrap()
        })
        .await
        .unwrap()
    }

    async fn run(&self, args: &[&str]) -> Output {
        self.run_with(args, "").await
    }

    /// Runs and insists on success; returns stdout.
    async fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args).await;
        assert!(out.status.success(), "nimbus {args:?}: {}", text(&out));
        String::from_utf8(out.stdout).unwrap()
    }

    async fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        serde_json::from_str(&self.ok(&all).await).unwrap()
    }

    async fn login(&self, user: &str) {
        let out =
            self.run_with(&["login", "--server", &self.server, "--username", user, "--password-stdin"], PASSWORD).await;
        assert!(out.status.success(), "{}", text(&out));
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.work.path().join(rel)
    }
}

fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn write(path: &Path, data: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, data).unwrap();
}

fn sha(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_keeps_the_token_private_and_logout_revokes_it() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let _ = s.user("alice").await;
    let sh = Shell::new(&s);
    let out = sh.run(&["ls"]).await;
    assert_eq!(out.status.code(), Some(4), "not signed in: {}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nimbus login"));

    let wrong = sh.run_with(&["login", "--server", &s.base, "--username", "alice", "--password-stdin"], "nope").await;
    assert_eq!(wrong.status.code(), Some(4), "{}", text(&wrong));
    sh.login("alice").await;
    let file = sh.config.path().join("nimbus/profiles.json");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    let saved: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let token = saved["profiles"]["default"]["token"].as_str().unwrap().to_string();
    assert!(sh.ok(&["ls"]).await.is_empty(), "an empty namespace lists nothing");

    // Scripts can pass the server and token in the environment instead.
    let other = Shell::new(&s);
    let mut scripted = other.cmd(&["usage", "--json"]);
    let out = scripted.env("NIMBUS_SERVER", &s.base).env("NIMBUS_TOKEN", &token).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));

    sh.ok(&["logout"]).await;
    let revoked = nimbus_client::Client::new(&s.base).with_token(token);
    assert_eq!(revoked.me().await.unwrap_err().status().unwrap(), 401, "the token is revoked on the server");
    assert_eq!(sh.run(&["ls"]).await.status.code(), Some(4));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_go_up_and_down_and_unchanged_ones_are_skipped() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let c = s.user("alice").await;
    let sh = Shell::new(&s);
    sh.login("alice").await;
    let big: Vec<u8> = (0..10 * MIB).map(|i| (i % 249) as u8).collect();
    write(&sh.path("trip/big.bin"), &big);
    write(&sh.path("trip/notes/day 1.txt"), b"sunny");
    write(&sh.path("single.txt"), b"one file");

    let put = sh.json(&["put", "trip", "single.txt", "backup/"]).await;
    let results: Vec<&str> = put.as_array().unwrap().iter().map(|r| r["result"].as_str().unwrap()).collect();
    assert_eq!(results, ["uploaded"; 3]);
    assert_eq!(c.get_path_bytes("backup/trip/big.bin").await.unwrap(), big, "above 8 MiB: through tus");
    assert_eq!(c.get_path_bytes("backup/trip/notes/day 1.txt").await.unwrap(), "sunny");
    let again = sh.json(&["put", "trip", "backup/"]).await;
    assert!(again.as_array().unwrap().iter().all(|r| r["result"] == "unchanged" && r["bytes"] == 0), "{again}");

    // ls, -l -h, -R and --json.
    assert_eq!(sh.ok(&["ls", "backup"]).await, "trip/\nsingle.txt\n");
    let long = sh.ok(&["ls", "-lh", "backup/trip"]).await;
    assert!(long.contains("10.0 MiB") && long.contains("big.bin") && long.contains("notes/"), "{long}");
    assert_eq!(sh.ok(&["ls", "-R", "backup/trip"]).await, "big.bin\nnotes/day 1.txt\n");
    let listed = sh.json(&["ls", "backup/trip"]).await;
    assert_eq!(listed[1]["kind"], "file");
    assert_eq!(listed[1]["sha256"], sha(&big));

    // get: a folder into a local folder, verified; cat; cid; car.
    sh.ok(&["get", "backup/trip", "restored"]).await;
    assert_eq!(std::fs::read(sh.path("restored/trip/big.bin")).unwrap(), big);
    assert_eq!(sh.ok(&["cat", "backup/single.txt"]).await, "one file");
    let file = c.list_files(Some("backup/single.txt"), None, None).await.unwrap().items.remove(0);
    assert_eq!(sh.ok(&["cid", "backup/single.txt"]).await.trim(), file.cid.unwrap());
    let car = sh.cmd(&["car", "backup/single.txt"]).output().unwrap();
    assert!(car.status.success() && car.stdout.len() > 8, "{}", text(&car));

    // mkdir, mv, cp, rm, find.
    sh.ok(&["mkdir", "archive/2024"]).await;
    sh.ok(&["mv", "backup/single.txt", "archive/2024/single.txt"]).await;
    sh.ok(&["cp", "archive/2024/single.txt", "archive/copy.txt"]).await;
    assert_eq!(c.get_path_bytes("archive/copy.txt").await.unwrap(), "one file");
    let found = sh.ok(&["find", "single"]).await;
    assert_eq!(found, "archive/2024/single.txt\n");
    let refused = sh.run(&["rm", "archive"]).await;
    assert_eq!(refused.status.code(), Some(2), "a folder needs -r: {}", text(&refused));
    sh.ok(&["rm", "-r", "archive"]).await;
    assert_eq!(sh.run(&["cat", "archive/copy.txt"]).await.status.code(), Some(3));

    // Nothing on stdout or stderr is a terminal here: no progress-bar escape codes.
    let out = sh.run(&["put", "trip", "elsewhere/"]).await;
    assert!(!out.stdout.contains(&0x1b) && !out.stderr.contains(&0x1b), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_readable_with_documented_exit_codes() {
    crate::needs_backend!();
    let s = TestServer::start_with(|c| c.default_quota_bytes = MIB as u64).await;
    let _ = s.user("alice").await;
    let sh = Shell::new(&s);
    sh.login("alice").await;
    write(&sh.path("big.bin"), &vec![1u8; 2 * MIB]);
    let full = sh.run(&["put", "big.bin", "big.bin"]).await;
    assert_eq!(full.status.code(), Some(1));
    let said = String::from_utf8_lossy(&full.stderr);
    assert!(said.starts_with("nimbus: not enough space"), "{said}");
    assert!(!said.contains("panicked") && !said.contains("backtrace"), "{said}");
    assert_eq!(sh.run(&["get", "nothing.bin", "x"]).await.status.code(), Some(3));
    assert_eq!(sh.run(&["url", "nothing.bin", "--expires", "soon"]).await.status.code(), Some(3));
    write(&sh.path("small.txt"), b"x");
    sh.ok(&["put", "small.txt", "small.txt"]).await;
    assert_eq!(sh.run(&["url", "small.txt", "--expires", "soon"]).await.status.code(), Some(2));
    let conflict = sh.run(&["mkdir", "small.txt"]).await;
    assert_eq!(conflict.status.code(), Some(1), "{}", text(&conflict));
    assert!(String::from_utf8_lossy(&conflict.stderr).contains("nimbus: "), "{}", text(&conflict));
    assert_eq!(sh.run(&["no-such-command"]).await.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sharing_links_urls_usage_devices_and_messages() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let _ = s.user("alice").await;
    let bob = s.user("bob").await;
    let sh = Shell::new(&s);
    sh.login("alice").await;
    write(&sh.path("report.pdf"), b"%PDF report");
    sh.ok(&["put", "report.pdf", "report.pdf"]).await;

    sh.ok(&["share", "report.pdf", "bob"]).await;
    assert_eq!(bob.shared(None, None).await.unwrap().items.len(), 1);
    sh.ok(&["unshare", "report.pdf", "bob"]).await;
    assert!(bob.shared(None, None).await.unwrap().items.is_empty());

    let link = sh.json(&["link", "create", "report.pdf", "--expires", "7d", "--max-downloads", "2"]).await;
    let url = link["url"].as_str().unwrap().to_string();
    let page = if url.starts_with('/') { format!("{}{url}", s.base) } else { url.clone() };
    let got = reqwest::get(format!("{page}/content")).await.unwrap();
    assert_eq!(got.bytes().await.unwrap(), "%PDF report");
    let links = sh.json(&["link", "ls", "report.pdf"]).await;
    assert_eq!(links[0]["download_count"], 1);
    sh.ok(&["link", "rm", links[0]["id"].as_str().unwrap()]).await;
    assert!(sh.json(&["link", "ls", "report.pdf"]).await.as_array().unwrap().is_empty());

    let signed = sh.ok(&["url", "report.pdf", "--expires", "1h"]).await;
    assert_eq!(reqwest::get(signed.trim()).await.unwrap().bytes().await.unwrap(), "%PDF report");

    let usage = sh.json(&["usage"]).await;
    assert_eq!(usage["used_bytes"], 11);

    let secret = sh.ok(&["devices", "add", "laptop", "laptop-1"]).await;
    assert!(!secret.trim().is_empty());
    let devices = sh.json(&["devices", "ls"]).await;
    assert_eq!(devices[0]["peer_id"], "laptop-1");
    // The device signs in on its own, with the secret on standard input.
    let device_shell = Shell::new(&s);
    let out = device_shell
        .run_with(&["login", "--server", &s.base, "--username", "alice", "--device", "laptop-1"], secret.trim())
        .await;
    assert!(out.status.success(), "{}", text(&out));
    sh.ok(&["devices", "rm", devices[0]["id"].as_str().unwrap()]).await;
    assert_eq!(device_shell.run(&["ls"]).await.status.code(), Some(4), "its session ended with it");

    sh.ok(&["messages", "send", "bob", "--text", "see attached", "--file", "report.pdf"]).await;
    let inbox = bob.messages("inbox", None, None).await.unwrap().items;
    assert_eq!(inbox[0].text.as_deref(), Some("see attached"));
    let sent = sh.json(&["messages", "ls", "--sent"]).await;
    assert_eq!(sent[0]["to"]["username"], "bob");
    // Bob reads it from his own command line.
    let bobs = Shell::new(&s);
    bobs.login("bob").await;
    let his = bobs.json(&["messages", "ls"]).await;
    assert!(his[0]["read_at"].is_null());
    bobs.ok(&["messages", "read", his[0]["id"].as_str().unwrap()]).await;
    assert!(!bobs.json(&["messages", "ls"]).await[0]["read_at"].is_null());

    // A link with a password (read from standard input, never the command line).
    let out = sh.run_with(&["--json", "link", "create", "report.pdf", "--password-stdin"], "open sesame\n").await;
    assert!(out.status.success(), "{}", text(&out));
    let guarded: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(guarded["has_password"], true);
}

#[tokio::test]
async fn completions_are_printed_for_each_shell() {
    let sh = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish"] {
        let out = Command::new(env!("CARGO_BIN_EXE_nimbus"))
            .args(["completions", shell])
            .current_dir(sh.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(script.contains("sync") && script.contains("login"), "{shell}: {script}");
    }
    let help = Command::new(env!("CARGO_BIN_EXE_nimbus")).args(["put", "--help"]).output().unwrap();
    assert!(String::from_utf8_lossy(&help.stdout).contains("Example: nimbus put"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_mirrors_both_ways_with_delete_and_dry_run() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let c = s.user("alice").await;
    let sh = Shell::new(&s);
    sh.login("alice").await;
    for i in 0..5 {
        write(&sh.path(&format!("docs/f{i}.txt")), format!("file {i}").as_bytes());
    }
    write(&sh.path("docs/sub/deep.txt"), b"deep");
    sh.ok(&["sync", "./docs", "docs"]).await;
    assert_eq!(c.list_files(Some("docs/"), None, None).await.unwrap().items.len(), 6);

    // A change, an addition, a removal: the dry run says so and changes nothing.
    write(&sh.path("docs/f0.txt"), b"changed");
    write(&sh.path("docs/new.txt"), b"new");
    std::fs::remove_file(sh.path("docs/f1.txt")).unwrap();
    let plan = sh.json(&["sync", "--delete", "--dry-run", "./docs", "docs"]).await;
    let mut steps: Vec<String> =
        plan.as_array().unwrap().iter().map(|s| format!("{} {}", s["action"], s["path"])).collect();
    steps.sort();
    assert_eq!(steps, ["\"delete\" \"f1.txt\"", "\"upload\" \"f0.txt\"", "\"upload\" \"new.txt\""]);
    assert_eq!(c.get_path_bytes("docs/f0.txt").await.unwrap(), "file 0", "a dry run changes nothing");
    sh.ok(&["sync", "--delete", "./docs", "docs"]).await;
    assert_eq!(c.get_path_bytes("docs/f0.txt").await.unwrap(), "changed");
    assert_eq!(c.get_path("docs/f1.txt").await.unwrap_err().status().unwrap(), 404);
    let plan = sh.json(&["sync", "--delete", "--dry-run", "./docs", "docs"]).await;
    assert!(plan.as_array().unwrap().is_empty(), "in step: {plan}");

    // And down into another folder, mtimes kept; then --delete there.
    sh.ok(&["sync", "docs", "./mirror"]).await;
    assert_eq!(std::fs::read(sh.path("mirror/sub/deep.txt")).unwrap(), b"deep");
    let local = std::fs::metadata(sh.path("docs/new.txt")).unwrap().modified().unwrap();
    let mirrored = std::fs::metadata(sh.path("mirror/new.txt")).unwrap().modified().unwrap();
    let secs = |t: std::time::SystemTime| t.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    assert_eq!(secs(local), secs(mirrored));
    write(&sh.path("mirror/stray.txt"), b"not on the server");
    sh.ok(&["sync", "--delete", "docs", "./mirror"]).await;
    assert!(!sh.path("mirror/stray.txt").exists());
    let plan = sh.json(&["sync", "--dry-run", "docs", "./mirror"]).await;
    assert!(plan.as_array().unwrap().is_empty(), "in step: {plan}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partial_download_resumes_and_is_verified() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let c = s.user("alice").await;
    let data: Vec<u8> = (0..6 * MIB).map(|i| (i % 241) as u8).collect();
    c.put("video.bin", data.clone(), &Default::default()).await.unwrap();
    let sh = Shell::new(&s);
    sh.login("alice").await;
    // Half of it is already here from a download that broke off.
    write(&sh.path("video.bin.nimbus-part"), &data[..3 * MIB]);
    let got = sh.json(&["get", "video.bin", "video.bin"]).await;
    assert_eq!(got[0]["bytes"], 3 * MIB, "only the missing half came over the network");
    assert_eq!(std::fs::read(sh.path("video.bin")).unwrap(), data);
    assert!(!sh.path("video.bin.nimbus-part").exists());
    // A partial file that does not belong to this content is caught by the hash.
    write(&sh.path("other.bin.nimbus-part"), &vec![7u8; MIB]);
    let out = sh.run(&["get", "video.bin", "other.bin"]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not match its SHA-256"));
    assert!(!sh.path("other.bin").exists(), "nothing unverified is left in place");
    sh.ok(&["get", "video.bin", "other.bin"]).await;
    assert_eq!(std::fs::read(sh.path("other.bin")).unwrap(), data, "the second try starts over");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_put_continues_where_it_stopped() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let c = s.user("alice").await;
    let sh = Shell::new(&s);
    sh.login("alice").await;
    let data: Vec<u8> = (0..200 * MIB).map(|i| ((i / 4096) % 251) as u8 ^ (i % 7) as u8).collect();
    write(&sh.path("disk.img"), &data);
    let mut child =
        sh.cmd(&["put", "disk.img", "disk.img"]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    // Kill it once the server holds a good part of the upload.
    let pending = sh.config.path().join("nimbus/uploads.json");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let held = loop {
        assert!(std::time::Instant::now() < deadline, "the upload never got going");
        assert!(child.try_wait().unwrap().is_none(), "the put finished before it could be interrupted");
        let url = std::fs::read(&pending)
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
            .and_then(|v| v["uploads"].as_object()?.values().next()?.as_str().map(str::to_string));
        if let Some(url) = url {
            let offset = c.upload_offset(&url).await.unwrap().0;
            if offset >= 40 * MIB as u64 {
                break offset;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(c.get_path("disk.img").await.unwrap_err().status().unwrap(), 404, "no partial file is visible");

    let resumed = sh.json(&["put", "disk.img", "disk.img"]).await;
    let sent = resumed[0]["bytes"].as_u64().unwrap();
    eprintln!(
        "the server held {} MiB when the put was killed; the second run sent {} MiB of 200",
        held / MIB as u64,
        sent / MIB as u64
    );
    // It continues from the server's offset (which may have moved on by a chunk or two
    // between our look and the kill): never more than what was missing then.
    assert!(sent <= 200 * MIB as u64 - held, "the second run sent {sent} bytes");
    let files = c.list_files(Some("disk.img"), None, None).await.unwrap().items;
    assert_eq!(files[0].sha256, sha(&data), "byte-exact");
    assert!(
        !pending.exists() || !std::fs::read_to_string(&pending).unwrap().contains("http"),
        "the finished upload is forgotten"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminal_gets_a_progress_bar() {
    crate::needs_backend!();
    if Command::new("script").arg("--version").output().is_err() {
        return crate::common::skip("`script` (util-linux) is not installed", "apt-get install util-linux");
    }
    let s = TestServer::start().await;
    let _ = s.user("alice").await;
    let sh = Shell::new(&s);
    sh.login("alice").await;
    write(&sh.path("big.bin"), &vec![3u8; 24 * MIB]);
    // `script` gives the command a pseudo-terminal and records what it drew.
    let bin = env!("CARGO_BIN_EXE_nimbus");
    let cmd = sh.cmd(&[]);
    let out = Command::new("script")
        .args(["-qec", &format!("{bin} put big.bin big.bin"), "/dev/null"])
        .current_dir(sh.work.path())
        .envs(cmd.get_envs().filter_map(|(k, v)| Some((k.to_owned(), v?.to_owned()))))
        .env("XDG_CONFIG_HOME", sh.config.path())
        .output()
        .unwrap();
    let drawn = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{drawn}");
    assert!(drawn.contains("total") && drawn.contains("MiB") && drawn.contains('\u{1b}'), "no bar drawn: {drawn:?}");
}

#[tokio::test]
async fn versions_and_the_trash_from_the_command_line() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let _ = s.user("alice").await;
    let sh = Shell::new(&s);
    sh.login("alice").await;
    write(&sh.path("plan.txt"), b"first plan");
    sh.ok(&["put", "plan.txt", "plan.txt"]).await;
    write(&sh.path("plan.txt"), b"second plan, longer");
    sh.ok(&["put", "plan.txt", "plan.txt"]).await;

    let versions = sh.json(&["versions", "ls", "plan.txt"]).await;
    assert_eq!(versions.as_array().unwrap().len(), 1, "{versions}");
    assert_eq!(versions[0]["sha256"], sha(b"first plan"));
    let id = versions[0]["id"].as_str().unwrap().to_string();
    assert_eq!(sh.ok(&["versions", "cat", "plan.txt", &id]).await, "first plan");
    sh.ok(&["versions", "restore", "plan.txt", &id]).await;
    assert_eq!(sh.ok(&["cat", "plan.txt"]).await, "first plan");
    let versions = sh.json(&["versions", "ls", "plan.txt"]).await;
    assert_eq!(versions[0]["sha256"], sha(b"second plan, longer"), "the replaced content became a version");
    let out = sh.run(&["versions", "cat", "plan.txt", "no-such-version"]).await;
    assert!(!out.status.success() && text(&out).contains("not"), "{}", text(&out));

    sh.ok(&["rm", "plan.txt"]).await;
    let trash = sh.json(&["trash", "ls"]).await;
    assert_eq!(trash[0]["path"], "plan.txt");
    let usage = sh.json(&["usage"]).await;
    assert_eq!((usage["used_bytes"].as_u64(), usage["trash_bytes"].as_u64()), (Some(0), Some(10)));
    sh.ok(&["trash", "restore", trash[0]["id"].as_str().unwrap(), "--to", "old/plan.txt"]).await;
    assert_eq!(sh.ok(&["cat", "old/plan.txt"]).await, "first plan");
    sh.ok(&["rm", "old/plan.txt"]).await;
    sh.ok(&["trash", "empty"]).await;
    assert!(sh.json(&["trash", "ls"]).await.as_array().unwrap().is_empty());
    let human = sh.ok(&["usage", "-H"]).await;
    assert!(human.contains("trash 0 B"), "{human}");
}
