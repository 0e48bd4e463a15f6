//! Real tus clients that nobody here wrote, against a real server: tus-js-client (Node)
//! and tuspy (Python), each uploading 50 MiB in 5 MiB chunks, stopping after two chunks,
//! and finishing from the stored URL in a new process; and terminating an upload.

use crate::common::{TestServer, files_under, skip};
use nimbus_server::content::ContentHasher;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::process::Command;

const MIB: usize = 1 << 20;

fn tools() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tools/tus-check")
}

/// The command that runs one client's driver script, if that client is installed.
fn client(name: &str) -> Option<Vec<String>> {
    let ok = |cmd: &mut Command| cmd.output().is_ok_and(|o| o.status.success());
    let dir = tools();
    match name {
        "tus-js-client"
            if ok(Command::new("node").arg("--version")) && dir.join("node_modules/tus-js-client").is_dir() =>
        {
            Some(vec!["node".into(), dir.join("upload.mjs").display().to_string()])
        }
        "tuspy" if ok(Command::new("python3").args(["-c", "import tusclient"])) => {
            Some(vec!["python3".into(), dir.join("upload.py").display().to_string()])
        }
        _ => None,
    }
}

async fn run(cmd: &[String], args: &[String]) -> Value {
    let mut full = cmd.to_vec();
    full.extend_from_slice(args);
    let out =
        tokio::task::spawn_blocking(move || Command::new(&full[0]).args(&full[1..]).output().unwrap()).await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{args:?} failed: {stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_str(stdout.lines().last().unwrap_or("")).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

async fn resume_then_terminate(name: &str) {
    let Some(cmd) = client(name) else {
        let how = if name == "tuspy" { "pip install tuspy" } else { "cd tools/tus-check && npm ci" };
        return skip(&format!("{name} is not installed"), how);
    };
    let s = TestServer::start().await;
    let c = s.user("alice").await;
    let token = c.token().unwrap().to_string();
    let work = tempfile::tempdir().unwrap();
    let data: Vec<u8> = (0..50 * MIB).map(|i| (i % 251) as u8 ^ (i >> 20) as u8).collect();
    let file = work.path().join("fifty.bin");
    std::fs::write(&file, &data).unwrap();
    let store = work.path().join("urls.json");
    let endpoint = format!("{}/api/v1/uploads", s.base);
    let args = |extra: &[&str]| -> Vec<String> {
        let mut a = vec![endpoint.clone(), token.clone(), file.display().to_string(), store.display().to_string()];
        a.push("fifty.bin".into());
        a.extend(extra.iter().map(|x| x.to_string()));
        a
    };

    // Two chunks, then the process ends.
    let stopped = run(&cmd, &args(&["stop-after-chunks", "2"])).await;
    let url = stopped["url"].as_str().unwrap().to_string();
    let path = url.trim_start_matches(&s.base).to_string();
    assert_eq!(c.upload_offset(&path).await.unwrap(), (10 * MIB as u64, Some(50 * MIB as u64)));
    assert!(c.list_files(None, None, None).await.unwrap().items.is_empty());

    // A new process finds the stored URL and continues from 10 MiB.
    let done = run(&cmd, &args(&[])).await;
    assert_eq!(done["done"], true, "{done}");
    assert_eq!(done["url"].as_str().unwrap(), url, "the same upload was resumed");
    let f = c.upload_info(&path).await.unwrap().file.expect("finished");
    assert_eq!(f.sha256, hex::encode(Sha256::digest(&data)));
    let mut hasher = ContentHasher::default();
    hasher.update(&data);
    assert_eq!(f.cid.as_deref(), Some(hasher.finish().cid.as_str()));
    assert_eq!(c.get_path_bytes("fifty.bin").await.unwrap(), data);
    // Every byte crossed the wire once: the resumed process did not start from 0.
    assert_eq!(c.usage().await.unwrap().uploaded_bytes, 50 * MIB as u64);

    // A chunk whose checksum does not match is refused (tus's 460) and not kept.
    std::fs::remove_file(&store).unwrap();
    let refused = run(&cmd, &args(&["bad-checksum", "0"])).await;
    assert_eq!(refused["refused"], 460, "{refused}");
    let bad = refused["url"].as_str().unwrap().trim_start_matches(&s.base).to_string();
    assert_eq!(c.upload_offset(&bad).await.unwrap().0, 0, "nothing of the bad chunk was kept");
    c.abort_upload(&bad).await.unwrap();

    // Termination removes the session and its bytes.
    let _ = std::fs::remove_file(&store);
    let other = work.path().join("other.bin");
    std::fs::write(&other, &data[..12 * MIB]).unwrap();
    let mut a = args(&["terminate-after-chunks", "1"]);
    a[2] = other.display().to_string();
    a[4] = "other.bin".into();
    let terminated = run(&cmd, &a).await;
    assert_eq!(terminated["terminated"], true, "{terminated}");
    let gone = terminated["url"].as_str().unwrap().trim_start_matches(&s.base).to_string();
    assert_eq!(c.upload_offset(&gone).await.map_err(|e| e.status().unwrap().as_u16()).unwrap_err(), 404);
    assert!(files_under(&s.blob_dir().join("sessions")).is_empty());
    assert_eq!(c.list_files(None, None, None).await.unwrap().items.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tus_js_client_resumes_in_a_new_process_and_terminates() {
    crate::needs_backend!();
    resume_then_terminate("tus-js-client").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tuspy_resumes_in_a_new_process_with_checksums_and_terminates() {
    crate::needs_backend!();
    resume_then_terminate("tuspy").await;
}
