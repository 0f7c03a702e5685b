//! Diesel table definitions, shared by both engines (see `migrations/<engine>/`).

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        password_hash -> Text,
        display_name -> Nullable<Text>,
        role -> Text,
        timezone -> Text,
        change_seq -> BigInt,
        failed_logins -> Integer,
        failed_login_window_start -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    sessions (user_id, id) {
        user_id -> Text,
        id -> Text,
        family_id -> Text,
        device_name -> Nullable<Text>,
        token_hash -> Text,
        rotated_from -> Nullable<Text>,
        signed_in_at -> Timestamp,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        expires_at -> Timestamp,
        rotated_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    medications (user_id, id) {
        user_id -> Text,
        id -> Text,
        name -> Text,
        drug_class -> Text,
        opioid -> Nullable<Text>,
        strength -> Double,
        strength_unit -> Text,
        form -> Text,
        active -> Bool,
        version -> BigInt,
        deleted -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    pain_entries (user_id, id) {
        user_id -> Text,
        id -> Text,
        recorded_at -> Timestamp,
        local_date -> Date,
        intensity -> Integer,
        back_pain -> Nullable<Integer>,
        leg_pain -> Nullable<Integer>,
        regions -> Text,
        qualities -> Text,
        triggers -> Text,
        notes -> Nullable<Text>,
        version -> BigInt,
        deleted -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    medication_intakes (user_id, id) {
        user_id -> Text,
        id -> Text,
        medication_id -> Text,
        taken_at -> Timestamp,
        local_date -> Date,
        quantity -> Double,
        notes -> Nullable<Text>,
        dose_mg -> Nullable<Double>,
        mme -> Nullable<Double>,
        mme_table -> Nullable<Text>,
        version -> BigInt,
        deleted -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    massage_sessions (user_id, id) {
        user_id -> Text,
        id -> Text,
        started_at -> Timestamp,
        local_date -> Date,
        duration_min -> Integer,
        kind -> Text,
        pressure -> Nullable<Text>,
        therapist -> Nullable<Text>,
        regions -> Text,
        pain_before -> Nullable<Integer>,
        pain_after -> Nullable<Integer>,
        soreness_next_day -> Nullable<Integer>,
        notes -> Nullable<Text>,
        version -> BigInt,
        deleted -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    check_ins (user_id, id) {
        user_id -> Text,
        id -> Text,
        answered_at -> Timestamp,
        local_date -> Date,
        kind -> Text,
        items -> Text,
        score -> Double,
        version -> BigInt,
        deleted -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(sessions -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(
    users,
    sessions,
    medications,
    pain_entries,
    medication_intakes,
    massage_sessions,
    check_ins,
    sync_push_receipts,
    share_grants,
    access_log,
    redeem_throttle
);

diesel::table! {
    sync_push_receipts (user_id, idempotency_key) {
        user_id -> Text,
        idempotency_key -> Text,
        request_hash -> Text,
        response -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    share_grants (user_id, id) {
        user_id -> Text,
        id -> Text,
        kind -> Text,
        scope -> Text,
        label -> Text,
        secret_hash -> Text,
        clinician_id -> Nullable<Text>,
        redeem_by -> Nullable<Timestamp>,
        redeemed_at -> Nullable<Timestamp>,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        last_access_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    access_log (user_id, id) {
        user_id -> Text,
        id -> Text,
        share_id -> Text,
        clinician_id -> Nullable<Text>,
        viewer -> Text,
        what -> Text,
        address -> Nullable<Text>,
        at -> Timestamp,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    redeem_throttle (subject) {
        subject -> Text,
        user_id -> Nullable<Text>,
        failures -> Integer,
        window_start -> Timestamp,
    }
}
