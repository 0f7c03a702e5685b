//! The sync protocol over HTTP: pull, push, conflicts, rejections, paging, idempotency.

use std::collections::{BTreeSet, HashMap};

use serde_json::{json, Value};

use crate::both_engines;
use crate::helpers::{assert_problem, TestApp};

both_engines!(
    a_first_pull_is_empty_and_its_timestamp_positive,
    pushes_and_rest_writes_meet_in_one_history,
    a_push_onto_newer_server_changes_conflicts_and_applies_nothing,
    invalid_records_are_rejected_one_by_one,
    creates_updates_and_deletes_are_forgiving,
    an_idempotency_key_replays_the_first_answer,
    pulls_page_without_skipping_or_repeating,
    malformed_pushes_are_4xx_and_change_nothing,
    a_migration_pull_sends_every_live_row,
    sync_never_crosses_users,
    first_syncs_at_once_each_get_everything,
);

pub async fn pull(app: &TestApp, token: &str, query: &str) -> Value {
    app.get_json(&format!("/v1/sync?{query}"), token).await
}

pub async fn push(app: &TestApp, token: &str, since: i64, changes: Value) -> reqwest::Response {
    app.post_auth(
        &format!("/v1/sync?last_pulled_at={since}"),
        token,
        &json!({ "changes": changes }),
    )
    .await
}

pub fn pain_record(id: &str, intensity: i64) -> Value {
    json!({"id": id, "recorded_at": 1_795_851_000_000_i64, "intensity": intensity, "regions": "[\"lower_back\"]",
           "qualities": "[]", "triggers": "[]", "notes": null, "_status": "created", "_changed": ""})
}

/// The tables a pull always answers, in WatermelonDB's names.
const SYNCED_TABLES: [&str; 5] = [
    "pain_entries",
    "medications",
    "medication_intakes",
    "massage_sessions",
    "check_ins",
];

fn ids(pulled: &Value, table: &str, list: &str) -> Vec<String> {
    pulled["changes"][table][list]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            v.as_str()
                .map_or_else(|| v["id"].as_str().unwrap().to_owned(), str::to_owned)
        })
        .collect()
}

async fn a_first_pull_is_empty_and_its_timestamp_positive(app: TestApp) {
    let (_, tokens) = app.user("ann@example.com").await;
    for query in [
        "",
        "last_pulled_at=null",
        "last_pulled_at=0&schema_version=1&migration=null",
    ] {
        let pulled = pull(&app, &tokens.access, query).await;
        assert!(pulled["timestamp"].as_i64().unwrap() > 0);
        assert_eq!(pulled["has_more"], false);
        for table in SYNCED_TABLES {
            for list in ["created", "updated", "deleted"] {
                assert!(pulled["changes"][table][list]
                    .as_array()
                    .unwrap()
                    .is_empty());
            }
        }
    }
}

