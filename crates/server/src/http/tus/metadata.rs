//! tus `Upload-Metadata`: comma-separated `key base64(value)` pairs. Nimbus reads
//! `filename`, `dir` or `path`, `on_conflict`, `filetype` (or `type`) and `mtime`.

use crate::domain::{FilePath, Timestamp};
use crate::error::{Error, Result};
use crate::meta::WriteMode;
use base64::Engine;
use std::collections::HashMap;

pub struct Metadata(HashMap<String, String>);

/// Parses the header; a malformed pair or a value that is not base64 UTF-8 is 400.
pub fn parse(header: &str) -> Result<Metadata> {
    let mut map = HashMap::new();
    for pair in header.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, value) = match pair.split_once(' ') {
            Some((k, v)) => (k, v.trim()),
            None => (pair, ""),
        };
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(value)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| Error::BadRequest(format!("Upload-Metadata: the value of {key} is not base64 UTF-8")))?;
        map.insert(key.to_string(), decoded);
    }
    Ok(Metadata(map))
}

impl Metadata {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str).filter(|v| !v.is_empty())
    }

    /// `path`, or `filename` inside `dir`.
    pub fn path(&self) -> Result<FilePath> {
        if let Some(p) = self.get("path") {
            return FilePath::parse(p);
        }
        let name = self
            .get("filename")
            .or_else(|| self.get("name"))
            .ok_or_else(|| Error::invalid("filename", "Upload-Metadata needs filename (or path)"))?;
        FilePath::join(self.get("dir"), name)
    }

    /// `on_conflict`: `fail` (default), `rename` or `overwrite`.
    pub fn mode(&self) -> Result<WriteMode> {
        match self.get("on_conflict").unwrap_or("fail") {
            "fail" => Ok(WriteMode::Fail),
            "rename" => Ok(WriteMode::Rename),
            "overwrite" => Ok(WriteMode::Overwrite),
            _ => Err(Error::invalid("on_conflict", "must be fail, rename or overwrite")),
        }
    }

    /// `mtime` in Unix seconds (a fraction allowed).
    pub fn mtime(&self) -> Result<Option<Timestamp>> {
        self.get("mtime").map(|v| crate::http::rest::parse_mtime(v, "mtime")).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_pairs_and_builds_the_path() {
        let m = parse("filename Y2F0LmpwZw==,dir cGV0cw==, on_conflict cmVuYW1l,empty").unwrap();
        assert_eq!(m.path().unwrap().as_str(), "pets/cat.jpg");
        assert_eq!(m.mode().unwrap(), WriteMode::Rename);
        assert!(m.get("empty").is_none());
        assert!(parse("filename !!!").is_err());
        assert!(parse("").unwrap().path().is_err(), "a file needs a name");
        assert!(parse("path Li4vZXRj").unwrap().path().is_err(), "../etc is refused");
    }
}
