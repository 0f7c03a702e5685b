-- Accounts and refresh-token families.
-- Instants are UTC in TIMESTAMP (microseconds), ids are TEXT (client-chosen ids come later).
CREATE TABLE users (
    id                         TEXT PRIMARY KEY,
    email                      TEXT NOT NULL UNIQUE,
    password_hash              TEXT NOT NULL,
    display_name               TEXT,
    role                       TEXT NOT NULL CHECK (role IN ('patient', 'clinician')),
    timezone                   TEXT NOT NULL,
    change_seq                 INTEGER NOT NULL DEFAULT 1,
    failed_logins              INTEGER NOT NULL DEFAULT 0,
    failed_login_window_start  TIMESTAMP,
    created_at                 TIMESTAMP NOT NULL,
    updated_at                 TIMESTAMP NOT NULL
);

-- One row per refresh token; rows of one device login share a family_id, and the newest
-- (rotated_at IS NULL) is the one the device holds. created_at of that row = last refresh.
-- The primary key leads with user_id so the table can be distributed by user.
CREATE TABLE sessions (
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    id            TEXT NOT NULL,
    family_id     TEXT NOT NULL,
    device_name   TEXT,
    token_hash    TEXT NOT NULL,
    rotated_from  TEXT,
    signed_in_at  TIMESTAMP NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    expires_at    TIMESTAMP NOT NULL,
    rotated_at    TIMESTAMP,
    revoked_at    TIMESTAMP,
    PRIMARY KEY (user_id, id)
);
CREATE UNIQUE INDEX sessions_user_token ON sessions (user_id, token_hash);
CREATE INDEX sessions_user_family ON sessions (user_id, family_id);
