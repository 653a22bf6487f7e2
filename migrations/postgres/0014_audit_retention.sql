-- How long a realm keeps its audit events (days); the janitor deletes older ones. Twin in the
-- other dialect's folder, same name.
ALTER TABLE realms ADD COLUMN audit_retention_days BIGINT NOT NULL DEFAULT 365;
-- The Audit Log's filter by kind and the Dashboard's failure counts read by kind and time.
CREATE INDEX audit_events_kind ON audit_events(realm_id, kind, at);
