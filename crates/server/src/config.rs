//! Typed configuration, layered with figment: defaults → TOML file → `NIMBUS_*`
//! environment → command-line flags (each layer overrides the one before).

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// Who may create an account (the first account on a server always may: it is the admin).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Registration {
    /// Anyone.
    Open,
    /// Only with an invite code from an admin (`POST /api/v1/admin/invites`).
    Invite,
    /// Nobody (admins create accounts with `nimbus admin`).
    Closed,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Who may sign up: `open` (default), `invite` or `closed`.
    pub registration: Registration,
    /// Address and port to listen on.
    pub listen: SocketAddr,
    /// The SQLite file and local blobs live here (unless overridden below).
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; default: `sqlite://<data_dir>/nimbus.db`.
    pub database_url: Option<String>,
    /// `file:///dir` or `s3://bucket/prefix`; default: `file://<data_dir>/blobs`.
    pub blob_store: Option<String>,
    /// For an `s3://` blob store: endpoint URL, region, and keys (the keys default to
    /// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`).
    pub s3_endpoint: Option<String>,
    pub s3_region: String,
    pub s3_access_key_id: Option<String>,
    pub s3_secret_access_key: Option<String>,
    /// Space kept in the data dir (a file of zeros) and given up when the disk is so full
    /// that even a delete cannot be recorded (0: none).
    pub space_reserve_bytes: u64,
    /// How fast the background scrub re-reads stored contents to find damage, in bytes
    /// per second (0: no background scrub; `nimbus admin scrub` still works).
    pub scrub_bytes_per_sec: u64,
    /// The S3 API's domain for virtual-hosted-style requests (`bucket.<s3_domain>`);
    /// path-style requests work without it.
    pub s3_domain: Option<String>,
    /// 64 hex characters: the key that encrypts secrets at rest (users' bucket keys).
    /// Default: a key file created in the data dir. Instances sharing a database must
    /// share this key.
    pub secret_key: Option<String>,
    /// Accept users' storage endpoints on loopback or private networks.
    pub allow_private_storage_endpoints: bool,
    /// Largest single file accepted, in bytes (413 above).
    pub max_upload_bytes: u64,
    /// Files up to this many bytes are kept in the metadata database with their file
    /// row instead of as blob files: a small upload then costs one shared database
    /// commit, not a blob file's own fsyncs. 0 keeps every content as a blob; at most
    /// 1 MiB (larger values are used as 1 MiB). Users' own buckets always get blobs.
    pub inline_max_bytes: u64,
    /// Most files in one multipart upload (400 above, before the rest is read).
    pub max_multipart_files: u32,
    /// Quota of a new account, in bytes.
    pub default_quota_bytes: u64,
    /// The largest quota a user may choose for themselves (`PUT /api/v1/me/plan`).
    pub max_quota_bytes: u64,
    /// How long a login stays valid, in seconds.
    pub session_ttl_secs: u64,
    /// Mark the session cookie `Secure` (set when served over HTTPS).
    pub cookie_secure: bool,
    /// The server's public root URL (e.g. `https://files.example.org`), used in public
    /// links and signed URLs; default: the listen address (never a request's `Host`).
    pub public_url: Option<String>,
    pub log_format: LogFormat,
    /// `smtp://host:port`, `smtps://user:pass@host`; unset: mail goes to the log.
    pub smtp_url: Option<String>,
    /// The From address of mail the server sends.
    pub mail_from: String,
    /// How long a password-reset code stays valid, in seconds.
    pub password_reset_ttl_secs: u64,
    /// Proxies whose `X-Forwarded-For` is believed for the client address.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// How often unreferenced content is reclaimed, in seconds.
    pub sweep_interval_secs: u64,
    /// How long a resumable upload may sit idle before it expires and its bytes are
    /// removed, in seconds (tus `Upload-Expires`).
    pub upload_ttl_secs: u64,
    /// Earlier versions kept per file when it is replaced (0: none are kept).
    pub versions_per_file: u32,
    /// How long a replaced version is kept, in seconds.
    pub version_ttl_secs: u64,
    /// How long a deleted file or folder stays in the trash, in seconds (0: no trash, a
    /// delete is final).
    pub trash_ttl_secs: u64,
    /// New uploads to local disk are refused (507) while less than this much space is
    /// free, or less than `min_free_percent` of the disk, whichever is smaller: what is
    /// left keeps deletes and metadata changes working.
    pub min_free_bytes: u64,
    pub min_free_percent: u8,
    /// When set, `GET /metrics` needs `Authorization: Bearer <this>`.
    pub metrics_token: Option<String>,
    /// Seconds a client has to send a request's headers (and an idle keep-alive
    /// connection to start its next request) before the connection is closed.
    pub header_read_timeout_secs: u64,
    /// Seconds a request body may send nothing while the server waits for it before the
    /// request is ended (slow bodies that keep moving are not affected).
    pub body_idle_timeout_secs: u64,
    /// The most connections one client address may hold open at once (0: no limit;
    /// trusted proxies are never limited).
    pub max_connections_per_client: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            registration: Registration::Open,
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("./nimbus-data"),
            database_url: None,
            blob_store: None,
            s3_endpoint: None,
            s3_region: "us-east-1".into(),
            s3_domain: None,
            scrub_bytes_per_sec: 16 << 20,
            space_reserve_bytes: 16 << 20,
            s3_access_key_id: None,
            s3_secret_access_key: None,
            secret_key: None,
            allow_private_storage_endpoints: false,
            max_upload_bytes: 16 << 30,
            inline_max_bytes: 16 << 10,
            max_multipart_files: 1000,
            default_quota_bytes: 10 << 30,
            max_quota_bytes: 100 << 30,
            session_ttl_secs: 30 * 24 * 3600,
            cookie_secure: false,
            public_url: None,
            log_format: LogFormat::Text,
            smtp_url: None,
            mail_from: "Nimbus <nimbus@localhost>".into(),
            password_reset_ttl_secs: 15 * 60,
            trusted_proxies: Vec::new(),
            sweep_interval_secs: 5,
            upload_ttl_secs: 24 * 3600,
            versions_per_file: 50,
            version_ttl_secs: 30 * 24 * 3600,
            trash_ttl_secs: 30 * 24 * 3600,
            min_free_bytes: 1 << 30,
            min_free_percent: 5,
            metrics_token: None,
            header_read_timeout_secs: 10,
            body_idle_timeout_secs: 60,
            max_connections_per_client: 256,
        }
    }
}

