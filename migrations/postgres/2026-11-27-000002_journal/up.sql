-- The journal. Every table: owned by user_id (leading every key and index, so the data can be
-- distributed by user), ids chosen by the client and unique per user, `version` = the user's
-- change number of the row's last write, `deleted` = tombstone kept for sync.
-- Sets and item lists are JSON arrays in TEXT (the sync wire format uses the same strings).

CREATE TABLE medications (
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    id             TEXT NOT NULL,
    name           TEXT NOT NULL,
    drug_class     TEXT NOT NULL,
    opioid         TEXT,
    strength       DOUBLE PRECISION NOT NULL,
    strength_unit  TEXT NOT NULL,
    form           TEXT NOT NULL,
    active         BOOLEAN NOT NULL,
    version        BIGINT NOT NULL,
    deleted        BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, id)
);
CREATE INDEX medications_user_created ON medications (user_id, created_at, id);
CREATE INDEX medications_user_version ON medications (user_id, version);

CREATE TABLE pain_entries (
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    id           TEXT NOT NULL,
    recorded_at  TIMESTAMP NOT NULL,
    local_date   DATE NOT NULL,
    intensity    INTEGER NOT NULL,
    back_pain    INTEGER,
    leg_pain     INTEGER,
    regions      TEXT NOT NULL,
    qualities    TEXT NOT NULL,
    triggers     TEXT NOT NULL,
    notes        TEXT,
    version      BIGINT NOT NULL,
    deleted      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, id)
);
CREATE INDEX pain_entries_user_time ON pain_entries (user_id, recorded_at, id);
CREATE INDEX pain_entries_user_day ON pain_entries (user_id, local_date);
CREATE INDEX pain_entries_user_version ON pain_entries (user_id, version);

CREATE TABLE medication_intakes (
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    id             TEXT NOT NULL,
    medication_id  TEXT NOT NULL,
    taken_at       TIMESTAMP NOT NULL,
    local_date     DATE NOT NULL,
    quantity       DOUBLE PRECISION NOT NULL,
    notes          TEXT,
    dose_mg        DOUBLE PRECISION,
    mme            DOUBLE PRECISION,
    mme_table      TEXT,
    version        BIGINT NOT NULL,
    deleted        BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, id),
    FOREIGN KEY (user_id, medication_id) REFERENCES medications (user_id, id) ON DELETE CASCADE
);
CREATE INDEX medication_intakes_user_time ON medication_intakes (user_id, taken_at, id);
CREATE INDEX medication_intakes_user_day ON medication_intakes (user_id, local_date);
CREATE INDEX medication_intakes_user_version ON medication_intakes (user_id, version);
CREATE INDEX medication_intakes_user_medication ON medication_intakes (user_id, medication_id);

CREATE TABLE massage_sessions (
    user_id            TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    id                 TEXT NOT NULL,
    started_at         TIMESTAMP NOT NULL,
    local_date         DATE NOT NULL,
    duration_min       INTEGER NOT NULL,
    kind               TEXT NOT NULL,
    pressure           TEXT,
    therapist          TEXT,
    regions            TEXT NOT NULL,
    pain_before        INTEGER,
    pain_after         INTEGER,
    soreness_next_day  INTEGER,
    notes              TEXT,
    version            BIGINT NOT NULL,
    deleted            BOOLEAN NOT NULL DEFAULT FALSE,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, id)
);
CREATE INDEX massage_sessions_user_time ON massage_sessions (user_id, started_at, id);
CREATE INDEX massage_sessions_user_day ON massage_sessions (user_id, local_date);
CREATE INDEX massage_sessions_user_version ON massage_sessions (user_id, version);

CREATE TABLE check_ins (
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    id           TEXT NOT NULL,
    answered_at  TIMESTAMP NOT NULL,
    local_date   DATE NOT NULL,
    kind         TEXT NOT NULL,
    items        TEXT NOT NULL,
    score        DOUBLE PRECISION NOT NULL,
    version      BIGINT NOT NULL,
    deleted      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, id)
);
CREATE INDEX check_ins_user_time ON check_ins (user_id, answered_at, id);
CREATE INDEX check_ins_user_day ON check_ins (user_id, local_date);
CREATE INDEX check_ins_user_version ON check_ins (user_id, version);
