-- Erasing an account deletes its wrong-code counter (ON DELETE CASCADE on user_id); without an
-- index that delete read the whole table. Found by tests/api/request_plans.rs.
CREATE INDEX redeem_throttle_user ON redeem_throttle (user_id);
