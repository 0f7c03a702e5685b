//! The journal over REST: every kind, ownership, idempotency, local days, MME, paging.

use serde_json::{json, Value};

use crate::both_engines;
use crate::helpers::{assert_problem, TestApp, Tokens};

both_engines!(
    every_kind_can_be_recorded_read_changed_and_deleted,
    another_user_never_sees_or_touches_an_entry,
    creating_the_same_id_twice_is_idempotent,
    local_days_follow_the_users_zone_and_never_move,
    intakes_derive_dose_and_mme_and_keep_them,
    lists_page_with_a_cursor_and_filter_by_local_day,
    check_ins_are_scored_by_the_server,
    every_write_takes_a_new_version,
    a_tombstone_keeps_no_health_values,
    deleting_a_medication_deletes_its_intakes,
);

/// One valid body per kind (the intake needs the medication `med-1` to exist).
pub fn samples() -> Vec<(&'static str, Value, Value)> {
    vec![
        (
            "/v1/medications",
            json!({"id": "med-1", "name": "Oxycodone 5 mg", "drug_class": "opioid", "opioid": "oxycodone", "strength": 5, "form": "tablet"}),
            json!({"name": "Oxycodone 5 mg (old box)"}),
        ),
        (
            "/v1/pain-entries",
            json!({"id": "pain-1", "recorded_at": "2026-11-20T08:30:00+01:00", "intensity": 6, "back_pain": 4, "leg_pain": 6, "regions": ["thigh_left", "lower_back"], "qualities": ["shooting"], "triggers": ["prolonged_sitting"], "notes": "after the drive"}),
            json!({"intensity": 5, "notes": null}),
        ),
        (
            "/v1/medication-intakes",
            json!({"id": "intake-1", "medication_id": "med-1", "taken_at": "2026-11-20T09:00:00+01:00", "quantity": 2}),
            json!({"quantity": 1.5}),
        ),
        (
            "/v1/massage-sessions",
            json!({"id": "massage-1", "started_at": "2026-11-20T17:00:00+01:00", "duration_min": 60, "kind": "deep_tissue", "pressure": "firm", "regions": ["lower_back"], "pain_before": 6, "pain_after": 3}),
            json!({"soreness_next_day": 2}),
        ),
        (
            "/v1/check-ins",
            json!({"id": "checkin-1", "answered_at": "2026-11-20T20:00:00+01:00", "kind": "peg", "items": [6, 5, 7]}),
            json!({"items": [5, 5, 5]}),
        ),
    ]
}

/// Records one sample of every kind for the user.
pub async fn record_samples(app: &TestApp, tokens: &Tokens) {
    for (path, body, _) in samples() {
        app.post_expect(path, &tokens.access, &body, 201).await;
    }
}

async fn every_kind_can_be_recorded_read_changed_and_deleted(app: TestApp) {
    let (_, tokens) = app.user("ann@example.com").await;
    // The medication must outlive the intake's checks, so delete in reverse order.
    let mut created = Vec::new();
    for (path, body, patch) in samples() {
        let id = body["id"].as_str().unwrap().to_owned();
        let stored = app.post_expect(path, &tokens.access, &body, 201).await;
        assert_eq!(stored["id"], id.as_str());
        let item = format!("{path}/{id}");
        assert_eq!(app.get_json(&item, &tokens.access).await, stored);

        let response = app.patch_auth(&item, &tokens.access, &patch).await;
        assert_eq!(response.status(), 200, "PATCH {item}");
        let changed: Value = response.json().await.unwrap();
        for (field, value) in patch.as_object().unwrap() {
            assert_eq!(&changed[field], value, "{item} {field}");
        }
        assert!(changed["version"].as_i64() > stored["version"].as_i64());
        assert_eq!(changed["created_at"], stored["created_at"]);
        let list = app.get_json(path, &tokens.access).await;
        assert_eq!(list["items"].as_array().unwrap().len(), 1);
        assert_eq!(list["items"][0], changed);
        created.push((path, item));
    }
    for (path, item) in created.into_iter().rev() {
        assert_eq!(
            app.delete_auth(&item, &tokens.access).await.status(),
            204,
            "DELETE {item}"
        );
        assert_problem(app.get_auth(&item, &tokens.access).await, 404).await;
        assert_problem(app.delete_auth(&item, &tokens.access).await, 404).await;
        assert_problem(app.patch_auth(&item, &tokens.access, &json!({})).await, 404).await;
        let list = app.get_json(path, &tokens.access).await;
        assert!(
            list["items"].as_array().unwrap().is_empty(),
            "{path} still lists a deleted entry"
        );
    }
}

