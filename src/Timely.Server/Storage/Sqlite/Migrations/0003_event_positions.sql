-- Events are ordered by (tx, id) on every store (see Domain/EventPosition). SQLite has one writer, so
-- its events commit in id order and tx is always 0.
ALTER TABLE events ADD COLUMN tx INTEGER NOT NULL DEFAULT 0;
DROP INDEX ix_events_workspace;
CREATE INDEX ix_events_position ON events (workspace, tx, id);
INSERT INTO counters (name, value) VALUES ('events_pruned_through_tx', 0);
