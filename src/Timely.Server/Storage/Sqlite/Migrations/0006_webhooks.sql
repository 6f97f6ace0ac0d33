-- Webhook endpoints (issue 16): what to send where, signed with which secrets, and how far into the
-- event log delivery has read (position_tx, position_id: an EventPosition). The secrets are kept as
-- they are, since signing needs them. lease_owner/lease_until: the replica delivering the endpoint.
CREATE TABLE webhook_endpoints (
    workspace             TEXT NOT NULL,
    id                    TEXT NOT NULL,
    url                   TEXT NOT NULL,
    event_types           TEXT NOT NULL,  -- comma-separated ConversationEventType numbers; '' for all
    agent_id              TEXT NULL,
    channel_id            TEXT NULL,
    conversation_id       TEXT NULL,
    statuses              TEXT NOT NULL,  -- comma-separated ConversationStatus numbers; '' for all
    enabled               INTEGER NOT NULL,
    disabled_reason       TEXT NOT NULL,
    secret                TEXT NOT NULL,
    previous_secret       TEXT NULL,
    previous_secret_until INTEGER NULL,
    position_tx           INTEGER NOT NULL,
    position_id           INTEGER NOT NULL,
    failing_since         INTEGER NULL,
    lease_owner           TEXT NULL,
    lease_until           INTEGER NULL,
    version               INTEGER NOT NULL,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL,
    PRIMARY KEY (workspace, id)
);
CREATE INDEX ix_webhook_endpoints_created ON webhook_endpoints (workspace, created_at, id);

-- One row per event read for an endpoint, until retention deletes it: pending while delivered_at is null.
CREATE TABLE webhook_deliveries (
    workspace       TEXT NOT NULL,
    endpoint_id     TEXT NOT NULL,
    event_tx        INTEGER NOT NULL,
    event_id        INTEGER NOT NULL,
    event_type      INTEGER NOT NULL,
    conversation_id TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    last_status     INTEGER NOT NULL,
    last_error      TEXT NOT NULL,
    next_attempt_at INTEGER NULL,
    delivered_at    INTEGER NULL,
    created_at      INTEGER NOT NULL,
    body            TEXT NOT NULL,  -- the request body: the event as the log had it when read
    PRIMARY KEY (workspace, endpoint_id, event_tx, event_id)
);
CREATE INDEX ix_webhook_deliveries_pending ON webhook_deliveries (workspace, endpoint_id, conversation_id, event_tx, event_id);