async fn pushes_and_rest_writes_meet_in_one_history(app: TestApp) {
    let (_, tokens) = app.user("ann@example.com").await;
    let t0 = pull(&app, &tokens.access, "").await["timestamp"]
        .as_i64()
        .unwrap();
    let changes = json!({
        "medications": {"created": [{"id": "oxy", "name": "Oxycodone 5", "drug_class": "opioid", "opioid": "oxycodone",
                                       "strength": 5, "strength_unit": "mg", "form": "tablet", "active": true}], "updated": [], "deleted": []},
        "medication_intakes": {"created": [{"id": "in1", "medication_id": "oxy", "taken_at": 1_795_851_000_000_i64, "quantity": 2,
                                            "dose_mg": 999, "mme": 999}], "updated": [], "deleted": []},
        "pain_entries": {"created": [pain_record("pe1", 6)], "updated": [], "deleted": []},
        "check_ins": {"created": [{"id": "c1", "answered_at": 1_795_851_000_000_i64, "kind": "peg", "items": "[6,5,7]", "score": 0}], "updated": [], "deleted": []},
        "massage_sessions": {"created": [{"id": "m1", "started_at": 1_795_851_000_000_i64, "duration_min": 45, "kind": "swedish", "regions": "[]", "unknown_column": 1}], "updated": [], "deleted": []},
    });
    let response = push(&app, &tokens.access, t0, changes).await;
    assert_eq!(response.status(), 200);
    let result: Value = response.json().await.unwrap();
    assert_eq!(result["applied"], 5);
    assert_eq!(result["experimentalRejectedIds"], json!({}));

    // Visible to REST at once, with derived values computed by the server.
    let intake = app
        .get_json("/v1/medication-intakes/in1", &tokens.access)
        .await;
    assert_eq!(
        (intake["dose_mg"].as_f64(), intake["mme"].as_f64()),
        (Some(10.0), Some(15.0))
    );
    assert_eq!(
        app.get_json("/v1/check-ins/c1", &tokens.access).await["score"].as_f64(),
        Some(6.0)
    );
    let entry = app.get_json("/v1/pain-entries/pe1", &tokens.access).await;
    assert_eq!(entry["recorded_at"], "2026-11-28T07:30:00Z");
    assert_eq!(entry["regions"], json!(["lower_back"]));

    // The device's next pull from its push: its own rows come back once (harmless), later
    // ones only what changed.
    let t1 = pull(&app, &tokens.access, &format!("last_pulled_at={t0}")).await;
    assert_eq!(ids(&t1, "pain_entries", "updated"), ["pe1"]);
    let record = &t1["changes"]["pain_entries"]["updated"][0];
    assert_eq!(record["recorded_at"], 1_795_851_000_000_i64);
    assert_eq!(record["regions"], "[\"lower_back\"]");
    assert_eq!(record["local_date"], "2026-11-28");
    let t1 = t1["timestamp"].as_i64().unwrap();

    // A REST edit and a REST delete reach the phone at its next pull.
    let edited = app
        .patch_auth(
            "/v1/pain-entries/pe1",
            &tokens.access,
            &json!({"intensity": 3}),
        )
        .await;
    assert_eq!(edited.status(), 200);
    assert_eq!(
        app.delete_auth("/v1/massage-sessions/m1", &tokens.access)
            .await
            .status(),
        204
    );
    let t2 = pull(&app, &tokens.access, &format!("last_pulled_at={t1}")).await;
    assert_eq!(ids(&t2, "pain_entries", "updated"), ["pe1"]);
    assert_eq!(t2["changes"]["pain_entries"]["updated"][0]["intensity"], 3);
    assert_eq!(ids(&t2, "massage_sessions", "deleted"), ["m1"]);
    assert!(ids(&t2, "medications", "updated").is_empty());
    assert!(t2["timestamp"].as_i64().unwrap() > t1);
    // Up to date: nothing more.
    let t3 = pull(
        &app,
        &tokens.access,
        &format!("last_pulled_at={}", t2["timestamp"]),
    )
    .await;
    assert_eq!(t3["timestamp"], t2["timestamp"]);
    assert!(ids(&t3, "pain_entries", "updated").is_empty());
    for table in SYNCED_TABLES {
        assert!(t3["changes"][table]["updated"].as_array().is_some(), "{t3}");
    }
    // Up to date is not a memory: a write from elsewhere reaches the very next pull.
    let entry = json!({"id": "pe2", "recorded_at": "2026-11-29T09:00:00Z", "intensity": 4});
    app.post_expect("/v1/pain-entries", &tokens.access, &entry, 201)
        .await;
    let t4 = pull(
        &app,
        &tokens.access,
        &format!("last_pulled_at={}", t3["timestamp"]),
    )
    .await;
    assert_eq!(ids(&t4, "pain_entries", "updated"), ["pe2"]);
    assert!(t4["timestamp"].as_i64().unwrap() > t3["timestamp"].as_i64().unwrap());
}

