-- Users' own S3 buckets. The secret key is encrypted (XChaCha20-Poly1305).
CREATE TABLE user_storage (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL UNIQUE REFERENCES users(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    region TEXT NOT NULL,
    bucket TEXT NOT NULL,
    prefix TEXT NOT NULL,
    access_key_id TEXT NOT NULL,
    secret_ciphertext TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX contents_by_store ON contents(store);
