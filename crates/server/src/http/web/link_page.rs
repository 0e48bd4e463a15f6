//! `GET /s/{token}`: the page a public link opens, with the file's name, size and a
//! download button (and a password field when the link has a password).

use crate::domain::new_id;
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
    let nonce = new_id();
    let action = if link.password_hash.is_some() {
        format!(
            r#"<form id="f"><label>Password <input type="password" id="pw" required autofocus></label>
<button type="submit">Download</button></form><p id="err" role="alert"></p>
<script nonce="{nonce}">
document.getElementById('f').addEventListener('submit', async (e) => {{
  e.preventDefault();
  const r = await fetch('{href}', {{ headers: {{ 'X-Link-Password': document.getElementById('pw').value }} }});
  if (!r.ok) {{ document.getElementById('err').textContent = r.status === 401 ? 'Wrong password.' : 'This link no longer works.'; return; }}
  const a = document.createElement('a');
  a.href = URL.createObjectURL(await r.blob());
  a.download = {name_js};
  a.click();
}});
</script>"#,
            name_js =
                serde_json::to_string(crate::domain::name_of(&file.path)).unwrap_or_default().replace('<', "\\u003c")
        )
    } else {
        format!(r#"<a class="button" href="{href}" download>Download</a>"#)
    };
    let page = format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{name} · Nimbus</title>
<style>body{{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem}}
.button,button{{display:inline-block;padding:.6rem 1.2rem;background:#2457d6;color:#fff;border:0;border-radius:.4rem;text-decoration:none;font-size:1rem}}
input{{padding:.5rem;margin:.5rem}}</style></head>
<body><h1>{name}</h1><p>{size}</p>{action}</body></html>"#
    );
    let csp = format!(
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-{nonce}'; connect-src 'self'; form-action 'none'; frame-ancestors 'none'"
    );
    Ok((
        [
            (header::CONTENT_SECURITY_POLICY, csp),
            (header::REFERRER_POLICY, "no-referrer".to_string()),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        Html(page),
    ))
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
