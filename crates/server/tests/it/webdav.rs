//! WebDAV through the file service: app passwords (revoked at once), isolation (another
//! user's paths do not exist, by every method), quota and size limits with nothing
//! partial, dead properties that follow moves and copies, `X-OC-Mtime`, the guards in
//! front of dav-server, and the same content addressing as REST.

use crate::common::{PASSWORD, TestServer};
use reqwest::{Method, StatusCode};

const MIB: usize = 1 << 20;

fn m(name: &str) -> Method {
    Method::from_bytes(name.as_bytes()).unwrap()
}

/// A WebDAV client signed in with HTTP Basic.
struct Dav {
    http: reqwest::Client,
    base: String,
    user: String,
    password: String,
}

impl Dav {
    fn new(s: &TestServer, user: &str, password: &str) -> Self {
        Dav { http: reqwest::Client::new(), base: s.base.clone(), user: user.into(), password: password.into() }
    }

    fn req(&self, method: &str, path: &str) -> reqwest::RequestBuilder {
        self.http.request(m(method), format!("{}/dav/{path}", self.base)).basic_auth(&self.user, Some(&self.password))
    }

    async fn status(&self, method: &str, path: &str) -> StatusCode {
        self.req(method, path).send().await.unwrap().status()
    }

    async fn put(&self, path: &str, body: impl Into<reqwest::Body>) -> StatusCode {
        self.req("PUT", path).body(body).send().await.unwrap().status()
    }

    async fn propfind(&self, path: &str, depth: &str, body: &str) -> (StatusCode, String) {
        let r = self.req("PROPFIND", path).header("depth", depth).body(body.to_string()).send().await.unwrap();
        (r.status(), r.text().await.unwrap())
    }
}

async fn with_app_password(s: &TestServer, name: &str) -> (nimbus_client::Client, Dav, String) {
    let c = s.user(name).await;
    let app = c.create_app_password("test client").await.unwrap();
    let password = app.password.clone().expect("shown once, at creation");
    (c, Dav::new(s, name, &password), app.id)
}

#[tokio::test]
async fn app_passwords_sign_in_and_are_revoked_at_once() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let (c, dav, id) = with_app_password(&s, "alice").await;
    assert_eq!(dav.status("PROPFIND", "").await, StatusCode::MULTI_STATUS);
    let listed = c.app_passwords().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].password.is_none(), "the secret is never shown again");
    assert!(listed[0].last_used_at.is_some(), "the use was recorded");

    // The account password and a bearer token work too; a cookie alone does not.
    assert_eq!(Dav::new(&s, "alice", PASSWORD).status("PROPFIND", "").await, StatusCode::MULTI_STATUS);
    let bearer = reqwest::Client::new()
        .request(m("PROPFIND"), format!("{}/dav/", s.base))
        .bearer_auth(c.token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status(), StatusCode::MULTI_STATUS);
    let cookie = reqwest::Client::new()
        .request(m("PROPFIND"), format!("{}/dav/", s.base))
        .header("cookie", format!("nimbus_session={}", c.token().unwrap()))
        .send()
        .await
        .unwrap();
    // (The cross-site guard refuses it first: 403; without it, it would be 401.)
    assert!([StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN].contains(&cookie.status()), "{}", cookie.status());

    // Wrong credentials: 401 with the Basic challenge, so clients ask for a password.
    let wrong = Dav::new(&s, "alice", "nmbapp_wrong").req("PROPFIND", "").send().await.unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.headers()["www-authenticate"], r#"Basic realm="Nimbus""#);
    // Another user's app password does not sign in as alice.
    let (_, bob_dav, _) = with_app_password(&s, "bob").await;
    let crossed = Dav::new(&s, "alice", &bob_dav.password).req("PROPFIND", "").send().await.unwrap();
    assert_eq!(crossed.status(), StatusCode::UNAUTHORIZED, "{}", crossed.text().await.unwrap());

    c.delete_app_password(&id).await.unwrap();
    assert_eq!(dav.status("PROPFIND", "").await, StatusCode::UNAUTHORIZED, "revoked: refused on the next request");
    assert!(c.app_passwords().await.unwrap().is_empty());
    assert_eq!(c.delete_app_password(&id).await.unwrap_err().status().unwrap(), 404);
}

