-- Data lifecycle (issue 22): erasures (the operation and its audit record: who, when, what, how many
-- rows; never erased content), the conversations an erasure has detached and still cleans up, and the
-- workspaces' retention policies. lease_owner/lease_until: the replica running the erasure.
CREATE TABLE erasures (
    workspace            text    NOT NULL,
    id                   text    NOT NULL,
    reason               bigint  NOT NULL,  -- 1 contact, 2 retention
    contact_id           text    NULL,
    closed_before        bigint  NULL,
    requested_by         text    NOT NULL,
    created_at           bigint  NOT NULL,
    finished_at          bigint  NULL,
    state                bigint  NOT NULL,  -- 1 running, 2 succeeded
    conversations_erased bigint  NOT NULL,
    messages_erased      bigint  NOT NULL,
    events_scrubbed      bigint  NOT NULL,
    records_erased       bigint  NOT NULL,
    lease_owner          text    NULL,
    lease_until          bigint  NULL,
    PRIMARY KEY (workspace, id)
);
CREATE INDEX ix_erasures_created ON erasures (workspace, created_at, id);
CREATE INDEX ix_erasures_running ON erasures (state, created_at);
-- At most one running erasure per contact, and one running retention erasure per workspace, across replicas.
CREATE UNIQUE INDEX ux_erasures_running_contact ON erasures (workspace, contact_id) WHERE state = 1 AND reason = 1;
CREATE UNIQUE INDEX ux_erasures_running_retention ON erasures (workspace) WHERE state = 1 AND reason = 2;

-- A conversation whose row an erasure deleted, while its other rows are erased in batches.
CREATE TABLE erasure_items (
    workspace       text NOT NULL,
    erasure_id      text NOT NULL,
    conversation_id text NOT NULL,
    tombstone       text NOT NULL,  -- the JSON snapshot its events keep
    PRIMARY KEY (workspace, erasure_id, conversation_id)
);

CREATE TABLE retention_policies (
    workspace                text    NOT NULL PRIMARY KEY,
    closed_conversation_days bigint  NOT NULL,
    updated_at               bigint  NOT NULL
);

-- The erasure's reads of a conversation's rows, and the retention sweeper's candidates.
CREATE INDEX ix_events_conversation ON events (workspace, conversation_id);
CREATE INDEX ix_request_ids_conversation ON request_ids (workspace, conversation_id);
CREATE INDEX ix_inbound_messages_conversation ON inbound_messages (workspace, conversation_id);
CREATE INDEX ix_webhook_deliveries_conversation ON webhook_deliveries (workspace, conversation_id);
CREATE INDEX ix_conversations_closed ON conversations (workspace, status, closed_at);

