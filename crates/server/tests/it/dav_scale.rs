//! WebDAV locks across instances (PostgreSQL + a shared S3 store), driven with curl: a
//! lock taken through one instance is honoured by the other, its token works there, and
//! an unlock there frees it everywhere.

use crate::common::{Cluster, TestServer, skip};
use std::process::Command;

/// Runs curl with `args`; returns the status code and the response headers and body.
async fn curl(args: Vec<String>) -> (u16, String) {
    let out = tokio::task::spawn_blocking(move || {
        Command::new("curl").args(["-s", "-i", "-o", "-", "-w", "\n%{http_code}"]).args(&args).output().unwrap()
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (body, code) = text.rsplit_once('\n').unwrap();
    (code.trim().parse().unwrap(), body.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_lock_taken_on_one_instance_holds_on_another() {
    if Command::new("curl").arg("--version").output().is_err() {
        return skip("curl is not installed", "apt-get install curl");
    }
    let Some(cluster) = Cluster::start().await else { return };
    let (a, b) = (&cluster.a, &cluster.b);
    let alice = a.user("alice").await;
    let password = alice.create_app_password("curl").await.unwrap().password.unwrap();
    let user = format!("alice:{password}");
    let at = |server: &TestServer| format!("{}/dav/report.txt", server.base);
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();

    let (code, _) = curl(s(&["-u", &user, "-T", "-", &at(a)])).await;
    assert_eq!(code, 201);
    let lock = r#"<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>curl on A</D:owner></D:lockinfo>"#;
    let (code, text) = curl(s(&["-u", &user, "-X", "LOCK", "-H", "Timeout: Second-600", "--data", lock, &at(a)])).await;
    assert_eq!(code, 200, "{text}");
    let token = text
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase().starts_with("lock-token:").then(|| l.split_once(':').unwrap().1.trim().to_string())
        })
        .expect("a Lock-Token header");

    // B knows the lock: a write without its token is refused, with it accepted.
    let (code, _) = curl(s(&["-u", &user, "-X", "PUT", "--data", "from B", &at(b)])).await;
    assert_eq!(code, 423);
    let (code, _) = curl(s(&["-u", &user, "-X", "DELETE", &at(b)])).await;
    assert_eq!(code, 423);
    let if_header = format!("If: ({token})");
    let (code, _) = curl(s(&["-u", &user, "-X", "PUT", "-H", &if_header, "--data", "from B", &at(b)])).await;
    assert_eq!(code, 204);
    let discover =
        r#"<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:lockdiscovery/></D:prop></D:propfind>"#;
    let (code, text) = curl(s(&["-u", &user, "-X", "PROPFIND", "-H", "Depth: 0", "--data", discover, &at(b)])).await;
    assert_eq!(code, 207);
    assert!(text.contains(token.trim_matches(['<', '>'])) && text.contains("curl on A"), "{text}");
    // A second exclusive lock through B is refused while A's holds.
    let (code, _) = curl(s(&["-u", &user, "-X", "LOCK", "--data", lock, &at(b)])).await;
    assert_eq!(code, 423);

    // Unlocked through B: A writes freely again.
    let lock_token = format!("Lock-Token: {token}");
    let (code, _) = curl(s(&["-u", &user, "-X", "UNLOCK", "-H", &lock_token, &at(b)])).await;
    assert_eq!(code, 204);
    let (code, _) = curl(s(&["-u", &user, "-X", "PUT", "--data", "from A", &at(a)])).await;
    assert_eq!(code, 204);
    assert_eq!(alice.get_path_bytes("report.txt").await.unwrap(), "from A");
}
