-- A tombstone keeps id, owner, version and deleted only: clear every value that deleted
-- entries kept before this rule (what they said about the person's health, and when).
UPDATE pain_entries
   SET recorded_at = TIMESTAMP '1970-01-01 00:00:00', local_date = DATE '1970-01-01', intensity = 0, back_pain = NULL,
       leg_pain = NULL, regions = '[]', qualities = '[]', triggers = '[]', notes = NULL,
       created_at = updated_at
 WHERE deleted;
UPDATE check_ins
   SET answered_at = TIMESTAMP '1970-01-01 00:00:00', local_date = DATE '1970-01-01', kind = '', items = '[]', score = 0,
       created_at = updated_at
 WHERE deleted;
UPDATE massage_sessions
   SET started_at = TIMESTAMP '1970-01-01 00:00:00', local_date = DATE '1970-01-01', duration_min = 0, kind = '', pressure = NULL,
       therapist = NULL, regions = '[]', pain_before = NULL, pain_after = NULL,
       soreness_next_day = NULL, notes = NULL, created_at = updated_at
 WHERE deleted;
UPDATE medication_intakes
   SET taken_at = TIMESTAMP '1970-01-01 00:00:00', local_date = DATE '1970-01-01', quantity = 0, notes = NULL, dose_mg = NULL,
       mme = NULL, mme_table = NULL, created_at = updated_at
 WHERE deleted;
-- A deleted medication whose intakes are still live keeps what those intakes need (their
-- class and strength) until they are deleted; from now on deleting a medication deletes
-- its intakes, so only rows written before this migration can be in that state.
UPDATE medications
   SET name = '', drug_class = '', opioid = NULL, strength = 0, strength_unit = '', form = '',
       active = false, created_at = updated_at
 WHERE deleted
   AND NOT EXISTS (SELECT 1 FROM medication_intakes i
                    WHERE i.user_id = medications.user_id AND i.medication_id = medications.id
                      AND NOT i.deleted);
