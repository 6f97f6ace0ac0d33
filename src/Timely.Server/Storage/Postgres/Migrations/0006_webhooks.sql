-- Webhook endpoints (issue 16): what to send where, signed with which secrets, and how far into the
-- event log delivery has read (position_tx, position_id: an EventPosition). The secrets are kept as
-- they are, since signing needs them. lease_owner/lease_until: the replica delivering the endpoint.
CREATE TABLE webhook_endpoints (
    workspace             text NOT NULL,
    id                    text NOT NULL,
    url                   text NOT NULL,
    event_types           text NOT NULL,  -- comma-separated ConversationEventType numbers; '' for all
    agent_id              text NULL,
    channel_id            text NULL,
    conversation_id       text NULL,
    statuses              text NOT NULL,  -- comma-separated ConversationStatus numbers; '' for all
    enabled               bigint NOT NULL,
    disabled_reason       text NOT NULL,
    secret                text NOT NULL,
    previous_secret       text NULL,
    previous_secret_until bigint NULL,
    position_tx           bigint NOT NULL,
    position_id           bigint NOT NULL,
    failing_since         bigint NULL,
    lease_owner           text NULL,
    lease_until           bigint NULL,
    version               bigint NOT NULL,
    created_at            bigint NOT NULL,
    updated_at            bigint NOT NULL,
    PRIMARY KEY (workspace, id)
);
CREATE INDEX ix_webhook_endpoints_created ON webhook_endpoints (workspace, created_at, id);

-- One row per event read for an endpoint, until retention deletes it: pending while delivered_at is null.
CREATE TABLE webhook_deliveries (
    workspace       text NOT NULL,
    endpoint_id     text NOT NULL,
    event_tx        bigint NOT NULL,
    event_id        bigint NOT NULL,
    event_type      bigint NOT NULL,
    conversation_id text NOT NULL,
    attempts        bigint NOT NULL,
    last_status     bigint NOT NULL,
    last_error      text NOT NULL,
    next_attempt_at bigint NULL,
    delivered_at    bigint NULL,
    created_at      bigint NOT NULL,
    body            text NOT NULL,  -- the request body: the event as the log had it when read
    PRIMARY KEY (workspace, endpoint_id, event_tx, event_id)
);
CREATE INDEX ix_webhook_deliveries_pending ON webhook_deliveries (workspace, endpoint_id, conversation_id, event_tx, event_id);
