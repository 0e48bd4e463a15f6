//! Moving one file each way. Uploads above `RESUMABLE_FROM` go through tus, and the
//! upload's URL is remembered, so running the same `put` again after an interruption
//! continues where the server's offset says; smaller ones are one PUT. Downloads land
//! in `<name>.nimbus-part` beside the target, continue from its length with a Range
//! (If-Range the file's ETag, so a changed file starts over), are checked against the
//! SHA-256 and renamed into place only then.

use crate::fail::{CliError, CliResult, Failure, with_retries};
use crate::profile::config_dir;
use crate::progress::Bar;
use futures_util::StreamExt;
use nimbus_api::File;
use nimbus_client::{Client, PutOptions, fs_url};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

/// Files from this size on are uploaded resumably, in chunks of this size.
pub const RESUMABLE_FROM: u64 = 8 << 20;
const CHUNK: usize = 8 << 20;

/// The tus URLs of unfinished uploads, by what they upload.
#[derive(Default, Serialize, Deserialize)]
struct Pending {
    #[serde(default)]
    uploads: BTreeMap<String, String>,
}

static PENDING_LOCK: Mutex<()> = Mutex::new(());

fn pending_path() -> CliResult<PathBuf> {
    Ok(config_dir()?.join("uploads.json"))
}

fn pending_edit(change: impl FnOnce(&mut Pending)) -> CliResult<()> {
    let _one_writer = PENDING_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let path = pending_path()?;
    let mut pending: Pending =
        std::fs::read(&path).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
    change(&mut pending);
    std::fs::create_dir_all(path.parent().expect("in a folder"))?;
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(&pending).expect("serializes"))?;
    std::fs::rename(tmp, path)?;
    Ok(())
}

fn pending_get(key: &str) -> Option<String> {
    let path = pending_path().ok()?;
    let pending: Pending = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    pending.uploads.get(key).cloned()
}

/// A local file's SHA-256 (hex), read in the background.
pub async fn sha256_of(path: &Path) -> CliResult<String> {
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || -> std::io::Result<String> {
        let mut file = std::fs::File::open(path)?;
        let mut hasher = Sha256::new();
        std::io::copy(&mut file, &mut hasher)?;
        Ok(hex::encode(hasher.finalize()))
    })
    .await
    .map_err(|e| CliError::new(Failure::Error, e.to_string()))?
    .map_err(CliError::from)
}

pub fn mtime_secs(meta: &std::fs::Metadata) -> Option<i64> {
    let t = meta.modified().ok()?;
    Some(t.duration_since(SystemTime::UNIX_EPOCH).ok()?.as_secs() as i64)
}

/// Uploads `local` to `remote`, replacing what is there; returns the bytes sent.
pub async fn upload(c: &Client, local: &Path, remote: &str, bar: &Bar) -> CliResult<u64> {
    let meta = tokio::fs::metadata(local).await?;
    let size = meta.len();
    let mtime = mtime_secs(&meta);
    bar.start(remote, size);
    if size < RESUMABLE_FROM {
        let data = tokio::fs::read(local).await?;
        let opts = PutOptions { mtime, ..Default::default() };
        with_retries(|| c.put(remote, data.clone(), &opts)).await?;
        bar.advance(size);
        return Ok(size);
    }
    upload_resumable(c, local, remote, size, mtime, bar).await
}

