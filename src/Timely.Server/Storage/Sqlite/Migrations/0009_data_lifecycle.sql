-- Data lifecycle (issue 22): erasures (the operation and its audit record: who, when, what, how many
-- rows; never erased content), the conversations an erasure has detached and still cleans up, and the
-- workspaces' retention policies. lease_owner/lease_until: the replica running the erasure.
CREATE TABLE erasures (
    workspace            TEXT    NOT NULL,
    id                   TEXT    NOT NULL,
    reason               INTEGER NOT NULL,  -- 1 contact, 2 retention
    contact_id           TEXT    NULL,
    closed_before        INTEGER NULL,
    requested_by         TEXT    NOT NULL,
    created_at           INTEGER NOT NULL,
    finished_at          INTEGER NULL,
    state                INTEGER NOT NULL,  -- 1 running, 2 succeeded
    conversations_erased INTEGER NOT NULL,
    messages_erased      INTEGER NOT NULL,
    events_scrubbed      INTEGER NOT NULL,
    records_erased       INTEGER NOT NULL,
    lease_owner          TEXT    NULL,
    lease_until          INTEGER NULL,
    PRIMARY KEY (workspace, id)
);
CREATE INDEX ix_erasures_created ON erasures (workspace, created_at, id);
CREATE INDEX ix_erasures_running ON erasures (state, created_at);
-- At most one running erasure per contact, and one running retention erasure per workspace, across replicas.
CREATE UNIQUE INDEX ux_erasures_running_contact ON erasures (workspace, contact_id) WHERE state = 1 AND reason = 1;
CREATE UNIQUE INDEX ux_erasures_running_retention ON erasures (workspace) WHERE state = 1 AND reason = 2;

-- A conversation whose row an erasure deleted, while its other rows are erased in batches.
CREATE TABLE erasure_items (
    workspace       TEXT NOT NULL,
    erasure_id      TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    tombstone       TEXT NOT NULL,  -- the JSON snapshot its events keep
    PRIMARY KEY (workspace, erasure_id, conversation_id)
);

CREATE TABLE retention_policies (
    workspace                TEXT    NOT NULL PRIMARY KEY,
    closed_conversation_days INTEGER NOT NULL,
    updated_at               INTEGER NOT NULL
);

-- The erasure's reads of a conversation's rows, and the retention sweeper's candidates.
CREATE INDEX ix_events_conversation ON events (workspace, conversation_id);
CREATE INDEX ix_request_ids_conversation ON request_ids (workspace, conversation_id);
CREATE INDEX ix_inbound_messages_conversation ON inbound_messages (workspace, conversation_id);
CREATE INDEX ix_webhook_deliveries_conversation ON webhook_deliveries (workspace, conversation_id);
CREATE INDEX ix_conversations_closed ON conversations (workspace, status, closed_at);

-- Erased text must leave the file: deleted rows' bytes are overwritten (the writer connection sets
-- PRAGMA secure_delete), and the full-text indexes drop a deleted row's terms at once instead of at
-- the next merge.
INSERT INTO messages_fts (messages_fts, rank) VALUES ('secure-delete', 1);
INSERT INTO conversations_fts (conversations_fts, rank) VALUES ('secure-delete', 1);
