//! Concurrent writers on one account: every acknowledged change survives, every outcome is
//! one that some serial order of the same requests gives, and no race answers 5xx.
//!
//! PostgreSQL runs READ COMMITTED, where a row read before the lock is taken can be stale
//! when it is written back; these tests are the ones that catch that.

use futures_util::future::join_all;
use serde_json::{json, Value};

use crate::both_engines;
use crate::helpers::{TestApp, PASSWORD};

both_engines!(
    concurrent_patches_and_a_delete_never_resurrect_or_lose_a_change,
    racing_creates_of_one_id_answer_as_in_a_serial_order,
    racing_pushes_with_one_idempotency_key_answer_alike,
);

/// Rounds of the five-writer race (four PATCHes of different fields and one DELETE).
const ROUNDS: usize = 100;

/// The fields the four concurrent PATCHes change, each to a value no other writer sends.
fn patches() -> Vec<(&'static str, Value)> {
    vec![
        ("intensity", json!(9)),
        ("back_pain", json!(8)),
        ("leg_pain", json!(7)),
        ("notes", json!("changed concurrently")),
    ]
}

async fn concurrent_patches_and_a_delete_never_resurrect_or_lose_a_change(app: TestApp) {
    let (_, tokens) = app.user("race@example.com").await;
    let token = tokens.access.as_str();
    let mut resurrected = Vec::new();
    let mut lost_fields = Vec::new();
    let mut server_errors = 0;
    for round in 0..ROUNDS {
        // Every other round races only PATCHes, so lost fields are visible in a live row.
        let with_delete = round % 2 == 0;
        let id = format!("race-{round}");
        let item = format!("/v1/pain-entries/{id}");
        app.post_expect(
            "/v1/pain-entries",
            token,
            &json!({"id": id, "recorded_at": "2026-11-20T08:30:00Z", "intensity": 1, "back_pain": 1, "leg_pain": 1}),
            201,
        )
        .await;

        let patch_requests = patches().into_iter().map(|(field, value)| {
            let item = item.clone();
            let app = &app;
            async move {
                let response = app.patch_auth(&item, token, &json!({ field: value })).await;
                (field, value, response.status().as_u16())
            }
        });
        let delete_request = async {
            if with_delete {
                Some(app.delete_auth(&item, token).await.status().as_u16())
            } else {
                None
            }
        };
        let (patch_results, delete_status) = tokio::join!(join_all(patch_requests), delete_request);

        server_errors += patch_results.iter().filter(|r| r.2 >= 500).count();
        server_errors += delete_status.iter().filter(|s| **s >= 500).count();
        let stored = app.get_auth(&item, token).await;
        match delete_status {
            Some(status) => {
                assert_eq!(status, 204, "round {round}: DELETE of a live entry");
                if stored.status() != 404 {
                    resurrected.push(round);
                }
                for (field, _, status) in &patch_results {
                    // A PATCH ordered after the DELETE finds nothing; before it, it applies.
                    assert!(
                        *status == 200 || *status == 404,
                        "round {round}: PATCH {field} answered {status}"
                    );
                }
            }
            None => {
                assert_eq!(stored.status(), 200, "round {round}");
                let row: Value = stored.json().await.unwrap();
                for (field, value, status) in patch_results {
                    assert_eq!(status, 200, "round {round}: PATCH {field}");
                    if row[field] != value {
                        lost_fields.push(format!("round {round}: {field}"));
                    }
                }
            }
        }
    }
    assert_eq!(server_errors, 0, "5xx answers in the race");
    assert!(
        resurrected.is_empty(),
        "{} of {} acknowledged deletes came back: rounds {resurrected:?}",
        resurrected.len(),
        ROUNDS / 2
    );
    assert!(
        lost_fields.is_empty(),
        "{} of {} acknowledged PATCHed fields were lost: {lost_fields:?}",
        lost_fields.len(),
        ROUNDS / 2 * patches().len()
    );
}

/// Concurrent creates per round (a phone retrying while the web app sends the same entry).
const RACERS: usize = 6;

