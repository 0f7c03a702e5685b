//! The one-statement create on PostgreSQL (`change_seq::insert_reserving`), straight on the
//! database: it must write only for a live patient session in the timezone the row was
//! built for, take the user's next number, and tell a repeated id from a refusal — the HTTP
//! tests reach it only through the routes, where the transaction path would hide a mistake.

use diesel::prelude::*;
use pain_journal::db::change_seq::ReservedInsert;
use pain_journal::db::journal::pain_entries::{self, PainEntryRow};
use pain_journal::db::schema::{sessions, users};
use pain_journal::db::sessions::PatientSession;
use pain_journal::db::DbConn;
use pain_journal::domain::{SessionFamilyId, UserId};
use serde_json::json;

use crate::helpers::{Engine, TestApp};

fn row(user_id: &str, id: &str) -> PainEntryRow {
    let at = chrono::NaiveDate::from_ymd_opt(2026, 11, 30)
        .unwrap()
        .and_hms_opt(8, 0, 0)
        .unwrap();
    PainEntryRow {
        user_id: user_id.to_owned(),
        id: id.to_owned(),
        recorded_at: at,
        local_date: at.date(),
        intensity: 4,
        back_pain: None,
        leg_pain: None,
        regions: "[]".into(),
        qualities: "[]".into(),
        triggers: "[]".into(),
        notes: None,
        version: 0,
        deleted: false,
        created_at: at,
        updated_at: at,
    }
}

fn change_seq(conn: &mut PgConnection, user_id: &str) -> i64 {
    users::table
        .find(user_id)
        .select(users::change_seq)
        .first(conn)
        .unwrap()
}

fn stored_ids(conn: &mut PgConnection, user_id: &str) -> Vec<(String, i64)> {
    use pain_journal::db::schema::pain_entries::dsl as pe;
    pe::pain_entries
        .filter(pe::user_id.eq(user_id))
        .select((pe::id, pe::version))
        .order(pe::id)
        .load(conn)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_only_for_a_live_patient_in_the_hinted_timezone() {
    let Some(app) = TestApp::spawn(Engine::Postgres).await else {
        return;
    };
    // Registered in Europe/Berlin (the helpers' default); a clinician beside her.
    let (ann, _) = app.user("ann@example.com").await;
    let user_id = ann["id"].as_str().unwrap().to_owned();
    let doctor = app
        .post_json(
            "/v1/auth/register",
            &json!({"email": "dr@example.com", "password": crate::helpers::PASSWORD,
                    "role": "clinician", "timezone": "Europe/Berlin"}),
        )
        .await;
    assert_eq!(doctor.status(), 201);
    let doctor: serde_json::Value = doctor.json().await.unwrap();
    let doctor_id = doctor["id"].as_str().unwrap().to_owned();
    let doctor_session = app.login("dr@example.com", "desk").await;
    drop(doctor_session);

    let mut pooled = app.db();
    let DbConn::Pg(conn) = &mut *pooled else {
        panic!("a PostgreSQL app has a PostgreSQL connection");
    };
    let family_of = |conn: &mut PgConnection, owner: &str| -> String {
        sessions::table
            .filter(sessions::user_id.eq(owner))
            .select(sessions::family_id)
            .first(conn)
            .unwrap()
    };
    let patient = PatientSession {
        user_id: UserId::from_trusted(user_id.clone()),
        session: SessionFamilyId::from_trusted(family_of(conn, &user_id)),
    };

    // The right timezone: written, with the user's next number.
    let before = change_seq(conn, &user_id);
    let first =
        pain_entries::insert_reserving(conn, &row(&user_id, "a"), &patient, "Europe/Berlin")
            .unwrap();
    assert_eq!(first, ReservedInsert::Inserted(before + 1));
    assert_eq!(
        stored_ids(conn, &user_id),
        vec![("a".to_owned(), before + 1)]
    );

    // The same id again: a number is taken (as on the transaction path), nothing written.
    let again =
        pain_entries::insert_reserving(conn, &row(&user_id, "a"), &patient, "Europe/Berlin")
            .unwrap();
    assert_eq!(again, ReservedInsert::AlreadyThere);
    assert_eq!(
        stored_ids(conn, &user_id),
        vec![("a".to_owned(), before + 1)]
    );

    // A row built for another timezone than the user's: nothing reserved, nothing written.
    // And a refusal is an answer, not an error: inside a transaction the next statement
    // still runs. (The first form let a NOT NULL violation refuse the row, which aborted the
    // transaction and logged an ERROR in PostgreSQL for every refused create.)
    let seq = change_seq(conn, &user_id);
    conn.transaction::<_, diesel::result::Error, _>(|conn| {
        let stale =
            pain_entries::insert_reserving(conn, &row(&user_id, "b"), &patient, "Asia/Tokyo")?;
        assert_eq!(stale, ReservedInsert::NotReserved);
        let after: i64 = users::table
            .find(&user_id)
            .select(users::change_seq)
            .first(conn)?;
        assert_eq!(after, seq);
        Ok(())
    })
    .expect("a refused create leaves its transaction usable");

    // A clinician's session: never a journal row, even with the right timezone.
    let clinician = PatientSession {
        user_id: UserId::from_trusted(doctor_id.clone()),
        session: SessionFamilyId::from_trusted(family_of(conn, &doctor_id)),
    };
    let refused =
        pain_entries::insert_reserving(conn, &row(&doctor_id, "c"), &clinician, "Europe/Berlin")
            .unwrap();
    assert_eq!(refused, ReservedInsert::NotReserved);
    assert!(stored_ids(conn, &doctor_id).is_empty());

    // Signed out: refused, both for a new id and for one that exists (which must not be
    // answered as "already there": that would show a signed-out device the stored entry).
    diesel::update(sessions::table.filter(sessions::user_id.eq(&user_id)))
        .set(sessions::revoked_at.eq(diesel::dsl::now))
        .execute(conn)
        .unwrap();
    for id in ["a", "d"] {
        let outcome =
            pain_entries::insert_reserving(conn, &row(&user_id, id), &patient, "Europe/Berlin")
                .unwrap();
        assert_eq!(outcome, ReservedInsert::NotReserved, "id {id}");
    }
    assert_eq!(change_seq(conn, &user_id), seq);
    assert_eq!(
        stored_ids(conn, &user_id),
        vec![("a".to_owned(), before + 1)]
    );
}