#[tokio::test]
async fn files_written_over_webdav_are_the_services_files() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let (c, dav, _) = with_app_password(&s, "alice").await;
    assert_eq!(dav.status("MKCOL", "docs/").await, StatusCode::CREATED);
    assert_eq!(dav.status("MKCOL", "docs/").await, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(dav.status("MKCOL", "no/parent/").await, StatusCode::CONFLICT);
    let data: Vec<u8> = (0..3 * MIB).map(|i| (i % 253) as u8).collect();
    assert_eq!(dav.put("docs/a.bin", data.clone()).await, StatusCode::CREATED);
    let put = dav.req("PUT", "docs/a.bin").header("x-oc-mtime", "1700000000").body(data.clone()).send().await.unwrap();
    assert_eq!(put.status(), StatusCode::NO_CONTENT, "an overwrite");
    assert_eq!(put.headers()["x-oc-mtime"], "accepted");
    assert_eq!(dav.put("nowhere/a.bin", "x").await, StatusCode::CONFLICT, "no parent folder");

    // OC-Checksum is checked: a mismatch is 400 and keeps nothing (the old file stays).
    let digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(b"checked"));
    let good = dav
        .req("PUT", "docs/c.txt")
        .header("oc-checksum", format!("SHA256:{digest}"))
        .body("checked")
        .send()
        .await
        .unwrap();
    assert_eq!(good.status(), StatusCode::CREATED);
    let bad = dav
        .req("PUT", "docs/c.txt")
        .header("oc-checksum", format!("SHA256:{digest}"))
        .body("corrupted")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert_eq!(c.get_path_bytes("docs/c.txt").await.unwrap(), "checked");
    assert_eq!(dav.status("DELETE", "docs/c.txt").await, StatusCode::NO_CONTENT);

    // The same file over REST: same bytes, hash and CID as a REST upload of them.
    assert_eq!(c.get_path_bytes("docs/a.bin").await.unwrap(), data);
    let (rest, _) = c.put("same.bin", data.clone(), &Default::default()).await.unwrap();
    let listed = c.list_files(Some("docs/"), None, None).await.unwrap().items;
    assert_eq!(listed[0].sha256, rest.sha256);
    assert_eq!(listed[0].cid, rest.cid);

    // Ranged reads, and the ETag that PROPFIND reports.
    let ranged = dav.req("GET", "docs/a.bin").header("range", "bytes=10-19").send().await.unwrap();
    assert_eq!(ranged.status(), StatusCode::PARTIAL_CONTENT);
    let etag = ranged.headers()["etag"].to_str().unwrap().trim_matches('"').to_string();
    assert_eq!(ranged.bytes().await.unwrap(), data[10..20]);
    let (status, xml) = dav.propfind("docs/", "1", "").await;
    assert_eq!(status, StatusCode::MULTI_STATUS);
    assert!(xml.contains("<D:href>/dav/docs/a.bin</D:href>"), "{xml}");
    assert!(xml.contains(&etag), "{xml}");
    assert!(xml.contains("Tue, 14 Nov 2023 22:13:20 GMT"), "the X-OC-Mtime is the file's modified time: {xml}");
    assert!(xml.contains(&format!("SHA256:{}", rest.sha256)), "oc:checksums for rclone: {xml}");
    let named = r#"<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:displayname/></D:prop></D:propfind>"#;
    let (_, xml) = dav.propfind("docs/a.bin", "0", named).await;
    assert!(xml.contains(">a.bin</D:displayname>"), "{xml}");
    let quota = r#"<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:quota-used-bytes/><D:quota-available-bytes/></D:prop></D:propfind>"#;
    let (_, xml) = dav.propfind("", "0", quota).await;
    assert!(xml.contains(&format!("<D:quota-used-bytes>{}</D:quota-used-bytes>", 2 * data.len())), "{xml}");

    // COPY is server-side; MOVE renames; DELETE of a collection is recursive.
    let copy =
        dav.req("COPY", "docs/a.bin").header("destination", format!("{}/dav/docs/b.bin", s.base)).send().await.unwrap();
    assert_eq!(copy.status(), StatusCode::CREATED);
    let mv = dav.req("MOVE", "docs/").header("destination", format!("{}/dav/papers/", s.base)).send().await.unwrap();
    assert_eq!(mv.status(), StatusCode::CREATED);
    assert_eq!(c.get_path_bytes("papers/b.bin").await.unwrap(), data);
    assert_eq!(dav.status("DELETE", "papers/").await, StatusCode::NO_CONTENT);
    assert_eq!(c.get_path("papers/a.bin").await.unwrap_err().status().unwrap(), 404);
    assert_eq!(c.usage().await.unwrap().used_bytes, data.len() as u64, "only same.bin is left");
}

