-- What a user sees of their sessions: how each began (browser, token, device), from
-- where, with which program, and when it was last used (updated at most once a minute).
ALTER TABLE sessions ADD COLUMN kind TEXT NOT NULL DEFAULT 'token';
ALTER TABLE sessions ADD COLUMN client_address TEXT;
ALTER TABLE sessions ADD COLUMN user_agent TEXT;
ALTER TABLE sessions ADD COLUMN last_used_at BIGINT;
