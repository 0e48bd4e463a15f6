//! WebDAV locks kept in the database (so a lock taken through one instance holds on
//! every other), with RFC 4918's rules: a lock covers its path, and everything below
//! it when deep; shared locks coexist, an exclusive one stands alone; a write needs the
//! token of every lock that covers what it changes.

use crate::domain::{Timestamp, new_id};
use crate::meta::{DavLockRecord, MetaStore};
use dav_server::davpath::DavPath;
use dav_server::ls::{DavLock, DavLockSystem, LsFuture};
use futures_util::FutureExt;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};
use xmltree::Element;

#[derive(Clone)]
pub struct DbLocks {
    pub meta: Arc<dyn MetaStore>,
    pub owner_id: String,
    /// The URL prefix the user's namespace is served under (`/dav`), for lock roots.
    pub prefix: String,
    /// The owner's live locks as this request last read them (a PROPFIND asks for each
    /// entry's lock discovery); dropped whenever this request changes a lock.
    pub cache: Arc<std::sync::Mutex<Option<Vec<DavLockRecord>>>>,
}

impl std::fmt::Debug for DbLocks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbLocks").field("owner_id", &self.owner_id).finish()
    }
}

/// A DAV path as stored: no slashes at either end, "" for the root.
fn key(path: &DavPath) -> String {
    String::from_utf8_lossy(path.as_bytes()).trim_matches('/').to_string()
}

/// Whether `outer` is `inner` or one of its ancestors.
fn covers(outer: &str, inner: &str) -> bool {
    outer.is_empty() || outer == inner || inner.strip_prefix(outer).is_some_and(|rest| rest.starts_with('/'))
}

/// The lock in the way of `new`, among the owner's live locks (the rule a LOCK obeys).
fn conflict(live: &[DavLockRecord], new: &DavLockRecord) -> Option<DavLockRecord> {
    live.iter()
        .find(|l| {
            let above = covers(&l.path, &new.path) && (l.path == new.path || l.deep);
            let below = new.deep && covers(&new.path, &l.path) && l.path != new.path;
            (above || below) && !(l.shared && new.shared)
        })
        .cloned()
}