#[tokio::test]
async fn dead_properties_round_trip_and_follow_moves_and_copies() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let (_, dav, _) = with_app_password(&s, "alice").await;
    assert_eq!(dav.put("p.txt", "props").await, StatusCode::CREATED);
    let set = r#"<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:example:z"><D:set><D:prop><Z:colour>blue &amp; green</Z:colour></D:prop></D:set></D:propertyupdate>"#;
    let r = dav.req("PROPPATCH", "p.txt").body(set).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::MULTI_STATUS);
    let ask = r#"<?xml version="1.0"?><D:propfind xmlns:D="DAV:" xmlns:Z="urn:example:z"><D:prop><Z:colour/></D:prop></D:propfind>"#;
    let (_, xml) = dav.propfind("p.txt", "0", ask).await;
    assert!(xml.contains("blue &amp; green"), "{xml}");

    let mv = dav.req("MOVE", "p.txt").header("destination", format!("{}/dav/q.txt", s.base)).send().await.unwrap();
    assert_eq!(mv.status(), StatusCode::CREATED);
    assert!(dav.propfind("q.txt", "0", ask).await.1.contains("blue &amp; green"), "moved with the file");
    let cp = dav.req("COPY", "q.txt").header("destination", format!("{}/dav/r.txt", s.base)).send().await.unwrap();
    assert_eq!(cp.status(), StatusCode::CREATED);
    assert!(dav.propfind("r.txt", "0", ask).await.1.contains("blue &amp; green"), "copied with the file");

    let remove = r#"<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:example:z"><D:remove><D:prop><Z:colour/></D:prop></D:remove></D:propertyupdate>"#;
    assert_eq!(dav.req("PROPPATCH", "r.txt").body(remove).send().await.unwrap().status(), StatusCode::MULTI_STATUS);
    let (_, xml) = dav.propfind("r.txt", "0", ask).await;
    assert!(!xml.contains("blue"), "{xml}");
    assert!(dav.propfind("q.txt", "0", ask).await.1.contains("blue &amp; green"), "the original keeps its own");
}

