-- SQLite only: each person's journal rows stored together, in time order.
--
-- In rowid tables the rows of all people interleave in the order they were written, so a list
-- of someone's latest 50 entries, a day view or the insight read up to one table page per row.
-- Keyed by (user_id, time, id) WITHOUT ROWID, a person's rows sit on a few neighbouring pages
-- and a list reads them in order from the table itself (the sqlite3 shell: 20k list-50 queries
-- over 40k interleaved rows took 2.2 s instead of 3.8-4.5 s). (user_id, id) stays unique, by an
-- index, which also serves look-ups by id and `ON CONFLICT (user_id, id)`.
--
-- Each table is rebuilt: new table, copy, drop, rename. Nothing references these four tables,
-- so dropping them cascades nowhere even with foreign keys on; medications (which intakes
-- reference) keeps its layout.

CREATE TABLE pain_entries_by_time (
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
    PRIMARY KEY (user_id, recorded_at, id)
) WITHOUT ROWID;
INSERT INTO pain_entries_by_time (user_id, id, recorded_at, local_date, intensity, back_pain, leg_pain, regions, qualities, triggers, notes, version, deleted, created_at, updated_at)
    SELECT user_id, id, recorded_at, local_date, intensity, back_pain, leg_pain, regions, qualities, triggers, notes, version, deleted, created_at, updated_at FROM pain_entries;
DROP TABLE pain_entries;
ALTER TABLE pain_entries_by_time RENAME TO pain_entries;
CREATE UNIQUE INDEX pain_entries_user_id ON pain_entries (user_id, id);
CREATE INDEX pain_entries_user_day ON pain_entries (user_id, local_date);
CREATE INDEX pain_entries_user_version ON pain_entries (user_id, version);

CREATE TABLE medication_intakes_by_time (
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
    PRIMARY KEY (user_id, taken_at, id),
    FOREIGN KEY (user_id, medication_id) REFERENCES medications (user_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
INSERT INTO medication_intakes_by_time (user_id, id, medication_id, taken_at, local_date, quantity, notes, dose_mg, mme, mme_table, version, deleted, created_at, updated_at)
    SELECT user_id, id, medication_id, taken_at, local_date, quantity, notes, dose_mg, mme, mme_table, version, deleted, created_at, updated_at FROM medication_intakes;
DROP TABLE medication_intakes;
ALTER TABLE medication_intakes_by_time RENAME TO medication_intakes;
CREATE UNIQUE INDEX medication_intakes_user_id ON medication_intakes (user_id, id);
CREATE INDEX medication_intakes_user_day ON medication_intakes (user_id, local_date);
CREATE INDEX medication_intakes_user_version ON medication_intakes (user_id, version);
CREATE INDEX medication_intakes_user_medication ON medication_intakes (user_id, medication_id);

CREATE TABLE massage_sessions_by_time (
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
    PRIMARY KEY (user_id, started_at, id)
) WITHOUT ROWID;
INSERT INTO massage_sessions_by_time (user_id, id, started_at, local_date, duration_min, kind, pressure, therapist, regions, pain_before, pain_after, soreness_next_day, notes, version, deleted, created_at, updated_at)
    SELECT user_id, id, started_at, local_date, duration_min, kind, pressure, therapist, regions, pain_before, pain_after, soreness_next_day, notes, version, deleted, created_at, updated_at FROM massage_sessions;
DROP TABLE massage_sessions;
ALTER TABLE massage_sessions_by_time RENAME TO massage_sessions;
CREATE UNIQUE INDEX massage_sessions_user_id ON massage_sessions (user_id, id);
CREATE INDEX massage_sessions_user_day ON massage_sessions (user_id, local_date);
CREATE INDEX massage_sessions_user_version ON massage_sessions (user_id, version);

CREATE TABLE check_ins_by_time (
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
    PRIMARY KEY (user_id, answered_at, id)
) WITHOUT ROWID;
INSERT INTO check_ins_by_time (user_id, id, answered_at, local_date, kind, items, score, version, deleted, created_at, updated_at)
    SELECT user_id, id, answered_at, local_date, kind, items, score, version, deleted, created_at, updated_at FROM check_ins;
DROP TABLE check_ins;
ALTER TABLE check_ins_by_time RENAME TO check_ins;
CREATE UNIQUE INDEX check_ins_user_id ON check_ins (user_id, id);
CREATE INDEX check_ins_user_day ON check_ins (user_id, local_date);
CREATE INDEX check_ins_user_version ON check_ins (user_id, version);