fn lock_token() -> String {
    let h = new_id();
    format!("opaquelocktoken:{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

impl DbLocks {
    fn to_dav(&self, r: &DavLockRecord) -> DavLock {
        let encoded: Vec<String> = r.path.split('/').filter(|s| !s.is_empty()).map(dav_server_encode).collect();
        let url = format!("{}/{}", self.prefix, encoded.join("/"));
        let mut path = DavPath::new(&url).unwrap_or_else(|_| DavPath::new("/").expect("the root parses"));
        let _ = path.set_prefix(&self.prefix);
        DavLock {
            token: r.token.clone(),
            path: Box::new(path),
            principal: r.principal.clone(),
            owner: r.owner_xml.as_deref().and_then(owner_from_xml).map(Box::new),
            timeout_at: r.expires_at.map(|t| UNIX_EPOCH + Duration::from_micros(t.0.max(0) as u64)),
            timeout: r.timeout_secs.map(|s| Duration::from_secs(s.max(0) as u64)),
            shared: r.shared,
            deep: r.deep,
        }
    }

    /// Whether lock `token` is live and covers `path` (on it or an ancestor), as UNLOCK
    /// and a refresh require.
    async fn is_live_over(&self, token: &str, path: &str) -> bool {
        self.live().await.iter().any(|l| l.token == token && covers(&l.path, path))
    }

    fn forget(&self) {
        *self.cache.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    async fn live(&self) -> Vec<DavLockRecord> {
        if let Some(known) = self.cache.lock().unwrap_or_else(|e| e.into_inner()).clone() {
            return known;
        }
        match self.meta.dav_locks(&self.owner_id, Timestamp::now()).await {
            Ok(l) => {
                *self.cache.lock().unwrap_or_else(|e| e.into_inner()) = Some(l.clone());
                l
            }
            Err(e) => {
                tracing::warn!(error = %e, "reading WebDAV locks failed");
                Vec::new()
            }
        }
    }
}

/// The client's `<owner>` as text to store. dav-server renames it `D:owner` without
/// binding the prefix, so it is written unprefixed (in the DAV: namespace by default).
fn owner_to_xml(owner: &Element) -> Option<String> {
    let mut plain = owner.clone();
    plain.prefix = None;
    if let Some(ns) = plain.namespaces.as_mut() {
        ns.put("", "DAV:");
    }
    let mut out = Vec::new();
    plain.write(&mut out).ok()?;
    String::from_utf8(out).ok()
}

fn owner_from_xml(xml: &str) -> Option<Element> {
    let mut owner = Element::parse(xml.as_bytes()).ok()?;
    owner.prefix = Some("D".into());
    Some(owner)
}

fn dav_server_encode(segment: &str) -> String {
    percent_encoding::utf8_percent_encode(segment, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn expiry(timeout: Option<Duration>) -> (Option<i64>, Option<Timestamp>) {
    match timeout {
        Some(d) => {
            let secs = d.as_secs().min(i64::MAX as u64 / 2_000_000) as i64;
            (Some(secs), Some(Timestamp::now().plus_secs(secs)))
        }
        None => (None, None),
    }
}

impl DavLockSystem for DbLocks {
    fn lock(
        &self,
        path: &DavPath,
        principal: Option<&str>,
        owner: Option<&Element>,
        timeout: Option<Duration>,
        shared: bool,
        deep: bool,
    ) -> LsFuture<'_, Result<DavLock, DavLock>> {
        let owner_xml = owner.and_then(owner_to_xml);
        let (timeout_secs, expires_at) = expiry(timeout);
        let record = DavLockRecord {
            token: lock_token(),
            owner_id: self.owner_id.clone(),
            path: key(path),
            principal: principal.map(str::to_string),
            owner_xml,
            timeout_secs,
            expires_at,
            shared,
            deep,
        };
        self.forget();
        async move {
            match self.meta.create_dav_lock(&record, Timestamp::now(), conflict).await {
                Ok(None) => Ok(self.to_dav(&record)),
                Ok(Some(other)) => Err(self.to_dav(&other)),
                Err(e) => {
                    tracing::warn!(error = %e, "storing a WebDAV lock failed");
                    // Refused as if locked: never a lock the client thinks it holds but does not.
                    Err(self.to_dav(&record))
                }
            }
        }
        .boxed()
    }

    fn unlock(&self, path: &DavPath, token: &str) -> LsFuture<'_, Result<(), ()>> {
        let (path, token) = (key(path), token.to_string());
        self.forget();
        async move {
            if !self.is_live_over(&token, &path).await {
                return Err(());
            }
            self.meta.delete_dav_lock(&self.owner_id, &token).await.map(|_| ()).map_err(|_| ())
        }
        .boxed()
    }

    fn refresh(&self, path: &DavPath, token: &str, timeout: Option<Duration>) -> LsFuture<'_, Result<DavLock, ()>> {
        let (path, token) = (key(path), token.to_string());
        self.forget();
        async move {
            if !self.is_live_over(&token, &path).await {
                return Err(());
            }
            let (secs, expires) = expiry(timeout);
            match self.meta.refresh_dav_lock(&self.owner_id, &token, secs, expires, Timestamp::now()).await {
                Ok(Some(r)) => Ok(self.to_dav(&r)),
                _ => Err(()),
            }
        }
        .boxed()
    }

    fn check(
        &self,
        path: &DavPath,
        principal: Option<&str>,
        ignore_principal: bool,
        deep: bool,
        submitted_tokens: &[String],
    ) -> LsFuture<'_, Result<(), DavLock>> {
        let path = key(path);
        let principal = principal.map(str::to_string);
        let submitted = submitted_tokens.to_vec();
        async move {
            let live = self.live().await;
            let held = |l: &DavLockRecord| {
                submitted.contains(&l.token) && (ignore_principal || principal.as_deref() == l.principal.as_deref())
            };
            let mut holds_one = false;
            let mut first_shared = None;
            for l in live.iter().filter(|l| covers(&l.path, &path) && (l.path == path || l.deep)) {
                if held(l) {
                    holds_one = true;
                } else if !l.shared {
                    return Err(self.to_dav(l));
                } else {
                    first_shared.get_or_insert(l);
                }
            }
            if let (false, Some(l)) = (holds_one, first_shared) {
                return Err(self.to_dav(l));
            }
            if deep && let Some(l) = live.iter().find(|l| l.path != path && covers(&path, &l.path) && !held(l)) {
                return Err(self.to_dav(l));
            }
            Ok(())
        }
        .boxed()
    }

    fn discover(&self, path: &DavPath) -> LsFuture<'_, Vec<DavLock>> {
        let path = key(path);
        async move { self.live().await.iter().filter(|l| covers(&l.path, &path)).map(|l| self.to_dav(l)).collect() }
            .boxed()
    }

    fn delete(&self, path: &DavPath) -> LsFuture<'_, Result<(), ()>> {
        let path = key(path);
        self.forget();
        async move { self.meta.delete_dav_locks_under(&self.owner_id, &path).await.map_err(|_| ()) }.boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lock(path: &str, shared: bool, deep: bool) -> DavLockRecord {
        DavLockRecord {
            token: lock_token(),
            owner_id: "u".into(),
            path: path.into(),
            principal: None,
            owner_xml: None,
            timeout_secs: None,
            expires_at: None,
            shared,
            deep,
        }
    }

    #[test]
    fn a_lock_owner_survives_the_database_in_either_namespace_form() {
        for doc in [
            r#"<lockinfo xmlns='DAV:'><owner>litmus test suite</owner></lockinfo>"#,
            r#"<D:lockinfo xmlns:D="DAV:"><D:owner><D:href>mailto:a@b</D:href></D:owner></D:lockinfo>"#,
        ] {
            let mut owner = Element::parse(doc.as_bytes()).unwrap().get_child("owner").unwrap().clone();
            owner.prefix = Some("D".into());
            let back = owner_from_xml(&owner_to_xml(&owner).expect("written")).expect("parsed");
            assert_eq!(back.name, "owner");
            assert_eq!(back.children.len(), owner.children.len());
        }
    }

    #[test]
    fn covering_is_by_whole_segments() {
        assert!(covers("", "a/b"));
        assert!(covers("a", "a/b"));
        assert!(covers("a/b", "a/b"));
        assert!(!covers("a/b", "a/bc"));
        assert!(!covers("a/b", "a"));
    }

    #[test]
    fn exclusive_locks_stand_alone_and_shared_ones_coexist() {
        let deep_dir = lock("d", false, true);
        assert!(conflict(std::slice::from_ref(&deep_dir), &lock("d/f", false, false)).is_some());
        assert!(
            conflict(&[lock("d", false, false)], &lock("d/f", false, false)).is_none(),
            "a shallow lock covers only its path"
        );
        assert!(
            conflict(&[lock("d/f", false, false)], &lock("d", false, true)).is_some(),
            "a deep lock meets locks below"
        );
        assert!(conflict(&[lock("d", true, true)], &lock("d", true, false)).is_none());
        assert!(conflict(&[lock("d", true, true)], &lock("d/f", false, false)).is_some());
        assert!(conflict(&[lock("e", false, true)], &lock("d", false, true)).is_none());
    }
}
