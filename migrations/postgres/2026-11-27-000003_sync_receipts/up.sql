-- Answers of sync pushes sent with an Idempotency-Key, replayed for 24 h when the same push
-- is retried (its first answer was lost on the way back to the phone).
CREATE TABLE sync_push_receipts (
    user_id          TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    idempotency_key  TEXT NOT NULL,
    request_hash     TEXT NOT NULL,
    response         TEXT NOT NULL,
    created_at       TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, idempotency_key)
);
CREATE INDEX sync_push_receipts_user_created ON sync_push_receipts (user_id, created_at);
