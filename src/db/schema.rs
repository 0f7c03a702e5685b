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

diesel::joinable!(sessions -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(users, sessions);