async fn a_push_onto_newer_server_changes_conflicts_and_applies_nothing(app: TestApp) {
    let (_, tokens) = app.user("ann@example.com").await;
    let created = push(
        &app,
        &tokens.access,
        0,
        json!({"pain_entries": {"created": [pain_record("pe1", 6)]}}),
    )
    .await;
    assert_eq!(created.status(), 200);
    let t = pull(&app, &tokens.access, "").await["timestamp"]
        .as_i64()
        .unwrap();
    // Between the device's pull and push, the entry is edited on the server.
    app.patch_auth(
        "/v1/pain-entries/pe1",
        &tokens.access,
        &json!({"notes": "from the web"}),
    )
    .await;

    let stale = json!({"pain_entries": {"updated": [pain_record("pe1", 8)], "created": [pain_record("pe2", 4)]}});
    let problem = assert_problem(push(&app, &tokens.access, t, stale.clone()).await, 409).await;
    assert!(problem["detail"]
        .as_str()
        .unwrap()
        .contains("pain_entries/pe1"));
    // Nothing of that push was applied: not the conflicting record, not the new one.
    assert_eq!(
        app.get_json("/v1/pain-entries/pe1", &tokens.access).await["intensity"],
        6
    );
    assert_problem(
        app.get_auth("/v1/pain-entries/pe2", &tokens.access).await,
        404,
    )
    .await;

    // The device pulls, merges (keeps its intensity, takes the server's note), pushes again.
    let pulled = pull(&app, &tokens.access, &format!("last_pulled_at={t}")).await;
    let mut merged = pulled["changes"]["pain_entries"]["updated"][0].clone();
    assert_eq!(merged["notes"], "from the web");
    merged["intensity"] = json!(8);
    let retry = json!({"pain_entries": {"updated": [merged], "created": [pain_record("pe2", 4)]}});
    let response = push(
        &app,
        &tokens.access,
        pulled["timestamp"].as_i64().unwrap(),
        retry,
    )
    .await;
    assert_eq!(response.status(), 200);
    let entry = app.get_json("/v1/pain-entries/pe1", &tokens.access).await;
    assert_eq!(
        (entry["intensity"].as_i64(), entry["notes"].as_str()),
        (Some(8), Some("from the web"))
    );
    assert_eq!(
        app.get_json("/v1/pain-entries/pe2", &tokens.access).await["intensity"],
        4
    );

    // Deleting on the server, then a stale device edit: conflict; the tombstone stays.
    let t = pull(&app, &tokens.access, "").await["timestamp"]
        .as_i64()
        .unwrap();
    assert_eq!(
        app.delete_auth("/v1/pain-entries/pe2", &tokens.access)
            .await
            .status(),
        204
    );
    let onto_tombstone = json!({"pain_entries": {"updated": [pain_record("pe2", 9)]}});
    assert_problem(
        push(&app, &tokens.access, t, onto_tombstone.clone()).await,
        409,
    )
    .await;
    // After pulling the deletion, a device that still pushes it gets a rejection, not a loop.
    let t = pull(&app, &tokens.access, &format!("last_pulled_at={t}")).await["timestamp"]
        .as_i64()
        .unwrap();
    let result: Value = push(&app, &tokens.access, t, onto_tombstone)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        result["experimentalRejectedIds"],
        json!({"pain_entries": ["pe2"]})
    );
    assert_problem(
        app.get_auth("/v1/pain-entries/pe2", &tokens.access).await,
        404,
    )
    .await;
}

