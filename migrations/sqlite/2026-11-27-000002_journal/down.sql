DROP TABLE check_ins;
DROP TABLE massage_sessions;
DROP TABLE medication_intakes;
DROP TABLE pain_entries;
DROP TABLE medications;
