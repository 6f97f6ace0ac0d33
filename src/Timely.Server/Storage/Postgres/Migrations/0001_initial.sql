-- The PostgreSQL schema: the same tables as the SQLite one (Storage/Sqlite/Migrations), in PostgreSQL types.
-- Times are microseconds since the Unix epoch (UTC); ids are UUID strings.

CREATE TABLE conversations (
    id               text   NOT NULL PRIMARY KEY,
    workspace        text   NOT NULL,
    agent_id         text   NOT NULL,
    channel_id       text   NOT NULL,
    contact_id       text   NOT NULL,
    status           bigint NOT NULL,
    assigned_to      text   NULL,
    subject          text   NOT NULL,
    tags             text   NOT NULL,
    created_at       bigint NOT NULL,
    closed_at        bigint NULL,
    last_message_at  bigint NULL,
    activity_at      bigint NOT NULL,
    last_sender_type bigint NULL,
    last_sequence    bigint NOT NULL,
    version          bigint NOT NULL
);
CREATE INDEX ix_conversations_activity ON conversations (workspace, activity_at, id);
CREATE INDEX ix_conversations_created  ON conversations (workspace, created_at, id);
CREATE INDEX ix_conversations_agent    ON conversations (workspace, agent_id, activity_at, id);
CREATE INDEX ix_conversations_channel  ON conversations (workspace, channel_id, contact_id, status, activity_at);
CREATE INDEX ix_conversations_contact  ON conversations (workspace, contact_id, activity_at, id);
CREATE INDEX ix_conversations_status   ON conversations (workspace, status, activity_at, id);
CREATE INDEX ix_conversations_sweep    ON conversations (status, activity_at);
CREATE INDEX ix_conversations_assigned ON conversations (workspace, assigned_to, activity_at, id) WHERE assigned_to IS NOT NULL;

CREATE TABLE conversation_tags (
    conversation_id text NOT NULL,
    workspace       text NOT NULL,
    tag             text NOT NULL,
    PRIMARY KEY (conversation_id, tag)
);
CREATE INDEX ix_conversation_tags_tag ON conversation_tags (workspace, tag, conversation_id);

CREATE TABLE messages (
    id              text   NOT NULL PRIMARY KEY,
    conversation_id text   NOT NULL,
    workspace       text   NOT NULL,
    sequence        bigint NOT NULL,
    sender_type     bigint NOT NULL,
    sender_id       text   NULL,
    content         text   NOT NULL,
    message_type    bigint NOT NULL,
    media_url       text   NOT NULL,
    media_type      text   NOT NULL,
    metadata        text   NOT NULL,
    created_at      bigint NOT NULL,
    UNIQUE (conversation_id, sequence)
);

CREATE TABLE events (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace       text   NOT NULL,
    conversation_id text   NOT NULL,
    agent_id        text   NOT NULL,
    channel_id      text   NOT NULL,
    type            bigint NOT NULL,
    occurred_at     bigint NOT NULL,
    status          bigint NOT NULL,
    old_status      bigint NULL,
    message_id      text   NULL,
    conversation    text   NOT NULL
);
CREATE INDEX ix_events_workspace ON events (workspace, id);
CREATE INDEX ix_events_occurred ON events (occurred_at);

CREATE TABLE request_ids (
    workspace       text   NOT NULL,
    request_id      text   NOT NULL,
    fingerprint     text   NOT NULL,
    conversation_id text   NOT NULL,
    message_id      text   NULL,
    created_at      bigint NOT NULL,
    PRIMARY KEY (workspace, request_id)
);
CREATE INDEX ix_request_ids_created ON request_ids (created_at);

CREATE TABLE inbound_messages (
    workspace       text NOT NULL,
    channel_id      text NOT NULL,
    external_id     text NOT NULL,
    message_id      text NOT NULL,
    conversation_id text NOT NULL,
    PRIMARY KEY (workspace, channel_id, external_id)
);

CREATE TABLE counters (
    name  text   NOT NULL PRIMARY KEY,
    value bigint NOT NULL
);
INSERT INTO counters (name, value) VALUES ('events_pruned_through', 0);

CREATE TABLE secrets (
    name  text  NOT NULL PRIMARY KEY,
    value bytea NOT NULL
);
