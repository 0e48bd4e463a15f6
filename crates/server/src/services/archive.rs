//! Downloading folders and selections as one zip stream: the caller's own files and
//! folders, each file read through the same verified, metered read as a single download,
//! so a damaged file is refused and the bytes count as downloaded.

use super::files::{Files, Object};
use super::{FileRef, Principal, ReadOutcome, ReadRequest};
use crate::blob::ByteStream;
use crate::content::{ZipEncoder, ZipEntry};
use crate::domain::{FilePath, name_of};
use crate::error::{Error, Result};
use crate::meta::FileRecord;
use bytes::Bytes;
use futures_util::StreamExt;
use std::collections::HashSet;
use std::io;

/// At most this many entries in one archive (the central directory is kept in memory
/// while the archive streams: about 100 bytes per entry).
pub const MAX_ARCHIVE_ENTRIES: usize = 200_000;
/// At most this many paths named in one request.
pub const MAX_ARCHIVE_PATHS: usize = 1_000;

/// What goes into an archive, in order.
pub struct ArchivePlan {
    /// The file name to offer (`photos.zip`, or `nimbus.zip` for a mixed selection).
    pub file_name: String,
    entries: Vec<(ZipEntry, Option<FileRecord>)>,
}

impl ArchivePlan {
    /// The archive's exact length in bytes.
    pub fn len(&self) -> u64 {
        let entries: Vec<ZipEntry> = self.entries.iter().map(|(e, _)| e.clone()).collect();
        ZipEncoder::archive_len(&entries)
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl Files {
    /// Plans the archive of `paths` (files or folders of the caller, each with everything
    /// below it). Names inside start at each item's own name; a second item with the same
    /// name gets ` (2)`. Unknown paths are 404; damaged files refuse the whole archive
    /// before a byte is sent (409).
    pub async fn archive_plan(&self, who: &Principal, paths: &[String]) -> Result<ArchivePlan> {
        if paths.is_empty() || paths.len() > MAX_ARCHIVE_PATHS {
            return Err(Error::BadRequest(format!("name between 1 and {MAX_ARCHIVE_PATHS} paths")));
        }
        let mut entries = Vec::new();
        let mut taken = HashSet::new();
        for raw in paths {
            let path = FilePath::parse(raw)?;
            let top = unique_name(&mut taken, name_of(path.as_str()));
            match self.stat(who, FileRef::Path(&path)).await {
                // A path names the caller's own file (paths are per owner).
                Ok((file, _)) => {
                    entries.push((entry(&top, &file), Some(file)));
                    continue;
                }
                Err(Error::NotFound) => {}
                Err(e) => return Err(e),
            }
            let folder = self.folder(who, &path).await?;
            entries.push((ZipEntry { name: format!("{top}/"), size: 0, mtime: folder.updated_at.unix_secs() }, None));
            let prefix = format!("{}/", folder.path);
            let mut after = String::new();
            loop {
                let page = self.list_objects(who, &prefix, &after, 1000).await?;
                let Some(last) = page.last() else { break };
                after = last.key();
                for object in page {
                    let inside = format!("{top}/{}", &object.key()[prefix.len()..]);
                    match object {
                        Object::File(f) => entries.push((entry(&inside, &f), Some(f))),
                        Object::EmptyFolder(d) => {
                            entries.push((ZipEntry { name: inside, size: 0, mtime: d.updated_at.unix_secs() }, None));
                        }
                    }
                }
                if entries.len() > MAX_ARCHIVE_ENTRIES {
                    return Err(Error::BadRequest(format!(
                        "more than {MAX_ARCHIVE_ENTRIES} files: download the folders one by one"
                    )));
                }
            }
        }
        if entries.iter().any(|(_, f)| f.as_ref().is_some_and(|f| f.damaged_at.is_some())) {
            return Err(Error::ContentDamaged);
        }
        let file_name = match paths {
            [one] => format!("{}.zip", name_of(one.trim_end_matches('/'))),
            _ => "nimbus.zip".into(),
        };
        Ok(ArchivePlan { file_name, entries })
    }

    /// Streams the planned archive. A read that fails midway (a file deleted or found
    /// damaged meanwhile) ends the stream with an error, so the client sees a failed
    /// download rather than a wrong archive.
    pub fn archive_stream(&self, who: Principal, plan: ArchivePlan) -> ByteStream {
        let files = self.clone();
        let (tx, rx) = tokio::sync::mpsc::channel::<io::Result<Bytes>>(4);
        tokio::spawn(async move {
            let mut zip = ZipEncoder::new();
            for (entry, file) in plan.entries {
                let size = entry.size;
                if tx.send(Ok(Bytes::from(zip.begin(entry)))).await.is_err() {
                    return;
                }
                let mut crc = crc32fast::Hasher::new();
                if let Some(file) = file {
                    match copy_file(&files, &who, &file, size, &mut crc, &tx).await {
                        Ok(true) => {}
                        Ok(false) => return, // the client went away
                        Err(e) => {
                            let _ = tx.send(Err(io::Error::other(e.to_string()))).await;
                            return;
                        }
                    }
                }
                if tx.send(Ok(Bytes::from(zip.end(crc.finalize())))).await.is_err() {
                    return;
                }
            }
            let _ = tx.send(Ok(Bytes::from(zip.finish()))).await;
        });
        futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) }).boxed()
    }
}

/// Sends one file's bytes; `Ok(false)` when the receiver is gone.
async fn copy_file(
    files: &Files,
    who: &Principal,
    file: &FileRecord,
    size: u64,
    crc: &mut crc32fast::Hasher,
    tx: &tokio::sync::mpsc::Sender<io::Result<Bytes>>,
) -> Result<bool> {
    let ReadOutcome::Content(content) = files.open(who, FileRef::Id(&file.id), &ReadRequest::default()).await? else {
        return Err(Error::Conflict("the file changed while the archive was made".into()));
    };
    if content.file.sha256 != file.sha256 {
        return Err(Error::Conflict("the file changed while the archive was made".into()));
    }
    let mut body = content.body.ok_or(Error::NotFound)?;
    let mut sent = 0u64;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| Error::Internal(e.into()))?;
        crc.update(&chunk);
        sent += chunk.len() as u64;
        if tx.send(Ok(chunk)).await.is_err() {
            return Ok(false);
        }
    }
    if sent != size {
        return Err(Error::Conflict("the file changed while the archive was made".into()));
    }
    Ok(true)
}

fn entry(name: &str, f: &FileRecord) -> ZipEntry {
    ZipEntry { name: name.to_string(), size: u64::try_from(f.size).unwrap_or(0), mtime: f.modified_at.unix_secs() }
}

/// `name`, or `name (2)`, `name (3)`… if taken (before the extension for files).
fn unique_name(taken: &mut HashSet<String>, name: &str) -> String {
    let mut candidate = name.to_string();
    let (stem, ext) = match name.rfind('.') {
        Some(i) if i > 0 => (&name[..i], &name[i..]),
        _ => (name, ""),
    };
    let mut n = 2;
    while !taken.insert(candidate.to_lowercase()) {
        candidate = format!("{stem} ({n}){ext}");
        n += 1;
    }
    candidate
}