async fn invalid_records_are_rejected_one_by_one(app: TestApp) {
    let (_, tokens) = app.user("ann@example.com").await;
    let mut bad_time = pain_record("bad-time", 5);
    bad_time["recorded_at"] = json!("yesterday");
    let mut bad_regions = pain_record("bad-regions", 5);
    bad_regions["regions"] = json!("[\"elbow\"]");
    let changes = json!({
        "pain_entries": {"created": [pain_record("ok-1", 5), pain_record("too-high", 11), bad_time, bad_regions,
                                      pain_record("bad id!", 3), pain_record("ok-2", 2)]},
        "medication_intakes": {"created": [{"id": "orphan", "medication_id": "no-such-med", "taken_at": 1_795_851_000_000_i64, "quantity": 1}]},
    });
    let response = push(&app, &tokens.access, 0, changes).await;
    assert_eq!(response.status(), 200);
    let result: Value = response.json().await.unwrap();
    assert_eq!(
        result["experimentalRejectedIds"],
        json!({"pain_entries": ["too-high", "bad-time", "bad-regions", "bad id!"], "medication_intakes": ["orphan"]})
    );
    let reasons: HashMap<String, String> = result["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_owned(),
                r["field"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(reasons["too-high"], "intensity");
    assert_eq!(reasons["bad-time"], "recorded_at");
    assert_eq!(reasons["bad-regions"], "regions");
    assert_eq!(reasons["bad id!"], "id");
    assert_eq!(reasons["orphan"], "medication_id");
    assert_eq!(result["applied"], 2);
    let list = app.get_json("/v1/pain-entries", &tokens.access).await;
    let stored: BTreeSet<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(stored, BTreeSet::from(["ok-1", "ok-2"]));
}

async fn creates_updates_and_deletes_are_forgiving(app: TestApp) {
    let (_, tokens) = app.user("ann@example.com").await;
    // updated-but-missing creates; deleting what never existed is fine.
    let first =
        json!({"pain_entries": {"updated": [pain_record("pe1", 6)], "deleted": ["never-existed"]}});
    assert_eq!(push(&app, &tokens.access, 0, first).await.status(), 200);
    assert_eq!(
        app.get_json("/v1/pain-entries/pe1", &tokens.access).await["intensity"],
        6
    );
    // created-but-exists updates (after the device pulled it).
    let t = pull(&app, &tokens.access, "").await["timestamp"]
        .as_i64()
        .unwrap();
    let again = json!({"pain_entries": {"created": [pain_record("pe1", 2)]}});
    assert_eq!(push(&app, &tokens.access, t, again).await.status(), 200);
    assert_eq!(
        app.get_json("/v1/pain-entries/pe1", &tokens.access).await["intensity"],
        2
    );
    // The same push twice without a key: the second finds nothing to change.
    let t = pull(&app, &tokens.access, "").await["timestamp"]
        .as_i64()
        .unwrap();
    let delete = json!({"pain_entries": {"deleted": ["pe1"]}});
    let first: Value = push(&app, &tokens.access, t, delete.clone())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["applied"], 1);
    let second: Value = push(&app, &tokens.access, t, delete)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(second["applied"], 0);
    assert_problem(
        app.get_auth("/v1/pain-entries/pe1", &tokens.access).await,
        404,
    )
    .await;
}

async fn an_idempotency_key_replays_the_first_answer(app: TestApp) {
    let (_, tokens) = app.user("ann@example.com").await;
    let body = json!({"changes": {"pain_entries": {"created": [pain_record("pe1", 6), pain_record("pe2", 11)]}}});
    let send = |key: &'static str, body: Value| {
        let request = app
            .client
            .post(app.url("/v1/sync?last_pulled_at=0"))
            .bearer_auth(&tokens.access)
            .header("Idempotency-Key", key)
            .json(&body);
        async move { request.send().await.unwrap() }
    };
    let first: Value = send("push-1", body.clone()).await.json().await.unwrap();
    assert_eq!(first["applied"], 1);
    let counter = pull(&app, &tokens.access, "").await["timestamp"].clone();
    // The phone never saw that answer and sends the same push again.
    let replay = send("push-1", body.clone()).await;
    assert_eq!(replay.status(), 200);
    assert_eq!(replay.json::<Value>().await.unwrap(), first);
    assert_eq!(
        pull(&app, &tokens.access, "").await["timestamp"],
        counter,
        "the replay wrote nothing"
    );
    // The same key for another push is refused.
    let other = json!({"changes": {"pain_entries": {"created": [pain_record("pe3", 1)]}}});
    assert_problem(send("push-1", other).await, 409).await;
    assert_problem(
        app.get_auth("/v1/pain-entries/pe3", &tokens.access).await,
        404,
    )
    .await;
    let bad_key = app
        .client
        .post(app.url("/v1/sync"))
        .bearer_auth(&tokens.access)
        .header("Idempotency-Key", "x".repeat(300))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_problem(bad_key, 400).await;
}

