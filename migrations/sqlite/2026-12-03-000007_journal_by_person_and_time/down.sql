-- Back to rowid tables keyed by (user_id, id).

CREATE TABLE pain_entries_by_id (
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
    version      INTEGER NOT NULL,
    deleted      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, id)
);
INSERT INTO pain_entries_by_id (user_id, id, recorded_at, local_date, intensity, back_pain, leg_pain, regions, qualities, triggers, notes, version, deleted, created_at, updated_at)
    SELECT user_id, id, recorded_at, local_date, intensity, back_pain, leg_pain, regions, qualities, triggers, notes, version, deleted, created_at, updated_at FROM pain_entries;
DROP TABLE pain_entries;
ALTER TABLE pain_entries_by_id RENAME TO pain_entries;
CREATE INDEX pain_entries_user_time ON pain_entries (user_id, recorded_at, id);
CREATE INDEX pain_entries_user_day ON pain_entries (user_id, local_date);
CREATE INDEX pain_entries_user_version ON pain_entries (user_id, version);

CREATE TABLE medication_intakes_by_id (
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    id             TEXT NOT NULL,
    medication_id  TEXT NOT NULL,
    taken_at       TIMESTAMP NOT NULL,
    local_date     DATE NOT NULL,
    quantity       REAL NOT NULL,
    notes          TEXT,
    dose_mg        REAL,
    mme            REAL,
    mme_table      TEXT,
    version        INTEGER NOT NULL,
    deleted        BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, id),
    FOREIGN KEY (user_id, medication_id) REFERENCES medications (user_id, id) ON DELETE CASCADE
);
INSERT INTO medication_intakes_by_id (user_id, id, medication_id, taken_at, local_date, quantity, notes, dose_mg, mme, mme_table, version, deleted, created_at, updated_at)
    SELECT user_id, id, medication_id, taken_at, local_date, quantity, notes, dose_mg, mme, mme_table, version, deleted, created_at, updated_at FROM medication_intakes;
DROP TABLE medication_intakes;
ALTER TABLE medication_intakes_by_id RENAME TO medication_intakes;
CREATE INDEX medication_intakes_user_time ON medication_intakes (user_id, taken_at, id);
CREATE INDEX medication_intakes_user_day ON medication_intakes (user_id, local_date);
CREATE INDEX medication_intakes_user_version ON medication_intakes (user_id, version);
CREATE INDEX medication_intakes_user_medication ON medication_intakes (user_id, medication_id);

CREATE TABLE massage_sessions_by_id (
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
    version            INTEGER NOT NULL,
    deleted            BOOLEAN NOT NULL DEFAULT FALSE,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, id)
);
INSERT INTO massage_sessions_by_id (user_id, id, started_at, local_date, duration_min, kind, pressure, therapist, regions, pain_before, pain_after, soreness_next_day, notes, version, deleted, created_at, updated_at)
    SELECT user_id, id, started_at, local_date, duration_min, kind, pressure, therapist, regions, pain_before, pain_after, soreness_next_day, notes, version, deleted, created_at, updated_at FROM massage_sessions;
DROP TABLE massage_sessions;
ALTER TABLE massage_sessions_by_id RENAME TO massage_sessions;
CREATE INDEX massage_sessions_user_time ON massage_sessions (user_id, started_at, id);
CREATE INDEX massage_sessions_user_day ON massage_sessions (user_id, local_date);
CREATE INDEX massage_sessions_user_version ON massage_sessions (user_id, version);

CREATE TABLE check_ins_by_id (
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    id           TEXT NOT NULL,
    answered_at  TIMESTAMP NOT NULL,
    local_date   DATE NOT NULL,
    kind         TEXT NOT NULL,
    items        TEXT NOT NULL,
    score        REAL NOT NULL,
    version      INTEGER NOT NULL,
    deleted      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, id)
);
INSERT INTO check_ins_by_id (user_id, id, answered_at, local_date, kind, items, score, version, deleted, created_at, updated_at)
    SELECT user_id, id, answered_at, local_date, kind, items, score, version, deleted, created_at, updated_at FROM check_ins;
DROP TABLE check_ins;
ALTER TABLE check_ins_by_id RENAME TO check_ins;
CREATE INDEX check_ins_user_time ON check_ins (user_id, answered_at, id);
CREATE INDEX check_ins_user_day ON check_ins (user_id, local_date);
CREATE INDEX check_ins_user_version ON check_ins (user_id, version);