async fn another_user_never_sees_or_touches_an_entry(app: TestApp) {
    let (_, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    record_samples(&app, &ann).await;
    let mut before = Vec::new();
    for (path, body, patch) in samples() {
        let item = format!("{path}/{}", body["id"].as_str().unwrap());
        before.push(app.get_json(&item, &ann.access).await);
        assert_problem(app.get_auth(&item, &bob.access).await, 404).await;
        assert_problem(app.patch_auth(&item, &bob.access, &patch).await, 404).await;
        assert_problem(app.delete_auth(&item, &bob.access).await, 404).await;
        let list = app.get_json(path, &bob.access).await;
        assert!(
            list["items"].as_array().unwrap().is_empty(),
            "{path} leaks to another user"
        );
    }
    let day = app.get_json("/v1/days/2026-11-20", &bob.access).await;
    for kind in ["pain_entries", "medication_intakes", "massage_sessions"] {
        assert!(
            day[kind].as_array().unwrap().is_empty(),
            "day view leaks {kind}"
        );
    }
    // Bob cannot log a dose of Ann's medication: it is not one of his.
    let foreign =
        json!({"medication_id": "med-1", "taken_at": "2026-11-20T09:00:00+01:00", "quantity": 1});
    let problem = assert_problem(
        app.post_auth("/v1/medication-intakes", &bob.access, &foreign)
            .await,
        422,
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "medication_id");
    // Ids are per user: Bob using the same ids makes his own entries and leaks nothing.
    for (path, body, _) in samples() {
        let mine = app.post_expect(path, &bob.access, &body, 201).await;
        assert_eq!(mine["id"], body["id"]);
    }
    // Ann's entries are exactly as they were.
    for ((path, body, _), was) in samples().into_iter().zip(before) {
        let item = format!("{path}/{}", body["id"].as_str().unwrap());
        assert_eq!(app.get_json(&item, &ann.access).await, was);
    }
}

async fn creating_the_same_id_twice_is_idempotent(app: TestApp) {
    let (_, tokens) = app.user("ann@example.com").await;
    for (path, body, _) in samples() {
        let first = app.post_expect(path, &tokens.access, &body, 201).await;
        // A retried request: same id, same values -> the stored entry, not a second one.
        let again = app.post_expect(path, &tokens.access, &body, 200).await;
        assert_eq!(again, first);
        let list = app.get_json(path, &tokens.access).await;
        assert_eq!(list["items"].as_array().unwrap().len(), 1, "{path}");
    }
    // Same id, other values: a conflict, and the stored entry is unchanged.
    let mut other = samples()[1].1.clone();
    other["intensity"] = json!(9);
    assert_problem(
        app.post_auth("/v1/pain-entries", &tokens.access, &other)
            .await,
        409,
    )
    .await;
    assert_eq!(
        app.get_json("/v1/pain-entries/pain-1", &tokens.access)
            .await["intensity"],
        6
    );
    // A deleted id is not brought back by a late retry.
    assert_eq!(
        app.delete_auth("/v1/pain-entries/pain-1", &tokens.access)
            .await
            .status(),
        204
    );
    assert_problem(
        app.post_auth("/v1/pain-entries", &tokens.access, &samples()[1].1)
            .await,
        409,
    )
    .await;
    // Without an id the server makes one.
    let body = json!({"recorded_at": "2026-11-20T08:30:00Z", "intensity": 3});
    let a = app
        .post_expect("/v1/pain-entries", &tokens.access, &body, 201)
        .await;
    let b = app
        .post_expect("/v1/pain-entries", &tokens.access, &body, 201)
        .await;
    assert_ne!(a["id"], b["id"]);
    assert_eq!(a["id"].as_str().unwrap().len(), 36);
}

async fn pain_at(app: &TestApp, tokens: &Tokens, id: &str, recorded_at: &str) -> Value {
    let body = json!({"id": id, "recorded_at": recorded_at, "intensity": 4});
    app.post_expect("/v1/pain-entries", &tokens.access, &body, 201)
        .await
}

async fn local_days_follow_the_users_zone_and_never_move(app: TestApp) {
    let (_, tokens) = app.user("ann@example.com").await; // Europe/Berlin
                                                         // Spring forward (2026-03-29 02:00 -> 03:00 CEST): 23:30 UTC on the 28th is 00:30 local.
    let spring = pain_at(&app, &tokens, "spring", "2026-03-28T23:30:00Z").await;
    assert_eq!(spring["local_date"], "2026-03-29");
    // 22:30 UTC the next evening is already 00:30 CEST (offset +2) on the 30th.
    let after = pain_at(&app, &tokens, "after-spring", "2026-03-29T22:30:00Z").await;
    assert_eq!(after["local_date"], "2026-03-30");
    // Fall back (2026-10-25 03:00 -> 02:00 CET): 22:30 UTC on the 25th is 23:30 CET, the 25th.
    let autumn = pain_at(&app, &tokens, "autumn", "2026-10-25T22:30:00Z").await;
    assert_eq!(autumn["local_date"], "2026-10-25");
    // A time sent with another offset lands on the user's day, not the sender's.
    let from_abroad = pain_at(&app, &tokens, "abroad", "2026-11-20T20:00:00-08:00").await;
    assert_eq!(from_abroad["local_date"], "2026-11-21");

    // She moves to New York: recorded days stay, new ones use the new zone.
    let response = app
        .patch_auth(
            "/v1/me",
            &tokens.access,
            &json!({"timezone": "America/New_York"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        app.get_json("/v1/pain-entries/abroad", &tokens.access)
            .await["local_date"],
        "2026-11-21"
    );
    // Editing something else on an old entry keeps its day too.
    let edited: Value = app
        .patch_auth(
            "/v1/pain-entries/abroad",
            &tokens.access,
            &json!({"notes": "jet lag"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(edited["local_date"], "2026-11-21");
    let same_instant = pain_at(&app, &tokens, "in-new-york", "2026-11-20T20:00:00-08:00").await;
    assert_eq!(same_instant["local_date"], "2026-11-20");
    // Moving the time of an entry recomputes its day in the current zone.
    let moved: Value = app
        .patch_auth(
            "/v1/pain-entries/spring",
            &tokens.access,
            &json!({"recorded_at": "2026-03-29T03:30:00Z"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(moved["local_date"], "2026-03-28");

    let day = app.get_json("/v1/days/2026-11-21", &tokens.access).await;
    let ids: Vec<&str> = day["pain_entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["abroad"]);
    let day = app.get_json("/v1/days/2026-11-20", &tokens.access).await;
    assert_eq!(day["pain_entries"][0]["id"], "in-new-york");
}

async fn intakes_derive_dose_and_mme_and_keep_them(app: TestApp) {
    let (_, tokens) = app.user("ann@example.com").await;
    let meds = [
        json!({"id": "oxy", "name": "Oxycodone 5", "drug_class": "opioid", "opioid": "oxycodone", "strength": 5, "form": "tablet"}),
        json!({"id": "patch", "name": "Fentanyl 25", "drug_class": "opioid", "opioid": "fentanyl_patch", "strength": 25, "strength_unit": "mcg_per_hour", "form": "patch"}),
        json!({"id": "ibu", "name": "Ibuprofen 400", "drug_class": "nsaid", "strength": 400, "form": "tablet"}),
        json!({"id": "tram", "name": "Tramadol drops", "drug_class": "opioid", "opioid": "tramadol", "strength": 100, "form": "liquid_ml"}),
    ];
    for med in &meds {
        app.post_expect("/v1/medications", &tokens.access, med, 201)
            .await;
    }
    let take = |id: &str, medication: &str, quantity: f64| json!({"id": id, "medication_id": medication, "taken_at": "2026-11-20T09:00:00Z", "quantity": quantity});
    let oxy = app
        .post_expect(
            "/v1/medication-intakes",
            &tokens.access,
            &take("a", "oxy", 2.0),
            201,
        )
        .await;
    assert_eq!(
        (oxy["dose_mg"].as_f64(), oxy["mme"].as_f64()),
        (Some(10.0), Some(15.0))
    );
    assert_eq!(oxy["mme_table"], "cdc-2022");
    let patch = app
        .post_expect(
            "/v1/medication-intakes",
            &tokens.access,
            &take("b", "patch", 1.0),
            201,
        )
        .await;
    assert!(patch["dose_mg"].is_null());
    assert_eq!(patch["mme"].as_f64(), Some(180.0));
    let ibu = app
        .post_expect(
            "/v1/medication-intakes",
            &tokens.access,
            &take("c", "ibu", 1.5),
            201,
        )
        .await;
    assert_eq!(ibu["dose_mg"].as_f64(), Some(600.0));
    assert!(ibu["mme"].is_null() && ibu["mme_table"].is_null());
    let drops = app
        .post_expect(
            "/v1/medication-intakes",
            &tokens.access,
            &take("d", "tram", 0.5),
            201,
        )
        .await;
    assert_eq!(
        (drops["dose_mg"].as_f64(), drops["mme"].as_f64()),
        (Some(50.0), Some(10.0))
    );

    // A new strength on the medication does not rewrite what was taken before.
    let response = app
        .patch_auth(
            "/v1/medications/oxy",
            &tokens.access,
            &json!({"strength": 10}),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        app.get_json("/v1/medication-intakes/a", &tokens.access)
            .await["mme"]
            .as_f64(),
        Some(15.0)
    );
    // A deleted medication takes no new intakes.
    assert_eq!(
        app.delete_auth("/v1/medications/ibu", &tokens.access)
            .await
            .status(),
        204
    );
    let problem = assert_problem(
        app.post_auth(
            "/v1/medication-intakes",
            &tokens.access,
            &take("e", "ibu", 1.0),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "medication_id");
    assert_problem(
        app.get_auth("/v1/medication-intakes/e", &tokens.access)
            .await,
        404,
    )
    .await;
}

async fn lists_page_with_a_cursor_and_filter_by_local_day(app: TestApp) {
    let (_, tokens) = app.user("ann@example.com").await;
    // 25 entries, one per hour through 2026-11-10 .. 11 (Berlin), in a scrambled order.
    for i in (0..25).map(|i| (i * 7) % 25) {
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-10T00:00:00+01:00").unwrap()
            + chrono::Duration::hours(i);
        pain_at(&app, &tokens, &format!("p{i:02}"), &at.to_rfc3339()).await;
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/pain-entries?limit=10&cursor={c}"),
            None => "/v1/pain-entries?limit=10".to_owned(),
        };
        let page = app.get_json(&path, &tokens.access).await;
        pages += 1;
        for item in page["items"].as_array().unwrap() {
            seen.push(item["id"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let expected: Vec<String> = (0..25).rev().map(|i| format!("p{i:02}")).collect();
    assert_eq!(seen, expected, "newest first, each exactly once");

    let day = app
        .get_json(
            "/v1/pain-entries?from=2026-11-11&to=2026-11-11",
            &tokens.access,
        )
        .await;
    assert_eq!(day["items"].as_array().unwrap().len(), 1); // 00:00 on the 11th
    let tenth = app
        .get_json("/v1/pain-entries?to=2026-11-10", &tokens.access)
        .await;
    assert_eq!(tenth["items"].as_array().unwrap().len(), 24);
    let none = app
        .get_json("/v1/pain-entries?from=2026-12-01", &tokens.access)
        .await;
    assert!(none["items"].as_array().unwrap().is_empty());
    // `from` after `to` is an empty range (every schema-valid query is answered).
    let reversed = app
        .get_json(
            "/v1/pain-entries?from=2026-11-12&to=2026-11-10",
            &tokens.access,
        )
        .await;
    assert_eq!(reversed["items"], json!([]));
    assert_eq!(reversed["next_cursor"], Value::Null);

    for bad in [
        "limit=0",
        "limit=1001",
        "limit=ten",
        "cursor=nonsense",
        "from=2026-13-01",
        "from=yesterday",
        "cursor=1~",
        "cursor=%2B1~a",
        "sort=asc",
    ] {
        assert_problem(
            app.get_auth(&format!("/v1/pain-entries?{bad}"), &tokens.access)
                .await,
            400,
        )
        .await;
    }
    assert_problem(
        app.get_auth("/v1/medications?from=2026-11-10", &tokens.access)
            .await,
        400,
    )
    .await;
    assert_problem(
        app.get_auth("/v1/days/2026-02-30", &tokens.access).await,
        400,
    )
    .await;
}

async fn check_ins_are_scored_by_the_server(app: TestApp) {
    let (_, tokens) = app.user("ann@example.com").await;
    let peg = json!({"answered_at": "2026-11-20T20:00:00Z", "kind": "peg", "items": [6, 5, 7]});
    assert_eq!(
        app.post_expect("/v1/check-ins", &tokens.access, &peg, 201)
            .await["score"]
            .as_f64(),
        Some(6.0)
    );
    let odi = json!({"answered_at": "2026-11-20T20:00:00Z", "kind": "odi", "items": [2, 2, 2, null, 2, 2, 2, 2, 2, 2]});
    assert_eq!(
        app.post_expect("/v1/check-ins", &tokens.access, &odi, 201)
            .await["score"]
            .as_f64(),
        Some(40.0)
    );
    // A score sent by the client is not accepted.
    let forged = json!({"answered_at": "2026-11-20T20:00:00Z", "kind": "peg", "items": [1, 1, 1], "score": 0});
    assert_problem(
        app.post_auth("/v1/check-ins", &tokens.access, &forged)
            .await,
        400,
    )
    .await;
    for items in [json!([6, 5]), json!([6, 5, 11]), json!([6, null, 5])] {
        let body = json!({"answered_at": "2026-11-20T20:00:00Z", "kind": "peg", "items": items});
        let problem = assert_problem(
            app.post_auth("/v1/check-ins", &tokens.access, &body).await,
            422,
        )
        .await;
        assert_eq!(problem["errors"][0]["field"], "items");
    }
}

async fn every_write_takes_a_new_version(app: TestApp) {
    let (_, tokens) = app.user("ann@example.com").await;
    let mut versions = Vec::new();
    for (path, body, patch) in samples() {
        versions.push(
            app.post_expect(path, &tokens.access, &body, 201).await["version"]
                .as_i64()
                .unwrap(),
        );
        let item = format!("{path}/{}", body["id"].as_str().unwrap());
        let changed: Value = app
            .patch_auth(&item, &tokens.access, &patch)
            .await
            .json()
            .await
            .unwrap();
        versions.push(changed["version"].as_i64().unwrap());
        // A patch that changes nothing writes nothing.
        let same: Value = app
            .patch_auth(&item, &tokens.access, &patch)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(same["version"], changed["version"]);
    }
    assert!(versions.windows(2).all(|w| w[0] < w[1]), "{versions:?}");
    assert!(
        versions[0] >= 2,
        "versions start after the counter's initial 1"
    );
}

/// What a tombstone row holds, straight from the database, as text.
fn stored_row(app: &TestApp, user_id: &str, path: &str, id: &str) -> String {
    use pain_journal::db::journal::{
        check_ins, massage_sessions, medication_intakes, medications, pain_entries,
    };
    let user = pain_journal::domain::UserId::from_trusted(user_id.to_owned());
    let mut conn = app.db();
    let row = match path {
        "/v1/pain-entries" => pain_entries::find(&mut conn, &user, id).map(|r| format!("{r:?}")),
        "/v1/medications" => medications::find(&mut conn, &user, id).map(|r| format!("{r:?}")),
        "/v1/medication-intakes" => {
            medication_intakes::find(&mut conn, &user, id).map(|r| format!("{r:?}"))
        }
        "/v1/massage-sessions" => {
            massage_sessions::find(&mut conn, &user, id).map(|r| format!("{r:?}"))
        }
        "/v1/check-ins" => check_ins::find(&mut conn, &user, id).map(|r| format!("{r:?}")),
        other => panic!("unknown table {other}"),
    };
    row.expect("query")
}

/// A deleted entry keeps its id, version and `deleted` flag for syncing phones, and nothing
/// of what it said: no intensity, regions, notes, name, answers, score or time.
async fn a_tombstone_keeps_no_health_values(app: TestApp) {
    let (profile, tokens) = app.user("ann@example.com").await;
    let user_id = profile["id"].as_str().unwrap();
    let mut samples = samples();
    // Richer values than the shared samples, each easy to spot in a row dump.
    samples[3].1 = json!({"id": "massage-1", "started_at": "2026-11-20T17:00:00+01:00", "duration_min": 75, "kind": "deep_tissue", "pressure": "firm", "therapist": "Dr Quimby", "regions": ["lower_back"], "pain_before": 6, "pain_after": 3, "soreness_next_day": 4, "notes": "knotty piriformis"});
    for (path, body, _) in &samples {
        app.post_expect(path, &tokens.access, body, 201).await;
    }
    // Intakes before their medication (deleting the medication would take them anyway).
    for (path, body, _) in samples.iter().rev() {
        let id = body["id"].as_str().unwrap();
        let before = stored_row(&app, user_id, path, id);
        assert!(before.contains("deleted: false"), "{before}");
        let response = app
            .delete_auth(&format!("{path}/{id}"), &tokens.access)
            .await;
        assert_eq!(response.status(), 204, "DELETE {path}/{id}");
        let tombstone = stored_row(&app, user_id, path, id);
        assert!(tombstone.contains("deleted: true"), "{tombstone}");
        for value in [
            "2026-11-20",
            "Oxycodone",
            "\"oxycodone\"",
            "\"opioid\"",
            "tablet",
            "thigh_left",
            "lower_back",
            "shooting",
            "prolonged_sitting",
            "after the drive",
            "deep_tissue",
            "firm",
            "Dr Quimby",
            "knotty",
            "peg",
            "6,5,7",
            "intensity: 6",
            "back_pain: Some",
            "leg_pain: Some",
            "quantity: 2",
            "dose_mg: Some",
            "mme: Some",
            "pain_before: Some",
            "pain_after: Some",
            "soreness_next_day: Some",
            "duration_min: 75",
            "strength: 5",
            "score: 6",
        ] {
            assert!(
                !tombstone.contains(value),
                "{path}/{id}: the tombstone keeps {value:?}: {tombstone}"
            );
        }
    }
    // Syncing phones still learn of every deletion.
    let pulled = app
        .get_json("/v1/sync?last_pulled_at=1", &tokens.access)
        .await;
    for (table, id) in [
        ("pain_entries", "pain-1"),
        ("medications", "med-1"),
        ("medication_intakes", "intake-1"),
        ("massage_sessions", "massage-1"),
        ("check_ins", "checkin-1"),
    ] {
        assert_eq!(pulled["changes"][table]["deleted"], json!([id]), "{table}");
    }
}

/// A medication's intakes go with it, in the same request, over REST and over sync; a
/// medication that was only stopped is set inactive and keeps its history.
async fn deleting_a_medication_deletes_its_intakes(app: TestApp) {
    let (_, tokens) = app.user("ann@example.com").await;
    record_samples(&app, &tokens).await;
    app.post_expect(
        "/v1/medication-intakes",
        &tokens.access,
        &json!({"id": "intake-2", "medication_id": "med-1", "taken_at": "2026-11-21T09:00:00+01:00", "quantity": 1}),
        201,
    )
    .await;
    let pulled = app
        .get_json("/v1/sync?last_pulled_at=0", &tokens.access)
        .await;
    let cursor = pulled["timestamp"].as_i64().unwrap();
    let response = app
        .delete_auth("/v1/medications/med-1", &tokens.access)
        .await;
    assert_eq!(response.status(), 204);
    for id in ["intake-1", "intake-2"] {
        let response = app
            .get_auth(&format!("/v1/medication-intakes/{id}"), &tokens.access)
            .await;
        assert_problem(response, 404).await;
    }
    let changes = app
        .get_json(&format!("/v1/sync?last_pulled_at={cursor}"), &tokens.access)
        .await;
    let mut deleted: Vec<String> =
        serde_json::from_value(changes["changes"]["medication_intakes"]["deleted"].clone())
            .unwrap();
    deleted.sort();
    assert_eq!(deleted, ["intake-1", "intake-2"]);

    // Over sync: a push that deletes a medication and edits one of its intakes.
    app.post_expect(
        "/v1/medications",
        &tokens.access,
        &json!({"id": "med-2", "name": "Ibuprofen 400", "drug_class": "nsaid", "strength": 400, "form": "tablet"}),
        201,
    )
    .await;
    app.post_expect(
        "/v1/medication-intakes",
        &tokens.access,
        &json!({"id": "intake-3", "medication_id": "med-2", "taken_at": "2026-11-22T09:00:00+01:00", "quantity": 1}),
        201,
    )
    .await;
    let cursor = app
        .get_json("/v1/sync?last_pulled_at=0", &tokens.access)
        .await["timestamp"]
        .as_i64()
        .unwrap();
    let response = app
        .post_auth(
            &format!("/v1/sync?last_pulled_at={cursor}"),
            &tokens.access,
            &json!({"changes": {
                "medications": {"deleted": ["med-2"]},
                "medication_intakes": {"updated": [{"id": "intake-3", "medication_id": "med-2", "taken_at": 1763798400000_i64, "quantity": 2}]}
            }}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let response = app
        .get_auth("/v1/medication-intakes/intake-3", &tokens.access)
        .await;
    assert_problem(response, 404).await;
    let list = app.get_json("/v1/medication-intakes", &tokens.access).await;
    assert_eq!(list["items"], json!([]));
}