async fn pulls_page_without_skipping_or_repeating(app: TestApp) {
    let (_, tokens) = app.user("ann@example.com").await;
    let records: Vec<Value> = (0..25)
        .map(|i| pain_record(&format!("pe{i:02}"), i % 11))
        .collect();
    push(
        &app,
        &tokens.access,
        0,
        json!({"pain_entries": {"created": records}}),
    )
    .await;
    // Some more history: an edit and a deletion.
    app.patch_auth(
        "/v1/pain-entries/pe03",
        &tokens.access,
        &json!({"intensity": 9}),
    )
    .await;
    app.delete_auth("/v1/pain-entries/pe04", &tokens.access)
        .await;

    let mut since = 0;
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let page = pull(
            &app,
            &tokens.access,
            &format!("last_pulled_at={since}&limit=10"),
        )
        .await;
        pages += 1;
        seen.extend(ids(&page, "pain_entries", "updated"));
        assert!(page["timestamp"].as_i64().unwrap() > since || since == 0);
        since = page["timestamp"].as_i64().unwrap();
        if page["has_more"] == false {
            break;
        }
    }
    assert_eq!(pages, 3);
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "a row came twice: {seen:?}");
    assert_eq!(
        unique.len(),
        24,
        "the deleted row is not sent on a first sync"
    );
    assert!(!seen.contains(&"pe04".to_owned()));
    for bad in [
        "limit=0",
        "limit=10001",
        "last_pulled_at=-1",
        "last_pulled_at=abc",
        "last_pulled_at=9007199254740993",
    ] {
        assert_problem(
            app.get_auth(&format!("/v1/sync?{bad}"), &tokens.access)
                .await,
            400,
        )
        .await;
    }
}

async fn malformed_pushes_are_4xx_and_change_nothing(app: TestApp) {
    let (_, tokens) = app.user("ann@example.com").await;
    let before = pull(&app, &tokens.access, "").await;
    let bodies = [
        json!([]),
        json!({"changes": []}),
        json!({"changes": {"unknown_table": {"created": []}}}),
        json!({"changes": {"pain_entries": {"created": {}}}}),
        json!({"changes": {"pain_entries": {"created": [1]}}}),
        json!({"changes": {"pain_entries": {"created": [{"intensity": 5}]}}}),
        json!({"changes": {"pain_entries": {"deleted": [5]}}}),
        json!({"changes": {"pain_entries": {"moved": []}}}),
        json!({"changes": {}, "extra": true}),
    ];
    for body in bodies {
        let response = app.post_auth("/v1/sync", &tokens.access, &body).await;
        assert_problem(response, 400).await;
    }
    let huge: Vec<Value> = (0..3000)
        .map(|i| {
            let mut r = pain_record(&format!("big{i}"), 5);
            r["notes"] = json!("x".repeat(3000));
            r
        })
        .collect();
    let too_big = push(
        &app,
        &tokens.access,
        0,
        json!({"pain_entries": {"created": huge}}),
    )
    .await;
    assert_problem(too_big, 413).await;
    assert_problem(
        app.post_auth(
            "/v1/sync?last_pulled_at=x",
            &tokens.access,
            &json!({"changes": {}}),
        )
        .await,
        400,
    )
    .await;
    assert_eq!(pull(&app, &tokens.access, "").await, before);
}

async fn a_migration_pull_sends_every_live_row(app: TestApp) {
    let (_, tokens) = app.user("ann@example.com").await;
    push(
        &app,
        &tokens.access,
        0,
        json!({"pain_entries": {"created": [pain_record("a", 1), pain_record("b", 2)]}}),
    )
    .await;
    app.delete_auth("/v1/pain-entries/b", &tokens.access).await;
    let t = pull(&app, &tokens.access, "").await["timestamp"]
        .as_i64()
        .unwrap();
    let plain = pull(&app, &tokens.access, &format!("last_pulled_at={t}")).await;
    assert!(ids(&plain, "pain_entries", "updated").is_empty());
    let migration = r#"{"from":1,"tables":["check_ins"],"columns":[]}"#;
    let migrated = pull(
        &app,
        &tokens.access,
        &format!("last_pulled_at={t}&schema_version=2&migration={migration}"),
    )
    .await;
    assert_eq!(ids(&migrated, "pain_entries", "updated"), ["a"]);
}

