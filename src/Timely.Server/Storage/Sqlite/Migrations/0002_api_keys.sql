-- Workspaces (tenants) and their API keys. A key is stored only as the SHA-256 of its secret.

CREATE TABLE workspaces (
    id         TEXT    NOT NULL PRIMARY KEY,
    created_at INTEGER NOT NULL
);

CREATE TABLE api_keys (
    id         TEXT    NOT NULL PRIMARY KEY,
    workspace  TEXT    NOT NULL REFERENCES workspaces (id),
    scope      INTEGER NOT NULL,  -- 1 read, 2 write, 3 admin
    name       TEXT    NOT NULL,
    prefix     TEXT    NOT NULL,  -- the first characters of the key, to recognise it in lists
    hash       TEXT    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER NULL
);
CREATE INDEX ix_api_keys_workspace ON api_keys (workspace, created_at);