/// Secrets (a password in a database URL) never reach logs through `Debug`.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("database_url", &self.database_url.as_deref().map(redact_url))
            .field("blob_store", &self.blob_store)
            .field("s3_endpoint", &self.s3_endpoint)
            .field("s3_region", &self.s3_region)
            .field("s3_domain", &self.s3_domain)
            .field("scrub_bytes_per_sec", &self.scrub_bytes_per_sec)
            .field("space_reserve_bytes", &self.space_reserve_bytes)
            .field("s3_access_key_id", &self.s3_access_key_id)
            .field("s3_secret_access_key", &self.s3_secret_access_key.as_ref().map(|_| "<redacted>"))
            .field("secret_key", &self.secret_key.as_ref().map(|_| "<redacted>"))
            .field("allow_private_storage_endpoints", &self.allow_private_storage_endpoints)
            .field("max_upload_bytes", &self.max_upload_bytes)
            .field("inline_max_bytes", &self.inline_max_bytes)
            .field("max_multipart_files", &self.max_multipart_files)
            .field("default_quota_bytes", &self.default_quota_bytes)
            .field("max_quota_bytes", &self.max_quota_bytes)
            .field("session_ttl_secs", &self.session_ttl_secs)
            .field("registration", &self.registration)
            .field("cookie_secure", &self.cookie_secure)
            .field("public_url", &self.public_url)
            .field("log_format", &self.log_format)
            .field("smtp_url", &self.smtp_url.as_deref().map(redact_url))
            .field("mail_from", &self.mail_from)
            .field("password_reset_ttl_secs", &self.password_reset_ttl_secs)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("sweep_interval_secs", &self.sweep_interval_secs)
            .field("min_free_bytes", &self.min_free_bytes)
            .field("min_free_percent", &self.min_free_percent)
            .field("upload_ttl_secs", &self.upload_ttl_secs)
            .field("versions_per_file", &self.versions_per_file)
            .field("version_ttl_secs", &self.version_ttl_secs)
            .field("trash_ttl_secs", &self.trash_ttl_secs)
            .field("metrics_token", &self.metrics_token.as_ref().map(|_| "<redacted>"))
            .field("header_read_timeout_secs", &self.header_read_timeout_secs)
            .field("body_idle_timeout_secs", &self.body_idle_timeout_secs)
            .field("max_connections_per_client", &self.max_connections_per_client)
            .finish()
    }
}

