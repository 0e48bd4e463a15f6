-- Reported active time is credited at most as fast as wall-clock time passes: each
-- session (a login, a device, an app password) remembers when it last reported.
CREATE TABLE activity_reports (
    session_key TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    last_at BIGINT NOT NULL
);
