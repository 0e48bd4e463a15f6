//! Health, readiness, metrics, and the OpenAPI document.

use crate::common::TestServer;
use nimbus_client::PutOptions;
use reqwest::Method;

#[tokio::test]
async fn health_and_readiness() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    assert_eq!(s.anon.health(false).await.unwrap().status, "ok");
    let r = s.anon.health(true).await.unwrap();
    assert_eq!(r.status, "ok");
    assert_eq!(r.checks["metadata"], "ok");
    assert_eq!(r.checks["blobs"], "ok");
}

#[tokio::test]
async fn metrics_are_keyed_by_route_template_and_count_bytes() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let c = s.user("alice").await;
    c.put("secret-name.txt", "12345", &PutOptions::default()).await.unwrap();
    c.get_path_bytes("secret-name.txt").await.unwrap();
    let text = s.anon.request(Method::GET, "/metrics").send().await.unwrap().text().await.unwrap();
    assert!(text.contains("nimbus_http_requests_total"), "{text}");
    assert!(text.contains("route=\"/api/v1/fs/{*path}\""), "{text}");
    assert!(text.contains("nimbus_http_request_duration_seconds"));
    assert!(text.contains("nimbus_upload_bytes_total") && text.contains("nimbus_download_bytes_total"));
    assert!(!text.contains("secret-name"), "raw paths never become labels");
}

#[tokio::test]
async fn openapi_covers_every_route_and_docs_render() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let doc: serde_json::Value =
        s.anon.request(Method::GET, "/api/v1/openapi.json").send().await.unwrap().json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for (path, methods) in [
        ("/api/v1/auth/register", &["post"][..]),
        ("/api/v1/auth/login", &["post"]),
        ("/api/v1/auth/logout", &["post"]),
        ("/api/v1/me", &["get", "patch", "delete"]),
        ("/api/v1/me/password", &["put"]),
        ("/api/v1/files", &["get", "post"]),
        ("/api/v1/files/{id}", &["get", "patch", "delete"]),
        ("/api/v1/files/{id}/content", &["get"]),
        ("/api/v1/files/{id}/copy", &["post"]),
        ("/api/v1/folders", &["post"]),
        ("/api/v1/uploads", &["post", "options"]),
        ("/api/v1/uploads/{id}", &["head", "patch", "delete", "get"]),
        ("/api/v1/folders/{path}", &["get", "patch", "delete"]),
        ("/api/v1/fs/{path}", &["get", "head", "put", "delete"]),
        ("/api/v1/files/{id}/car", &["get"]),
        ("/api/v1/cid/{cid}", &["get"]),
        ("/api/v1/files/{id}/shares", &["get", "post"]),
        ("/api/v1/files/{id}/shares/{user_id}", &["delete"]),
        ("/api/v1/shared", &["get"]),
        ("/api/v1/files/{id}/links", &["get", "post"]),
        ("/api/v1/links/{id}", &["delete"]),
        ("/api/v1/files/{id}/download-url", &["post"]),
        ("/api/v1/signed/{token}", &["get"]),
        ("/s/{token}", &["get"]),
        ("/s/{token}/content", &["get"]),
        ("/api/v1/messages", &["get", "post"]),
        ("/api/v1/messages/{id}/read", &["post"]),
        ("/api/v1/messages/{id}", &["delete"]),
        ("/api/v1/me/usage", &["get"]),
        ("/api/v1/me/plan", &["put"]),
        ("/api/v1/me/activity", &["post"]),
        ("/api/v1/me/devices", &["get", "post"]),
        ("/api/v1/me/devices/{id}", &["delete"]),
        ("/api/v1/auth/device", &["post"]),
        ("/api/v1/admin/users", &["get"]),
        ("/api/v1/admin/users/{id}", &["patch"]),
        ("/api/v1/auth/password-reset", &["post"]),
        ("/api/v1/auth/password-reset/confirm", &["post"]),
        ("/api/v1/me/avatar", &["put", "delete"]),
        ("/api/v1/users/{id}/avatar", &["get"]),
        ("/api/v1/users/{username}", &["get"]),
        ("/api/v1/me/storage", &["get", "put", "delete"]),
        ("/healthz", &["get"]),
        ("/readyz", &["get"]),
        ("/metrics", &["get"]),
    ] {
        for m in methods {
            assert!(paths.get(path).and_then(|p| p.get(*m)).is_some(), "{m} {path} missing from OpenAPI");
        }
    }
    let client = reqwest::Client::new();
    let page = client.get(format!("{}/api/docs/", s.base)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["x-frame-options"], "DENY", "no other site may frame it");
    assert!(page.headers()["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
    assert!(page.text().await.unwrap().contains("swagger"), "the docs page is Swagger UI");
}

/// Query parameters are declared `in: query` and optional, path parameters `in: path`
/// and required, and every operation has one summary: generated clients depend on it.
#[tokio::test]
async fn openapi_parameters_and_summaries_are_right() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let doc: serde_json::Value =
        s.anon.request(Method::GET, "/api/v1/openapi.json").send().await.unwrap().json().await.unwrap();
    let mut query_params = std::collections::BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let summary = op["summary"].as_str().unwrap_or("");
            assert!(!summary.is_empty(), "{method} {path} has no summary");
            for p in op["parameters"].as_array().into_iter().flatten() {
                let (name, place) = (p["name"].as_str().unwrap(), p["in"].as_str().unwrap());
                let required = p["required"].as_bool().unwrap_or(false);
                match place {
                    "path" => {
                        assert!(
                            path.contains(&format!("{{{name}}}")),
                            "{method} {path}: '{name}' is no path parameter"
                        );
                        assert!(required, "{method} {path}: path parameter '{name}' must be required");
                    }
                    "query" => {
                        assert!(!required, "{method} {path}: query parameter '{name}' must be optional");
                        query_params.insert(name.to_string());
                    }
                    _ => {}
                }
            }
        }
    }
    for name in ["prefix", "delimiter", "q", "limit", "cursor", "dir", "on_conflict", "inline", "box"] {
        assert!(query_params.contains(name), "'{name}' is not declared as a query parameter");
    }
}