/// `scheme://user:secret@host/…` → `scheme://user:***@host/…`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (auth, host) = match rest.split_once('@') {
        Some(parts) => parts,
        None => return url.to_string(),
    };
    let user = auth.split(':').next().unwrap_or("");
    format!("{scheme}://{user}:***@{host}")
}

/// Where the server keeps blobs.
#[derive(Debug, Clone)]
pub enum BlobBackend {
    Local(PathBuf),
    S3(crate::blob::S3Location),
}

/// Values given on the command line; `None` means "not given".
#[derive(Debug, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blob_store: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smtp_url: Option<String>,
}

impl Config {
    /// What the metadata store keeps of replaced and deleted files.
    pub fn retention(&self) -> crate::meta::Retention {
        crate::meta::Retention { versions_per_file: self.versions_per_file, trash: self.trash_ttl_secs > 0 }
    }

    /// Loads the layers; `file` is the `--config` / `NIMBUS_CONFIG` path, if any.
    // Called once at start-up: the size of its error does not matter.
    #[allow(clippy::result_large_err)]
    pub fn load(file: Option<&Path>, flags: Overrides) -> Result<Config, figment::Error> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        if let Some(f) = file {
            fig = fig.merge(Toml::file_exact(f));
        }
        fig.merge(Env::prefixed("NIMBUS_").ignore(&["config"])).merge(Serialized::defaults(flags)).extract()
    }

    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("nimbus.db").display()))
    }

    /// Where blobs go, from `blob_store`.
    pub fn blob_backend(&self) -> anyhow::Result<BlobBackend> {
        let Some(url) = &self.blob_store else { return Ok(BlobBackend::Local(self.data_dir.join("blobs"))) };
        if let Some(path) = url.strip_prefix("file://") {
            return Ok(BlobBackend::Local(PathBuf::from(path)));
        }
        let Some(rest) = url.strip_prefix("s3://") else {
            anyhow::bail!("unsupported blob store URL {url:?} (use file:///dir or s3://bucket/prefix)")
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            anyhow::bail!("blob store URL {url:?} names no bucket");
        }
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let need = |v: Option<String>, what: &str| v.ok_or_else(|| anyhow::anyhow!("an s3:// blob store needs {what}"));
        Ok(BlobBackend::S3(crate::blob::S3Location {
            endpoint: need(self.s3_endpoint.clone(), "NIMBUS_S3_ENDPOINT")?,
            region: self.s3_region.clone(),
            bucket: bucket.to_string(),
            prefix: prefix.trim_matches('/').to_string(),
            access_key_id: need(
                self.s3_access_key_id.clone().or_else(|| env("AWS_ACCESS_KEY_ID")),
                "AWS_ACCESS_KEY_ID",
            )?,
            secret_access_key: need(
                self.s3_secret_access_key.clone().or_else(|| env("AWS_SECRET_ACCESS_KEY")),
                "AWS_SECRET_ACCESS_KEY",
            )?,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords_in_urls() {
        assert_eq!(redact_url("postgres://u:pw@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact_url("sqlite://x.db"), "sqlite://x.db");
        let c = Config {
            database_url: Some("postgres://u:hunter2@h/db".into()),
            smtp_url: Some("smtps://mailer:s3cret@mail.example.org".into()),
            ..Config::default()
        };
        let shown = format!("{c:?}");
        assert!(!shown.contains("hunter2") && !shown.contains("s3cret"), "{shown}");
    }

    #[test]
    fn flags_override_defaults() {
        let flags = Overrides { listen: Some("127.0.0.1:9999".parse().unwrap()), ..Default::default() };
        let c = Config::load(None, flags).unwrap();
        assert_eq!(c.listen.port(), 9999);
        assert_eq!(c.database_url(), "sqlite://./nimbus-data/nimbus.db");
    }

    #[test]
    fn the_embedded_default_is_sqlite_and_local_disk_on_loopback_8080() {
        let c = Config::default();
        assert_eq!(c.listen, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(c.database_url(), "sqlite://./nimbus-data/nimbus.db");
        match c.blob_backend().unwrap() {
            BlobBackend::Local(root) => assert_eq!(root, PathBuf::from("./nimbus-data/blobs")),
            other => panic!("default blob store is {other:?}"),
        }
        let s3 = Config { blob_store: Some("s3://bucket/some/prefix".into()), ..Config::default() };
        assert!(s3.blob_backend().is_err(), "an s3:// store without an endpoint is refused, not guessed");
        let bad = Config { blob_store: Some("ftp://x".into()), ..Config::default() };
        assert!(bad.blob_backend().is_err());
    }
}
