//! Path validation: traversal, control characters and over-long names are refused
//! with a 4xx, nothing is stored, and nothing is written outside the data dir.

use crate::common::{TestServer, files_under};
use nimbus_api::OnConflict;
use nimbus_client::UploadPart;

#[tokio::test]
async fn traversal_and_malformed_paths_are_refused_and_nothing_is_stored() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let c = s.user("alice").await;
    let token = c.token().unwrap().to_string();
    let long_segment = "a".repeat(256);
    let long_path = vec!["abcdefghij"; 100].join("/");
    let targets = [
        "../escape.txt",
        "a/../../escape.txt",
        "./a.txt",
        "a/./b.txt",
        "a//b.txt",
        "a/",
        "%2e%2e/escape.txt",
        "%2E%2E%2Fescape.txt",
        "a/%2e%2e/%2e%2e/escape.txt",
        "..%2fescape.txt",
        "/etc/passwd",
        "a%00b.txt",
        "a%0Ab.txt",
        "a%7Fb.txt",
        "%C2%85next-line.txt",
        "%FF%FE.txt",
        long_segment.as_str(),
        long_path.as_str(),
    ];
    for target in targets {
        for method in ["PUT", "GET", "DELETE"] {
            let req = format!(
                "{method} /api/v1/fs/{target} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Length: 4\r\nConnection: close\r\n\r\nevil"
            );
            let (status, text) = s.raw(&req).await;
            assert!((400..500).contains(&status), "{method} {target} gave {status}: {text}");
        }
    }
    for name in ["../x.txt", "..", ".", "a\u{0}b", "a\\..\\..\\x"] {
        let r = c.upload(None, OnConflict::Fail, vec![UploadPart::bytes(name, &b"evil"[..])]).await;
        // Backslashes are ordinary characters: such a name is stored verbatim, not resolved.
        if name.contains('\\') {
            r.expect("a backslash is just a character");
        } else {
            let status = r.expect_err(name).status().unwrap().as_u16();
            assert!((400..500).contains(&status), "{name}: {status}");
        }
    }
    for dir in ["..", "a/../..", "/abs", "a//b"] {
        let r = c.upload(Some(dir), OnConflict::Fail, vec![UploadPart::bytes("x.txt", &b"evil"[..])]).await;
        assert_eq!(r.expect_err(dir).status().unwrap(), 422, "{dir}");
    }
    let listed = c.list_files(None, None, None).await.unwrap().items;
    assert_eq!(listed.len(), 1, "only the backslash name was stored: {listed:?}");
    assert!(!s.data_dir().parent().unwrap().join("escape.txt").exists());
    for f in files_under(s.data_dir()) {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        assert!(!name.contains("escape") && !name.contains("evil"), "unexpected file {f:?}");
    }
}

#[tokio::test]
async fn unicode_paths_are_normalised_to_nfc() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let c = s.user("bob").await;
    let nfd = "cafe\u{301}/menu.txt";
    let (f, _) = c.put(nfd, "espresso", &Default::default()).await.unwrap();
    assert_eq!(f.path, "caf\u{e9}/menu.txt");
    assert_eq!(c.get_path_bytes("caf\u{e9}/menu.txt").await.unwrap(), &b"espresso"[..]);
}
