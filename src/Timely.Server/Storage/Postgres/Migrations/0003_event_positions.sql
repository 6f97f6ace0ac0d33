-- No lock on the event log: each event records the transaction that wrote it, and readers read below
-- the oldest transaction still running (see PostgresDialect). Existing events get this migration's
-- transaction id, after every earlier one: their order stays their id order.
ALTER TABLE events ADD COLUMN tx bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint);
DROP INDEX ix_events_workspace;
CREATE INDEX ix_events_position ON events (workspace, tx, id);
INSERT INTO counters (name, value) VALUES ('events_pruned_through_tx', 0);