#[tokio::test]
async fn quota_and_size_limits_answer_507_and_413_with_nothing_written() {
    crate::needs_backend!();
    let s = TestServer::start_with(|c| {
        c.default_quota_bytes = 4 * MIB as u64;
        c.max_upload_bytes = 2 * MIB as u64;
    })
    .await;
    let (c, dav, _) = with_app_password(&s, "alice").await;
    assert_eq!(dav.put("big.bin", vec![1u8; 3 * MIB]).await, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(dav.put("one.bin", vec![1u8; 2 * MIB]).await, StatusCode::CREATED);
    assert_eq!(dav.put("two.bin", vec![2u8; 2 * MIB - 1]).await, StatusCode::CREATED);
    assert_eq!(dav.put("three.bin", vec![3u8; 2]).await, StatusCode::INSUFFICIENT_STORAGE);
    // A body without a declared length is refused while it streams, all the same.
    let chunks = futures_util::stream::iter((0..4).map(|_| Ok::<_, std::io::Error>(vec![4u8; 64 * 1024])));
    let streamed = dav.req("PUT", "four.bin").body(reqwest::Body::wrap_stream(chunks)).send().await.unwrap();
    assert_eq!(streamed.status(), StatusCode::INSUFFICIENT_STORAGE);
    let names: Vec<String> = c.list_files(None, None, None).await.unwrap().items.into_iter().map(|f| f.path).collect();
    assert_eq!(names, ["one.bin", "two.bin"], "nothing partial");
    assert_eq!(c.usage().await.unwrap().used_bytes, (4 * MIB - 1) as u64);
}

#[tokio::test]
async fn bad_names_and_infinite_depth_are_refused_clearly() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let (_, dav, _) = with_app_password(&s, "alice").await;
    // Sent raw: an HTTP client would normalise the dot segment away.
    let auth = base64_basic("alice", &dav.password);
    let (status, _) = s.raw(&format!("PUT /dav/a/../b.txt HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx")).await;
    assert_eq!(status, 400);
    assert_eq!(dav.put("bad%01name", "x").await, StatusCode::BAD_REQUEST);
    assert_eq!(dav.status("MKCOL", "bad%01dir/").await, StatusCode::FORBIDDEN);
    let mv = dav.req("MOVE", "x").header("destination", format!("{}/dav/a/%2e%2e/y", s.base)).send().await.unwrap();
    assert_eq!(mv.status(), StatusCode::BAD_REQUEST);
    let (status, xml) = dav.propfind("", "infinity", "").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(xml.contains("propfind-finite-depth"), "{xml}");
    let broken_if =
        dav.req("PUT", "c.txt").header("if", "(<opaquelocktoken:abc> [\"unterminated").body("x").send().await.unwrap();
    assert_eq!(broken_if.status(), StatusCode::BAD_REQUEST);
    for method in ["PATCH", "POST", "REPORT", "SEARCH"] {
        let r = dav.req(method, "c.txt").send().await.unwrap();
        assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED, "{method}");
        assert!(r.headers()["allow"].to_str().unwrap().contains("PROPFIND"));
    }
    let partial = dav.req("PUT", "c.txt").header("content-range", "bytes 1-1/2").body("x").send().await.unwrap();
    assert_eq!(partial.status(), StatusCode::BAD_REQUEST, "partial writes are refused, not a server fault");
    assert_eq!(dav.status("HEAD", "c.txt").await, StatusCode::NOT_FOUND, "and leave nothing behind");
    let away = dav.req("COPY", "c").header("destination", "http://elsewhere.example/dav/x").send().await.unwrap();
    assert_eq!(away.status(), StatusCode::BAD_REQUEST, "a destination on another server");
    let outside = dav.req("COPY", "c").header("destination", format!("{}/elsewhere/x", s.base)).send().await.unwrap();
    assert_eq!(outside.status(), StatusCode::BAD_REQUEST, "a destination outside the mount");
    assert_eq!(dav.status("MKCOL", "box/").await, StatusCode::CREATED);
    for (from, to) in [("box/", "box/inner/"), ("", "x/"), ("box/", ""), ("c", "")] {
        let r = dav.req("COPY", from).header("destination", format!("{}/dav/{to}", s.base)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{from} into {to}");
    }
    let options = dav.req("OPTIONS", "").send().await.unwrap();
    assert_eq!(options.headers()["dav"], "1, 2, 3", "classes 1 and 2 (and 3), no partial updates");
}

