//! The server side as the commands see it: what is at a path (a file, a folder, or
//! nothing), every file below a folder, and the small conversions the output needs.

use crate::fail::{CliError, CliResult, with_retries};
use nimbus_api::{Entry, File};
use nimbus_client::{Client, ListOptions};

/// What is at a remote path (short-lived, so the size of the file variant is fine).
#[allow(clippy::large_enum_variant)]
pub enum Remote {
    File(File),
    Folder,
    Nothing,
}

/// A remote path as the API wants it: no slashes at either end ("" for the top).
pub fn clean(path: &str) -> String {
    path.trim_matches('/').to_string()
}

pub fn join(dir: &str, name: &str) -> String {
    match clean(dir).as_str() {
        "" => clean(name),
        d => format!("{d}/{}", clean(name)),
    }
}

/// The file or folder at `path` (the top folder for "").
pub async fn stat(c: &Client, path: &str) -> CliResult<Remote> {
    let path = clean(path);
    if path.is_empty() {
        return Ok(Remote::Folder);
    }
    // Listing by the exact path finds the file first if it exists (`a.txt` sorts
    // before `a.txt2`).
    let opts = ListOptions { prefix: Some(path.clone()), limit: Some(1), ..Default::default() };
    let page = with_retries(|| c.list(&opts)).await?;
    if let Some(Entry::File(f)) = page.items.into_iter().next()
        && f.path == path
    {
        return Ok(Remote::File(f));
    }
    match with_retries(|| c.folder(&path)).await {
        Ok(_) => Ok(Remote::Folder),
        Err(e) if e.status() == Some(reqwest::StatusCode::NOT_FOUND) => Ok(Remote::Nothing),
        Err(e) => Err(e.into()),
    }
}

/// The file at `path`, or a not-found error naming it.
pub async fn file(c: &Client, path: &str) -> CliResult<File> {
    match stat(c, path).await? {
        Remote::File(f) => Ok(f),
        Remote::Folder => Err(CliError::usage(format!("{path} is a folder"))),
        Remote::Nothing => Err(CliError::not_found(path)),
    }
}

/// Every file below folder `dir` (all of them for ""), page by page.
pub async fn files_below(c: &Client, dir: &str) -> CliResult<Vec<File>> {
    let dir = clean(dir);
    let prefix = if dir.is_empty() { None } else { Some(format!("{dir}/")) };
    let mut opts = ListOptions { prefix, limit: Some(1000), ..Default::default() };
    let mut out = Vec::new();
    loop {
        let page = with_retries(|| c.list(&opts)).await?;
        out.extend(page.items.into_iter().filter_map(|e| match e {
            Entry::File(f) => Some(f),
            Entry::Folder(_) => None,
        }));
        match page.next_cursor {
            Some(next) => opts.cursor = Some(next),
            None => return Ok(out),
        }
    }
}

/// One level of folder `dir`: folders first, then files.
pub async fn level(c: &Client, dir: &str) -> CliResult<Vec<Entry>> {
    let dir = clean(dir);
    let prefix = if dir.is_empty() { None } else { Some(format!("{dir}/")) };
    let mut opts = ListOptions { prefix, one_level: true, limit: Some(1000), ..Default::default() };
    let mut out = Vec::new();
    loop {
        let page = with_retries(|| c.list(&opts)).await?;
        out.extend(page.items);
        match page.next_cursor {
            Some(next) => opts.cursor = Some(next),
            None => return Ok(out),
        }
    }
}

/// Unix seconds of an RFC 3339 time from the API.
pub fn unix_secs(rfc3339: &str) -> Option<i64> {
    time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| t.unix_timestamp())
}

/// `1.5 MiB`, or the exact number of bytes.
pub fn size(bytes: u64, human: bool) -> String {
    if !human {
        return bytes.to_string();
    }
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} B") } else { format!("{value:.1} {}", UNITS[unit]) }
}

/// `7d`, `12h`, `30m`, `45s` or plain seconds, as seconds.
pub fn duration_secs(text: &str) -> CliResult<i64> {
    let text = text.trim();
    let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()));
    let n: i64 = number.parse().map_err(|_| CliError::usage(format!("not a duration: {text} (try 7d, 12h, 30m)")))?;
    let per = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return Err(CliError::usage(format!("not a duration: {text} (try 7d, 12h, 30m)"))),
    };
    Ok(n * per)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_people_write_them() {
        assert_eq!(size(512, true), "512 B");
        assert_eq!(size(1536, true), "1.5 KiB");
        assert_eq!(size(5 * 1024 * 1024, true), "5.0 MiB");
        assert_eq!(size(1536, false), "1536");
    }

    #[test]
    fn durations() {
        assert_eq!(duration_secs("7d").unwrap(), 604_800);
        assert_eq!(duration_secs("90").unwrap(), 90);
        assert!(duration_secs("soon").is_err());
    }

    #[test]
    fn paths_join_without_double_slashes() {
        assert_eq!(join("", "a.txt"), "a.txt");
        assert_eq!(join("/docs/", "/a.txt"), "docs/a.txt");
    }
}
