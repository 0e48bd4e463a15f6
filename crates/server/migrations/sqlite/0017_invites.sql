-- Invites to register (registration = "invite"): single use, expiring; only the code's
-- SHA-256 is stored, so the table does not hold usable codes.
CREATE TABLE invites (
    code_hash TEXT PRIMARY KEY,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    used_by TEXT
);