#[tokio::test]
async fn another_users_paths_do_not_exist_by_any_method() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let (alice, a_dav, _) = with_app_password(&s, "alice").await;
    assert_eq!(a_dav.status("MKCOL", "private/").await, StatusCode::CREATED);
    assert_eq!(a_dav.put("private/secret.txt", "alice's").await, StatusCode::CREATED);
    let (bob, b_dav, _) = with_app_password(&s, "bob").await;

    // Bob's /dav/ is his own namespace: alice's paths are simply not there.
    for method in ["GET", "HEAD", "DELETE", "PROPPATCH", "UNLOCK"] {
        let status = b_dav.status(method, "private/secret.txt").await;
        assert!(status == StatusCode::NOT_FOUND || status == StatusCode::BAD_REQUEST, "{method}: {status}");
    }
    assert_eq!(b_dav.propfind("private/secret.txt", "0", "").await.0, StatusCode::NOT_FOUND);
    for method in ["COPY", "MOVE"] {
        let r = b_dav
            .req(method, "private/secret.txt")
            .header("destination", format!("{}/dav/stolen.txt", s.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{method}");
    }
    // The Nextcloud-style URL naming alice is 404 for bob, for any path, real or not.
    for path in ["", "private/secret.txt", "nothing-here"] {
        let r = reqwest::Client::new()
            .request(m("PROPFIND"), format!("{}/remote.php/dav/files/alice/{path}", s.base))
            .basic_auth("bob", Some(&b_dav.password))
            .header("depth", "0")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
    // What bob writes lands in his namespace, never in alice's.
    assert_eq!(b_dav.status("MKCOL", "private/").await, StatusCode::CREATED);
    assert_eq!(b_dav.put("private/secret.txt", "bob's").await, StatusCode::CREATED);
    let lock = r#"<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>"#;
    assert_eq!(b_dav.req("LOCK", "private/secret.txt").body(lock).send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(alice.get_path_bytes("private/secret.txt").await.unwrap(), "alice's");
    assert_eq!(bob.get_path_bytes("private/secret.txt").await.unwrap(), "bob's");
    // Bob's lock is on his file: alice writes hers freely.
    assert_eq!(a_dav.put("private/secret.txt", "still alice's").await, StatusCode::NO_CONTENT);
    // And alice's own Nextcloud-style URL is her namespace.
    let mine = reqwest::Client::new()
        .get(format!("{}/remote.php/dav/files/alice/private/secret.txt", s.base))
        .basic_auth("alice", Some(&a_dav.password))
        .send()
        .await
        .unwrap();
    assert_eq!(mine.text().await.unwrap(), "still alice's");
}

#[tokio::test]
async fn a_lock_is_honoured_by_put_delete_and_move() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let (_, dav, _) = with_app_password(&s, "alice").await;
    assert_eq!(dav.put("locked.txt", "v1").await, StatusCode::CREATED);
    let token = lock(&dav, "locked.txt").await;
    assert_eq!(dav.put("locked.txt", "v2").await, StatusCode::LOCKED);
    assert_eq!(dav.status("DELETE", "locked.txt").await, StatusCode::LOCKED);
    let mv =
        dav.req("MOVE", "locked.txt").header("destination", format!("{}/dav/moved.txt", s.base)).send().await.unwrap();
    assert_eq!(mv.status(), StatusCode::LOCKED);
    let with_token = dav.req("PUT", "locked.txt").header("if", format!("(<{token}>)")).body("v2").send().await.unwrap();
    assert_eq!(with_token.status(), StatusCode::NO_CONTENT);
    let unlock = dav.req("UNLOCK", "locked.txt").header("lock-token", format!("<{token}>")).send().await.unwrap();
    assert_eq!(unlock.status(), StatusCode::NO_CONTENT);
    assert_eq!(dav.status("DELETE", "locked.txt").await, StatusCode::NO_CONTENT);
}

fn base64_basic(user: &str, password: &str) -> String {
    use base64::Engine;
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
}

/// Takes an exclusive lock on `path` and returns its token.
async fn lock(dav: &Dav, path: &str) -> String {
    let body = r#"<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>test</D:owner></D:lockinfo>"#;
    let r = dav.req("LOCK", path).header("timeout", "Second-600").body(body).send().await.unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    r.headers()["lock-token"].to_str().unwrap().trim_matches(['<', '>']).to_string()
}

/// Random combinations of methods, paths, headers and bodies (malformed ones included):
/// never a 5xx. (dav-server panicked on two of these before the guards in front of it.)
#[tokio::test]
async fn no_request_gets_a_server_error() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let (_, dav, _) = with_app_password(&s, "alice").await;
    assert_eq!(dav.put("o.txt", "x").await, StatusCode::CREATED);
    let host = s.base.trim_start_matches("http://").to_string();
    let methods = [
        "PROPFIND",
        "PROPPATCH",
        "MKCOL",
        "GET",
        "HEAD",
        "PUT",
        "DELETE",
        "COPY",
        "MOVE",
        "LOCK",
        "UNLOCK",
        "OPTIONS",
        "PATCH",
        "POST",
        "REPORT",
    ];
    let paths = ["", "o.txt", "x%00y", "%", "a/b/c/", "%C0%AF", "o.txt?x=1", "d/"];
    let headers: Vec<(&str, String)> = vec![
        ("depth", "1".into()),
        ("depth", "infinity".into()),
        ("depth", "2".into()),
        ("depth", "".into()),
        ("destination", format!("http://{host}/dav/z.txt")),
        ("destination", "/dav/z.txt".into()),
        ("destination", format!("http://{host}/dav/")),
        ("destination", format!("http://{host}/dav")),
        ("destination", "::::".into()),
        ("destination", "http://other.example/dav/z".into()),
        ("overwrite", "F".into()),
        ("overwrite", "X".into()),
        ("timeout", "Second-abc".into()),
        ("timeout", "Infinite, Second-99999999999999999999".into()),
        ("if", "(<opaquelocktoken:x>)".into()),
        ("if", "<".into()),
        ("if", "([".into()),
        ("if", "(Not)".into()),
        ("if", "(((((".into()),
        ("lock-token", "<opaquelocktoken:nope>".into()),
        ("lock-token", "garbage".into()),
        ("range", "bytes=5-1".into()),
        ("range", "bytes=0-0,1-1".into()),
        ("content-range", "bytes x".into()),
        ("x-oc-mtime", "1e400".into()),
        ("if-match", "*".into()),
        ("if-none-match", "*".into()),
        ("content-type", "application/x-sabredav-partialupdate".into()),
        ("x-update-range", "bytes=0-1".into()),
    ];
    let bodies: [&[u8]; 7] = [
        b"",
        b"<",
        br#"<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>"#,
        br#"<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:getetag>x</D:getetag></D:prop></D:set></D:propertyupdate>"#,
        br#"<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:shared/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>"#,
        br#"<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope/></D:lockinfo>"#,
        b"\xff\xfe\x00",
    ];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    for _ in 0..1500 {
        let (method, path) = (methods[next(methods.len())], paths[next(paths.len())]);
        let mut req = dav.req(method, path).body(bodies[next(bodies.len())].to_vec());
        for _ in 0..next(4) {
            let (name, value) = &headers[next(headers.len())];
            req = req.header(*name, value.as_str());
        }
        let status = req.send().await.unwrap().status();
        assert!(!status.is_server_error(), "{method} /dav/{path}: {status}");
    }
}

#[tokio::test]
async fn wrong_basic_passwords_are_throttled_like_logins() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let (_, dav, _) = with_app_password(&s, "alice").await;
    let wrong = Dav::new(&s, "alice", "nmbapp_guess");
    let mut statuses = Vec::new();
    for _ in 0..7 {
        statuses.push(wrong.status("PROPFIND", "").await.as_u16());
    }
    assert_eq!(&statuses[..5], [401; 5]);
    let limited = wrong.req("PROPFIND", "").send().await.unwrap();
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers().contains_key("retry-after"));
    // The same limits as a login: the JSON login from this address is limited too.
    let login = reqwest::Client::new()
        .post(format!("{}/api/v1/auth/login", s.base))
        .json(&serde_json::json!({"username": "alice", "password": "wrong guess"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::TOO_MANY_REQUESTS);
    drop(dav);
}