async fn sync_never_crosses_users(app: TestApp) {
    let (_, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    push(
        &app,
        &ann.access,
        0,
        json!({"pain_entries": {"created": [pain_record("shared-id", 7)]}}),
    )
    .await;
    let bobs = pull(&app, &bob.access, "").await;
    assert!(ids(&bobs, "pain_entries", "updated").is_empty());
    // Bob pushing the same id (ids are per user) and deleting it touches only his own data.
    let response = push(
        &app,
        &bob.access,
        0,
        json!({"pain_entries": {"created": [pain_record("shared-id", 1)]}}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let response = push(
        &app,
        &bob.access,
        100,
        json!({"pain_entries": {"deleted": ["shared-id"]}}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let deleted: Value = response.json().await.unwrap();
    assert_eq!(
        deleted["applied"], 1,
        "Bob's own entry was deleted: {deleted}"
    );
    let response = app
        .get_auth("/v1/pain-entries/shared-id", &bob.access)
        .await;
    assert_eq!(response.status(), 404);
    assert_eq!(
        app.get_json("/v1/pain-entries/shared-id", &ann.access)
            .await["intensity"],
        7
    );
}

both_engines!(
    a_push_of_empty_lists_is_fine,
    intakes_of_one_push_each_take_their_own_medication
);

/// A push of many intakes over several medications (read together, once per push): each
/// intake's dose comes from its own medication; another user's medication and a deleted one
/// are refused as unknown.
async fn intakes_of_one_push_each_take_their_own_medication(app: TestApp) {
    let (_, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    let med = |id: &str, class: &str, strength: i64| {
        let mut m = json!({"id": id, "name": id, "drug_class": class, "strength": strength,
                           "strength_unit": "mg", "form": "tablet", "active": true});
        if class == "opioid" {
            m["opioid"] = json!("oxycodone");
        }
        m
    };
    app.post_expect(
        "/v1/medications",
        &bob.access,
        &med("bobs", "opioid", 80),
        201,
    )
    .await;
    app.post_expect(
        "/v1/medications",
        &ann.access,
        &med("gone", "nsaid", 200),
        201,
    )
    .await;
    let deleted = app.delete_auth("/v1/medications/gone", &ann.access).await;
    assert_eq!(deleted.status(), 204);
    let since = pull(&app, &ann.access, "").await["timestamp"]
        .as_i64()
        .unwrap();

    // 300 intakes cycling over two medications made in the same push, then the two refused.
    let mut intakes: Vec<Value> = (0..300)
        .map(|i| {
            let medication = if i % 2 == 0 { "oxy5" } else { "ibu400" };
            json!({"id": format!("in{i:03}"), "medication_id": medication,
                   "taken_at": 1_795_851_000_000_i64 - i * 3_600_000, "quantity": 1 + i % 3})
        })
        .collect();
    for (id, medication) in [("stolen", "bobs"), ("ghost", "gone")] {
        intakes.push(json!({"id": id, "medication_id": medication,
                            "taken_at": 1_795_851_000_000_i64, "quantity": 1}));
    }
    let changes = json!({
        "medications": {"created": [med("oxy5", "opioid", 5), med("ibu400", "nsaid", 400)]},
        "medication_intakes": {"created": intakes},
    });
    let response = push(&app, &ann.access, since, changes).await;
    assert_eq!(response.status(), 200);
    let result: Value = response.json().await.unwrap();
    assert_eq!(result["applied"], 302);
    assert_eq!(
        result["experimentalRejectedIds"],
        json!({"medication_intakes": ["stolen", "ghost"]})
    );
    for i in [0, 1, 2, 3, 298, 299] {
        let intake = app
            .get_json(&format!("/v1/medication-intakes/in{i:03}"), &ann.access)
            .await;
        let quantity = (1 + i % 3) as f64;
        let (dose, mme) = if i % 2 == 0 {
            (5.0 * quantity, Some(7.5 * quantity))
        } else {
            (400.0 * quantity, None)
        };
        assert_eq!(intake["dose_mg"].as_f64(), Some(dose), "in{i:03}");
        assert_eq!(intake["mme"].as_f64(), mme, "in{i:03}");
    }
    // Bob's medication gave Ann nothing, and Bob's journal is untouched.
    let bobs = pull(&app, &bob.access, "").await;
    assert_eq!(
        ids(&bobs, "medication_intakes", "updated"),
        Vec::<String>::new()
    );
}

/// WatermelonDB sends every table, most with empty lists.
async fn a_push_of_empty_lists_is_fine(app: TestApp) {
    let (_, tokens) = app.user("ann@example.com").await;
    let empty = json!({"created": [], "updated": [], "deleted": []});
    let changes = json!({"pain_entries": empty, "medications": empty, "medication_intakes": empty, "massage_sessions": empty, "check_ins": empty});
    let response = push(&app, &tokens.access, 0, changes).await;
    assert_eq!(response.status(), 200);
    let result: Value = response.json().await.unwrap();
    assert_eq!(result["applied"], 0);
}

both_engines!(malformed_ids_are_rejected_not_looked_up);

/// Ids no record can have (NUL, control characters, too long) are rejected one by one;
/// PostgreSQL refused the lookup of a NUL outright (500 before, found by schemathesis).
async fn malformed_ids_are_rejected_not_looked_up(app: TestApp) {
    let (_, tokens) = app.user("ann@example.com").await;
    let bad_ids = ["nul\u{0}id", "\u{9e}\u{7}", &"x".repeat(65)];
    let records: Vec<Value> = bad_ids.iter().map(|id| pain_record(id, 3)).collect();
    let response = push(
        &app,
        &tokens.access,
        0,
        json!({"pain_entries": {"created": records, "deleted": bad_ids}, "check_ins": {"deleted": ["\u{0}"]}}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let result: Value = response.json().await.unwrap();
    assert_eq!(result["applied"], 0, "{result}");
    let rejected = &result["experimentalRejectedIds"];
    assert_eq!(
        rejected["pain_entries"].as_array().unwrap().len(),
        6,
        "{result}"
    );
    assert_eq!(rejected["check_ins"], json!(["\u{0}"]), "{result}");
    let pulled = pull(&app, &tokens.access, "").await;
    assert_eq!(pulled["changes"]["pain_entries"]["updated"], json!([]));
}

/// Full pulls take turns (one at a time per server): six phones doing their first sync at
/// once all get the whole journal, and an up-to-date pull is not held behind them.
async fn first_syncs_at_once_each_get_everything(app: TestApp) {
    let (_, tokens) = app.user("ann@example.com").await;
    crate::journal::record_samples(&app, &tokens).await;
    let firsts = (0..6).map(|_| pull(&app, &tokens.access, "last_pulled_at=0"));
    let (answers, current) = tokio::join!(
        futures_util::future::join_all(firsts),
        pull(&app, &tokens.access, "last_pulled_at=999999999999999")
    );
    for answer in &answers {
        assert_eq!(answer["changes"], answers[0]["changes"]);
        for table in SYNCED_TABLES {
            assert_eq!(ids(answer, table, "updated").len(), 1, "{table}: {answer}");
        }
    }
    assert_eq!(
        ids(&current, "pain_entries", "updated"),
        Vec::<String>::new()
    );
}

both_engines!(a_signed_out_device_cannot_push);

/// A push checks the session in the statement that opens its transaction (no separate trip):
/// a signed-out device's push is refused, with or without an Idempotency-Key, and stores
/// nothing; the other device of the same person still pushes.
async fn a_signed_out_device_cannot_push(app: TestApp) {
    let (_, phone) = app.user("ann@example.com").await;
    let tablet = app.login("ann@example.com", "tablet").await;
    app.post_json("/v1/auth/logout", &json!({"refresh_token": phone.refresh}))
        .await;
    let changes = json!({"pain_entries": {"created": [pain_record("after-logout", 7)]}});
    assert_problem(push(&app, &phone.access, 0, changes.clone()).await, 401).await;
    let keyed = app
        .client
        .post(app.url("/v1/sync?last_pulled_at=0"))
        .bearer_auth(&phone.access)
        .header("idempotency-key", "after-logout-1")
        .json(&json!({ "changes": changes }))
        .send()
        .await
        .unwrap();
    assert_problem(keyed, 401).await;
    let pulled = pull(&app, &tablet.access, "last_pulled_at=0").await;
    assert_eq!(
        ids(&pulled, "pain_entries", "updated"),
        Vec::<String>::new()
    );

    let response = push(&app, &tablet.access, 0, changes).await;
    assert_eq!(response.status(), 200);
    let pulled = pull(&app, &tablet.access, "last_pulled_at=0").await;
    assert_eq!(ids(&pulled, "pain_entries", "updated"), ["after-logout"]);
}