async fn racing_creates_of_one_id_answer_as_in_a_serial_order(app: TestApp) {
    let (_, tokens) = app.user("creates@example.com").await;
    let token = tokens.access.as_str();
    for round in 0..30 {
        let id = format!("same-{round}");
        // Even rounds send identical bodies; odd rounds let one racer differ.
        let bodies: Vec<Value> = (0..RACERS)
            .map(|racer| {
                let intensity = if round % 2 == 1 && racer == 0 { 8 } else { 4 };
                json!({"id": id, "recorded_at": "2026-11-21T10:00:00Z", "intensity": intensity})
            })
            .collect();
        let statuses: Vec<(i64, u16)> = join_all(bodies.iter().map(|body| async {
            let response = app.post_auth("/v1/pain-entries", token, body).await;
            (
                body["intensity"].as_i64().unwrap(),
                response.status().as_u16(),
            )
        }))
        .await;
        let stored: Value = app.get_json(&format!("/v1/pain-entries/{id}"), token).await;
        let winner = stored["intensity"].as_i64().unwrap();
        let created = statuses.iter().filter(|(_, s)| *s == 201).count();
        assert_eq!(created, 1, "round {round}: exactly one 201: {statuses:?}");
        for (intensity, status) in &statuses {
            // Same values as the stored entry: 201 or 200; other values: 409 (unless it won).
            let expected: &[u16] = if *intensity == winner {
                &[200, 201]
            } else {
                &[409]
            };
            assert!(
                expected.contains(status),
                "round {round}: intensity {intensity} answered {status}, stored {winner}: {statuses:?}"
            );
        }
    }
}

async fn racing_pushes_with_one_idempotency_key_answer_alike(app: TestApp) {
    let (_, tokens) = app.user("pushes@example.com").await;
    for round in 0..30 {
        let body = json!({"changes": {"pain_entries": {"created": [
            {"id": format!("push-{round}"), "recorded_at": 1_763_600_000_000_i64 + round, "intensity": 5}
        ], "updated": [], "deleted": []}}});
        let key = format!("key-{round}");
        let answers = join_all((0..2).map(|_| async {
            let response = app
                .client
                .post(app.url("/v1/sync?last_pulled_at=0"))
                .bearer_auth(&tokens.access)
                .header("Idempotency-Key", &key)
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, response.text().await.unwrap())
        }))
        .await;
        for (status, text) in &answers {
            assert_eq!(*status, 200, "round {round}: {text}");
        }
        assert_eq!(
            answers[0].1, answers[1].1,
            "round {round}: the replay answers the first result"
        );
    }
    let pulled = app
        .get_json("/v1/sync?last_pulled_at=0", &tokens.access)
        .await;
    assert_eq!(
        pulled["changes"]["pain_entries"]["updated"]
            .as_array()
            .unwrap()
            .len(),
        30
    );
}

both_engines!(settings: many_login_attempts; parallel_wrong_logins_are_each_counted);

fn many_login_attempts(settings: &mut pain_journal::config::Settings) {
    settings.login_max_failures = 24;
    settings.max_concurrent_hashes = 8;
}

/// Wrong passwords sent at once: each is counted, so exactly the allowed number locks the
/// account (an undercount would let the right password in and allow more guesses).
async fn parallel_wrong_logins_are_each_counted(app: TestApp) {
    let app = &app;
    let allowed = app.settings.login_max_failures as usize;
    for (email, wrong) in [
        ("one-short@example.com", allowed - 1),
        ("exact@example.com", allowed),
    ] {
        app.register(email).await;
        let statuses = join_all((0..wrong).map(|i| async move {
            app.post_json(
                "/v1/auth/login",
                &json!({"email": email, "password": format!("wrong password {i}")}),
            )
            .await
            .status()
            .as_u16()
        }))
        .await;
        assert!(statuses.iter().all(|s| *s == 401), "{email}: {statuses:?}");
        assert_eq!(
            app.failed_logins(email),
            wrong as i64,
            "{email}: failures counted"
        );
        let right = app
            .post_json(
                "/v1/auth/login",
                &json!({"email": email, "password": PASSWORD}),
            )
            .await
            .status();
        let expected = if wrong < allowed { 200 } else { 429 };
        assert_eq!(
            right, expected,
            "{email}: the right password after {wrong} failures"
        );
    }
}
