-- Two-factor sign-in (TOTP). The secret is sealed with the server's at-rest key; it is
-- pending until confirmed with a code. `totp_last_step` is the last time step a code was
-- accepted for, so no code works twice. Recovery codes are stored hashed, single use.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_enabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;
CREATE TABLE recovery_codes (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at BIGINT,
    PRIMARY KEY (user_id, code_hash)
);