async fn upload_resumable(
    c: &Client,
    local: &Path,
    remote: &str,
    size: u64,
    mtime: Option<i64>,
    bar: &Bar,
) -> CliResult<u64> {
    let absolute = std::fs::canonicalize(local)?;
    let key = format!("{} {remote} {} {size} {}", c.base_url(), absolute.display(), mtime.unwrap_or(0));
    // Continue the upload a previous run started, if the server still has it.
    let mut location = None;
    let mut offset = 0;
    if let Some(url) = pending_get(&key)
        && let Ok((at, _)) = with_retries(|| c.upload_offset(&url)).await
    {
        offset = at;
        location = Some(url);
    }
    let location = match location {
        Some(l) => l,
        None => {
            let mtime_text = mtime.map(|m| m.to_string());
            let mut meta = vec![("path", remote), ("on_conflict", "overwrite")];
            if let Some(m) = mtime_text.as_deref() {
                meta.push(("mtime", m));
            }
            let url = with_retries(|| c.create_upload(Some(size), &meta)).await?;
            pending_edit(|p| {
                p.uploads.insert(key.clone(), url.clone());
            })?;
            url
        }
    };
    bar.advance(offset);
    let mut file = tokio::fs::File::open(local).await?;
    file.seek(std::io::SeekFrom::Start(offset)).await?;
    let mut sent = 0u64;
    while offset < size {
        let mut chunk = vec![0u8; CHUNK.min((size - offset) as usize)];
        file.read_exact(&mut chunk).await?;
        let len = chunk.len() as u64;
        match with_retries(|| c.append_upload(&location, offset, chunk.clone(), None)).await {
            Ok(o) => {
                offset = o;
                sent += len;
                bar.advance(len);
            }
            // The server is elsewhere (an earlier try, or the interrupted run's last
            // request, went through after all): continue from where it is.
            Err(e) if e.status() == Some(reqwest::StatusCode::CONFLICT) => {
                let (at, _) = c.upload_offset(&location).await?;
                bar.advance(at.saturating_sub(offset));
                offset = at;
                file.seek(std::io::SeekFrom::Start(at)).await?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    pending_edit(|p| {
        p.uploads.remove(&key);
    })?;
    Ok(sent)
}

/// Downloads `file` to `target`, continuing a partial download (also when the
/// connection breaks on the way: up to three more tries, each from where the last one
/// stopped); returns the bytes received.
pub async fn download(c: &Client, file: &File, target: &Path, bar: &Bar) -> CliResult<u64> {
    let mut received = 0;
    for attempt in 0..4 {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
        }
        match download_once(c, file, target, bar, attempt == 0).await? {
            (got, true) => return Ok(received + got),
            (got, false) => received += got,
        }
    }
    Err(CliError::new(Failure::Error, format!("download of {} kept breaking off; run it again to continue", file.path)))
}

/// One request: the bytes received and whether the file is complete (false: the
/// connection broke, what arrived is kept in the partial file).
async fn download_once(c: &Client, file: &File, target: &Path, bar: &Bar, first: bool) -> CliResult<(u64, bool)> {
    let part = partial_path(target);
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        tokio::fs::create_dir_all(dir).await?;
    }
    if first {
        bar.start(&file.path, file.size);
    }
    let mut have = tokio::fs::metadata(&part).await.map(|m| m.len()).unwrap_or(0);
    if have > file.size {
        have = 0;
    }
    let mut request = c.request(reqwest::Method::GET, &fs_url(&file.path));
    if have > 0 {
        request = request.header("range", format!("bytes={have}-")).header("if-range", format!("\"{}\"", file.sha256));
    }
    let resp = match request.send().await {
        Ok(r) if r.status().is_server_error() => return Ok((0, false)),
        Ok(r) => nimbus_client::check(r).await?,
        Err(e) if e.is_connect() || e.is_timeout() || e.is_request() => return Ok((0, false)),
        Err(e) => return Err(nimbus_client::ClientError::from(e).into()),
    };
    let resumed = resp.status() == reqwest::StatusCode::PARTIAL_CONTENT;
    let mut out =
        tokio::fs::OpenOptions::new().create(true).append(resumed).write(true).truncate(!resumed).open(&part).await?;
    // The hash covers the bytes already there, read once, then the new ones as they come.
    let mut hasher = Sha256::new();
    if resumed {
        let mut existing = tokio::fs::File::open(&part).await?;
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = existing.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        if first {
            // (A later try's partial bytes were counted as they arrived.)
            bar.advance(have);
        }
    }
    let mut received = 0u64;
    let mut body = resp.bytes_stream();
    while let Some(chunk) = body.next().await {
        let Ok(chunk) = chunk else {
            // Keep what arrived: the next try continues from it.
            out.sync_all().await?;
            return Ok((received, false));
        };
        out.write_all(&chunk).await?;
        hasher.update(&chunk);
        received += chunk.len() as u64;
        bar.advance(chunk.len() as u64);
    }
    out.sync_all().await?;
    drop(out);
    let got = hex::encode(hasher.finalize());
    if got != file.sha256 {
        let _ = tokio::fs::remove_file(&part).await;
        return Err(CliError::new(Failure::Error, format!("{}: the download does not match its SHA-256", file.path)));
    }
    tokio::fs::rename(&part, target).await?;
    if let Some(secs) = crate::remote::unix_secs(&file.modified_at) {
        let when = SystemTime::UNIX_EPOCH + Duration::from_secs(secs.max(0) as u64);
        let _ = std::fs::File::options().write(true).open(target).and_then(|f| f.set_modified(when));
    }
    Ok((received, true))
}

pub fn partial_path(target: &Path) -> PathBuf {
    let mut name = target.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".nimbus-part");
    target.with_file_name(name)
}
