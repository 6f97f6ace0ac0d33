-- Events are ordered by (tx, id) on every store (see Domain/EventPosition). SQLite has one writer, so
-- its events commit in id order and tx is always 0.
ALTER TABLE events ADD COLUMN tx INTEGER NOT NULL DEFAULT 0;
DROP INDEX ix_events_workspace;
DROP INDEX ix_events_occurred;
CREATE INDEX ix_events_position ON events (workspace, tx, id);  -- a workspace's watchers
CREATE INDEX ix_events_log ON events (tx, id);                  -- retention, from the oldest
INSERT INTO counters (name, value) VALUES ('events_pruned_through_tx', 0);

-- Inbound dedupe records expire with the request ids.
ALTER TABLE inbound_messages ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0;
UPDATE inbound_messages SET created_at = CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER);
CREATE INDEX ix_inbound_messages_created ON inbound_messages (created_at);
