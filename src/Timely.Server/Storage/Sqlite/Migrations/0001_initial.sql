-- Times are microseconds since the Unix epoch (UTC); ids are UUID strings.

CREATE TABLE conversations (
    id               TEXT    NOT NULL PRIMARY KEY,
    workspace        TEXT    NOT NULL,
    agent_id         TEXT    NOT NULL,
    channel_id       TEXT    NOT NULL,
    contact_id       TEXT    NOT NULL,
    status           INTEGER NOT NULL,
    assigned_to      TEXT    NULL,
    subject          TEXT    NOT NULL,
    tags             TEXT    NOT NULL,  -- JSON array, in the order given
    created_at       INTEGER NOT NULL,
    closed_at        INTEGER NULL,
    last_message_at  INTEGER NULL,
    activity_at      INTEGER NOT NULL,  -- last_message_at, or created_at before the first message
    last_sender_type INTEGER NULL,
    last_sequence    INTEGER NOT NULL,
    version          INTEGER NOT NULL
);

-- One index per list filter, each ending in the sort key so a page is an index range scan.
CREATE INDEX ix_conversations_activity ON conversations (workspace, activity_at, id);
CREATE INDEX ix_conversations_created  ON conversations (workspace, created_at, id);
CREATE INDEX ix_conversations_agent    ON conversations (workspace, agent_id, activity_at, id);
CREATE INDEX ix_conversations_channel  ON conversations (workspace, channel_id, contact_id, status, activity_at);
CREATE INDEX ix_conversations_contact  ON conversations (workspace, contact_id, activity_at, id);
CREATE INDEX ix_conversations_status   ON conversations (workspace, status, activity_at, id);
CREATE INDEX ix_conversations_sweep    ON conversations (status, activity_at);  -- the inactivity sweeper, across workspaces
CREATE INDEX ix_conversations_assigned ON conversations (workspace, assigned_to, activity_at, id) WHERE assigned_to IS NOT NULL;

CREATE TABLE conversation_tags (
    conversation_id TEXT NOT NULL,
    workspace       TEXT NOT NULL,
    tag             TEXT NOT NULL,
    PRIMARY KEY (conversation_id, tag)
);
CREATE INDEX ix_conversation_tags_tag ON conversation_tags (workspace, tag, conversation_id);

CREATE TABLE messages (
    id               TEXT    NOT NULL PRIMARY KEY,
    conversation_id  TEXT    NOT NULL,
    workspace        TEXT    NOT NULL,
    sequence         INTEGER NOT NULL,
    sender_type      INTEGER NOT NULL,
    sender_id        TEXT    NULL,
    content          TEXT    NOT NULL,
    message_type     INTEGER NOT NULL,
    media_url        TEXT    NOT NULL,
    media_type       TEXT    NOT NULL,
    metadata         TEXT    NOT NULL,  -- JSON object
    created_at       INTEGER NOT NULL,
    UNIQUE (conversation_id, sequence)
);

-- The append-only log behind WatchConversations, written in the same transaction as each change.
CREATE TABLE events (
    id              INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    workspace       TEXT    NOT NULL,
    conversation_id TEXT    NOT NULL,
    agent_id        TEXT    NOT NULL,
    channel_id      TEXT    NOT NULL,
    type            INTEGER NOT NULL,
    occurred_at     INTEGER NOT NULL,
    status          INTEGER NOT NULL,  -- the conversation's status after the event
    old_status      INTEGER NULL,
    message_id      TEXT    NULL,
    conversation    TEXT    NOT NULL   -- JSON snapshot of the conversation after the event
);
CREATE INDEX ix_events_workspace ON events (workspace, id);
CREATE INDEX ix_events_occurred ON events (occurred_at);

-- AIP-155 request ids: a retried write returns what the first one wrote.
CREATE TABLE request_ids (
    workspace       TEXT    NOT NULL,
    request_id      TEXT    NOT NULL,
    fingerprint     TEXT    NOT NULL,  -- operation and hash of the request, to refuse reuse for another request
    conversation_id TEXT    NOT NULL,
    message_id      TEXT    NULL,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (workspace, request_id)
);
CREATE INDEX ix_request_ids_created ON request_ids (created_at);

-- Inbound channel messages dedupe on the channel's own message id.
CREATE TABLE inbound_messages (
    workspace       TEXT    NOT NULL,
    channel_id      TEXT    NOT NULL,
    external_id     TEXT    NOT NULL,
    message_id      TEXT    NOT NULL,
    conversation_id TEXT    NOT NULL,
    PRIMARY KEY (workspace, channel_id, external_id)
);

-- Named counters: 'events_pruned_through' is the highest event id deleted by retention.
CREATE TABLE counters (
    name  TEXT    NOT NULL PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO counters (name, value) VALUES ('events_pruned_through', 0);

-- Keys shared by every replica, e.g. the one that signs page tokens and cursors.
CREATE TABLE secrets (
    name  TEXT NOT NULL PRIMARY KEY,
    value BLOB NOT NULL
);
