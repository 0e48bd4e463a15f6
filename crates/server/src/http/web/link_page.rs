//! `GET /s/{token}`: the page a public link opens, with the file's name, size and a
//! download button (and a password field when the link has a password).

use crate::http::AppState;
use crate::http::error::ApiResult;
use crate::http::extract::Param;
use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse};

/// Escapes text for HTML element content and attribute values.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `1536` → `1.5 KiB`.
fn human_size(n: i64) -> String {
    let units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < units.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 { format!("{n} bytes") } else { format!("{v:.1} {}", units[u]) }
}

#[utoipa::path(get, path = "/s/{token}", summary = "The public link page", tag = "links", params(("token" = String, Path)),
    responses((status = 200, content_type = "text/html", description = "the link's page"), (status = 404, description = "link_not_found")))]
pub async fn link_page(State(s): State<AppState>, Param(token): Param) -> ApiResult<impl IntoResponse> {
    let (link, file) = s.services.links.resolve(&token).await?;
    let name = escape(crate::domain::name_of(&file.path));
    let href = format!("/s/{}/content", escape(&token));
    let size = human_size(file.size);
    // A password travels in a header (never in the URL), so that download needs the
    // page's script; a link without one is a plain download link.
    let action = if link.password_hash.is_some() {
        format!(
            r#"<form id="link-form" class="stack" data-href="{href}" data-name="{name}">
<div class="field"><label for="pw">This link is protected. Password</label><input type="password" id="pw" name="password" required autofocus autocomplete="off"></div>
<p id="link-error" class="form-error-text" role="alert"></p>
<footer><button type="submit" class="primary">Download</button></footer></form>"#
        )
    } else {
        format!(r#"<a class="button primary" href="{href}" download>Download</a>"#)
    };
    let page = format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark"><meta name="robots" content="noindex"><title>{name} · Nimbus</title>
<link rel="icon" href="/assets/icon.svg" type="image/svg+xml"><link rel="stylesheet" href="/assets/app.css">
<script type="module" src="/assets/js/link.js"></script></head>
<body><main class="link-page"><div class="auth-brand"><img src="/assets/icon.svg" alt="" width="40" height="40"><span>Nimbus</span></div>
<h1>{name}</h1><p class="muted">{size} · shared with you through a link</p>{action}</main></body></html>"#
    );
    let mut headers = crate::http::web::page_headers();
    headers.insert(header::REFERRER_POLICY, header::HeaderValue::from_static("no-referrer"));
    headers.insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    Ok((headers, Html(page)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_markup_and_formats_sizes() {
        assert_eq!(super::escape(r#"<b>"x"&'y'"#), "&lt;b&gt;&quot;x&quot;&amp;&#39;y&#39;");
        assert_eq!(super::human_size(10), "10 bytes");
        assert_eq!(super::human_size(1536), "1.5 KiB");
    }
}
