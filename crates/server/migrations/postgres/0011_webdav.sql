-- WebDAV: app passwords (a secret per client app, shown once; only its SHA-256 kept),
-- locks (in the database so they hold across instances) and dead properties (keyed by
-- the file's or folder's id, so they follow moves from every front).
CREATE TABLE app_passwords (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT
);
CREATE INDEX app_passwords_by_user ON app_passwords(user_id);

CREATE TABLE dav_locks (
    token TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    path TEXT COLLATE "C" NOT NULL,
    principal TEXT,
    owner_xml TEXT,
    timeout_secs BIGINT,
    expires_at BIGINT,
    shared BIGINT NOT NULL,
    deep BIGINT NOT NULL
);
CREATE INDEX dav_locks_by_owner ON dav_locks(owner_id, path);

CREATE TABLE dav_props (
    owner_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    item_id TEXT NOT NULL,
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    prefix TEXT,
    xml TEXT,
    PRIMARY KEY (owner_id, item_id, namespace, name)
);
