-- Workspaces (tenants) and their API keys. A key is stored only as the SHA-256 of its secret.

CREATE TABLE workspaces (
    id         text   NOT NULL PRIMARY KEY,
    created_at bigint NOT NULL
);

CREATE TABLE api_keys (
    id         text   NOT NULL PRIMARY KEY,
    workspace  text    NOT NULL REFERENCES workspaces (id),
    scope      bigint NOT NULL,  -- 1 read, 2 write, 3 admin
    name       text    NOT NULL,
    prefix     text    NOT NULL,  -- the first characters of the key, to recognise it in lists
    hash       text    NOT NULL UNIQUE,
    created_at bigint NOT NULL,
    revoked_at bigint NULL
);
CREATE INDEX ix_api_keys_workspace ON api_keys (workspace, created_at);