/// Unknown query parameters are refused, naming them, instead of silently doing nothing.
#[tokio::test]
async fn unknown_query_parameters_are_refused_by_name() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let c = s.user("alice").await;
    for url in ["/api/v1/files?sort=name", "/api/v1/shared?order=asc", "/api/v1/messages?folder=x"] {
        let r = c.request(Method::GET, url).send().await.unwrap();
        assert_eq!(r.status(), 400, "{url}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "bad_request");
        let unknown = url.split(['?', '=']).nth(1).unwrap();
        assert!(body["error"]["message"].as_str().unwrap().contains(unknown), "{url}: {body}");
    }
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json_errors() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let r = s.anon.request(Method::GET, "/api/v1/nope").send().await.unwrap();
    assert_eq!(r.status(), 404);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
    let r = s.anon.request(Method::PUT, "/api/v1/auth/login").send().await.unwrap();
    assert_eq!(r.status(), 405);
}

/// The start-up message says where to go and where the data is, at any log level, and
/// no raw configuration dump.
#[tokio::test]
async fn start_up_names_the_url_the_data_and_the_first_admin_rule() {
    crate::needs_backend!();
    if crate::BACKEND != crate::common::Backend::Sqlite {
        return; // the embedded default is what a newcomer starts; one run is enough
    }
    let dir = tempfile::tempdir().unwrap();
    let server = crate::process::ServerProcess::start_logging(dir.path(), &[], "warn");
    let log = server.log.clone();
    let whole = crate::common::eventually(10, || log.lock().unwrap().iter().any(|l| l.contains("API docs"))).await;
    let said = server.log.lock().unwrap().join("\n");
    assert!(whole, "{said}");
    let data_dir = std::path::absolute(dir.path()).unwrap();
    assert!(said.contains(&format!("open {}", server.base)), "{said}");
    assert!(said.contains(&data_dir.display().to_string()), "the absolute data dir: {said}");
    assert!(said.contains("SQLite at") && said.contains("local disk at"), "{said}");
    assert!(said.contains("written to the log"), "mail goes to the log: {said}");
    assert!(said.contains("first account registered becomes the admin"), "{said}");
    assert!(!said.contains("Config {"), "no debug dump: {said}");
    let r = reqwest::get(format!("{}/healthz", server.base)).await.unwrap();
    assert_eq!(r.status(), 200);
}

/// With `metrics_token` set, /metrics needs it; without, it stays open (loopback setups).
#[tokio::test]
async fn metrics_can_require_a_token() {
    crate::needs_backend!();
    let s = TestServer::start_with(|c| c.metrics_token = Some("metrics-secret-123".into())).await;
    assert_eq!(s.anon.request(Method::GET, "/metrics").send().await.unwrap().status(), 401);
    let wrong = s.anon.request(Method::GET, "/metrics").bearer_auth("metrics-secret-124").send().await.unwrap();
    assert_eq!(wrong.status(), 401);
    let right = s.anon.request(Method::GET, "/metrics").bearer_auth("metrics-secret-123").send().await.unwrap();
    assert_eq!(right.status(), 200);
    assert!(right.text().await.unwrap().contains("nimbus_"));
}
