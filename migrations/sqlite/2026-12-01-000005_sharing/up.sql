-- Clinician sharing. A grant belongs to the patient who made it (user_id), like every other
-- row; the clinician who redeemed a code is a second, nullable reference.
CREATE TABLE share_grants (
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    id              TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('code', 'link')),
    scope           TEXT NOT NULL CHECK (scope IN ('summary', 'full', 'therapist')),
    label           TEXT NOT NULL,
    -- SHA-256 (hex) of the code (normalised) or of the link token; never the secret itself.
    secret_hash     TEXT NOT NULL,
    -- A code: who redeemed it (an erased clinician account leaves the grant unusable).
    clinician_id    TEXT REFERENCES users (id) ON DELETE SET NULL,
    redeem_by       TIMESTAMP,
    redeemed_at     TIMESTAMP,
    expires_at      TIMESTAMP NOT NULL,
    revoked_at      TIMESTAMP,
    last_access_at  TIMESTAMP,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, id)
);
CREATE UNIQUE INDEX share_grants_secret ON share_grants (secret_hash);
CREATE INDEX share_grants_clinician ON share_grants (clinician_id, user_id);
CREATE INDEX share_grants_user_created ON share_grants (user_id, created_at, id);

-- Every look a clinician or a link took at a patient's data, written in the transaction that
-- served it. The API can only read it; erasing the patient's account erases it.
CREATE TABLE access_log (
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    id            TEXT NOT NULL,
    share_id      TEXT NOT NULL,
    -- The clinician account (kept as text: the entry outlives that account) and how the
    -- viewer was named at the time.
    clinician_id  TEXT,
    viewer        TEXT NOT NULL,
    what          TEXT NOT NULL,
    -- The client address, truncated (IPv4 /24, IPv6 /48).
    address       TEXT,
    at            TIMESTAMP NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, id)
);
CREATE INDEX access_log_user_at ON access_log (user_id, at, id);

-- Wrong share codes, counted per clinician and per (truncated) address so the limit holds
-- across servers. The one table keyed by something other than a user: an address has none.
-- A clinician's counter goes with their account.
CREATE TABLE redeem_throttle (
    subject       TEXT PRIMARY KEY,
    user_id       TEXT REFERENCES users (id) ON DELETE CASCADE,
    failures      INTEGER NOT NULL,
    window_start  TIMESTAMP NOT NULL
);
