//! `FilePath`: a validated path in an owner's namespace, such as `photos/2024/cat.jpg`.
//!
//! Paths never touch the file system (blobs are stored by content hash), but they are
//! still held to strict rules so that every client, archive tool and sync target can
//! represent them: NFC UTF-8, `/`-separated, no empty, `.` or `..` segment, no control
//! characters, at most 1024 bytes, each segment at most 255 bytes.

use crate::error::Error;
use unicode_normalization::UnicodeNormalization;

pub const MAX_PATH_BYTES: usize = 1024;
pub const MAX_SEGMENT_BYTES: usize = 255;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FilePath(String);

impl FilePath {
    /// Validates and NFC-normalises `raw`. `field` names the input in the error.
    pub fn parse_field(raw: &str, field: &str) -> Result<Self, Error> {
        let s: String = raw.nfc().collect();
        let problem = if s.is_empty() {
            Some("must not be empty".to_string())
        } else if s.len() > MAX_PATH_BYTES {
            Some(format!("must be at most {MAX_PATH_BYTES} bytes"))
        } else if s.starts_with('/') {
            Some("must not start with '/'".to_string())
        } else if let Some(c) = s.chars().find(|c| forbidden_char(*c)) {
            Some(format!("must not contain the character U+{:04X}", c as u32))
        } else {
            s.split('/').find_map(segment_problem)
        };
        match problem {
            Some(p) => Err(Error::invalid(field, p)),
            None => Ok(FilePath(s)),
        }
    }

    pub fn parse(raw: &str) -> Result<Self, Error> {
        Self::parse_field(raw, "path")
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The last segment: the file's name.
    pub fn name(&self) -> &str {
        name_of(&self.0)
    }

    /// The parent folder's path, `""` at the top level.
    pub fn parent(&self) -> &str {
        parent_of(&self.0)
    }

    /// Every folder above this path, outermost first: `a/b/c` → `a`, `a/b`.
    pub fn ancestors(&self) -> impl Iterator<Item = &str> {
        self.0.match_indices('/').map(|(i, _)| &self.0[..i])
    }

    /// Whether `self` lies strictly below the folder `folder`.
    pub fn is_below(&self, folder: &FilePath) -> bool {
        self.0.len() > folder.0.len() && self.0.starts_with(&folder.0) && self.0.as_bytes()[folder.0.len()] == b'/'
    }

    /// The case-folded name that search by name matches against.
    pub fn name_key(&self) -> String {
        name_key(&self.0)
    }

    /// `dir/name (n).ext`: the n-th alternative used by `on_conflict=rename`.
    pub fn numbered(&self, n: u32) -> Result<Self, Error> {
        let (dir, name) = match self.0.rfind('/') {
            Some(i) => (&self.0[..=i], &self.0[i + 1..]),
            None => ("", self.0.as_str()),
        };
        // A leading dot (".bashrc") is part of the stem, not an extension.
        let (stem, ext) = match name.rfind('.') {
            Some(i) if i > 0 => (&name[..i], &name[i..]),
            _ => (name, ""),
        };
        FilePath::parse(&format!("{dir}{stem} ({n}){ext}"))
    }

    /// `dir` joined with `name`, each validated; `dir` may be empty.
    pub fn join(dir: Option<&str>, name: &str) -> Result<Self, Error> {
        let dir = dir.unwrap_or("").trim_end_matches('/');
        if dir.is_empty() {
            return FilePath::parse(name);
        }
        FilePath::parse_field(dir, "dir")?;
        FilePath::parse(&format!("{dir}/{name}"))
    }
}

/// The parent of a `/`-separated path, `""` at the top level.
pub fn parent_of(path: &str) -> &str {
    path.rfind('/').map(|i| &path[..i]).unwrap_or("")
}

/// The last segment of a `/`-separated path.
pub fn name_of(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The lower-cased last segment of `path`: what search by name compares.
pub fn name_key(path: &str) -> String {
    name_of(path).to_lowercase()
}

impl std::fmt::Display for FilePath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn forbidden_char(c: char) -> bool {
    // Control characters (C0, DEL, C1) and U+10FFFF, which bounds prefix ranges.
    c.is_control() || c == char::MAX
}

fn segment_problem(seg: &str) -> Option<String> {
    match seg {
        "" => Some("must not contain empty segments ('//' or a trailing '/')".into()),
        "." | ".." => Some("must not contain '.' or '..' segments".into()),
        s if s.len() > MAX_SEGMENT_BYTES => Some(format!("each segment must be at most {MAX_SEGMENT_BYTES} bytes")),
        _ => None,
    }
}

/// The half-open range of paths that start with a listing prefix, so that listings use
/// the `(owner_id, path)` index: `lo <= path < hi` in byte order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefixRange {
    pub lo: String,
    pub hi: String,
}

impl PrefixRange {
    pub fn parse(prefix: Option<&str>) -> Result<Self, Error> {
        let p: String = prefix.unwrap_or("").nfc().collect();
        if p.len() > MAX_PATH_BYTES || p.chars().any(forbidden_char) {
            return Err(Error::BadRequest("invalid prefix".into()));
        }
        // No valid path contains U+10FFFF, so prefix + U+10FFFF sorts after every path
        // that starts with the prefix and before every other one that sorts after it.
        let hi = format!("{p}{}", char::MAX);
        Ok(PrefixRange { lo: p, hi })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_paths_and_normalises_to_nfc() {
        assert_eq!(FilePath::parse("photos/2024/cat.jpg").unwrap().name(), "cat.jpg");
        let nfd = "cafe\u{301}.txt";
        assert_eq!(FilePath::parse(nfd).unwrap().as_str(), "caf\u{e9}.txt");
    }

    #[test]
    fn rejects_traversal_and_bad_shapes() {
        let long_seg = "a".repeat(256);
        let long_path = ["a"; 600].join("/");
        for bad in [
            "",
            "/etc/passwd",
            "..",
            "a/../b",
            "./a",
            "a/./b",
            "a//b",
            "a/",
            "a\0b",
            "a\nb",
            "a\u{7f}",
            "a\u{85}",
            &long_seg,
            &long_path,
        ] {
            assert!(FilePath::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn numbered_alternatives_keep_the_extension() {
        let p = FilePath::parse("pics/cat.jpg").unwrap();
        assert_eq!(p.numbered(1).unwrap().as_str(), "pics/cat (1).jpg");
        let p = FilePath::parse(".bashrc").unwrap();
        assert_eq!(p.numbered(2).unwrap().as_str(), ".bashrc (2)");
    }

    #[test]
    fn parent_ancestors_and_below() {
        let p = FilePath::parse("a/b/c.txt").unwrap();
        assert_eq!(p.parent(), "a/b");
        assert_eq!(p.ancestors().collect::<Vec<_>>(), ["a", "a/b"]);
        assert_eq!(FilePath::parse("top").unwrap().parent(), "");
        assert!(p.is_below(&FilePath::parse("a").unwrap()));
        assert!(!FilePath::parse("ab/c").unwrap().is_below(&FilePath::parse("a").unwrap()));
        assert!(!p.is_below(&p));
        assert_eq!(FilePath::parse("Pets/CAT.jpg").unwrap().name_key(), "cat.jpg");
    }

    #[test]
    fn join_validates_both_parts() {
        assert_eq!(FilePath::join(Some("a/b/"), "c").unwrap().as_str(), "a/b/c");
        assert!(FilePath::join(Some("../x"), "c").is_err());
        assert!(FilePath::join(None, "..").is_err());
    }
}
