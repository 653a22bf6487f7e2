-- The janitor deletes expired rows in small batches (store/purge.rs); each batch finds its rows
-- by an index instead of scanning the table.
CREATE INDEX refresh_tokens_expires ON refresh_tokens(expires_at);
CREATE INDEX refresh_tokens_revoked ON refresh_tokens(revoked_at);
CREATE INDEX changes_at ON changes(at);
CREATE INDEX login_failures_last_failure ON login_failures(last_failure);
CREATE INDEX token_stats_minute ON token_stats(minute);
CREATE INDEX user_sessions_ended ON user_sessions(ended_at);
