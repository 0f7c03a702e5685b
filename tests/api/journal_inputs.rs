//! Table-driven bad input for every journal endpoint: each answers a 4xx problem naming what
//! is wrong, and the stored data stays exactly as it was.

use serde_json::{json, Value};

use crate::both_engines;
use crate::helpers::{assert_problem, TestApp, Tokens};
use crate::journal::{record_samples, samples};

both_engines!(
    bad_creates_are_refused_and_change_nothing,
    bad_patches_are_refused_and_change_nothing
);

/// `base` with `field` set to `value` (or removed when `value` is `None`).
fn with(base: &Value, field: &str, value: Option<Value>) -> Value {
    let mut body = base.clone();
    let object = body.as_object_mut().unwrap();
    match value {
        Some(value) => object.insert(field.to_owned(), value),
        None => object.remove(field),
    };
    body
}

fn far_future() -> String {
    (chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339()
}

/// (path, base body, field, bad value or None for missing, expected status)
fn bad_cases() -> Vec<(&'static str, Value, &'static str, Option<Value>, u16)> {
    let [medication, pain, intake, massage, check_in]: [Value; 5] = samples()
        .into_iter()
        .map(|(_, body, _)| with(&body, "id", Some(json!("new-id"))))
        .collect::<Vec<_>>()
        .try_into()
        .unwrap();
    let huge = json!("x".repeat(4001));
    let mut cases = vec![
        // Pain entries.
        (
            "/v1/pain-entries",
            pain.clone(),
            "intensity",
            Some(json!(11)),
            422,
        ),
        (
            "/v1/pain-entries",
            pain.clone(),
            "intensity",
            Some(json!(-1)),
            422,
        ),
        (
            "/v1/pain-entries",
            pain.clone(),
            "intensity",
            Some(json!("six")),
            400,
        ),
        (
            "/v1/pain-entries",
            pain.clone(),
            "intensity",
            Some(json!(5.5)),
            400,
        ),
        ("/v1/pain-entries", pain.clone(), "intensity", None, 400),
        (
            "/v1/pain-entries",
            pain.clone(),
            "back_pain",
            Some(json!(12)),
            422,
        ),
        (
            "/v1/pain-entries",
            pain.clone(),
            "leg_pain",
            Some(json!(-3)),
            422,
        ),
        (
            "/v1/pain-entries",
            pain.clone(),
            "regions",
            Some(json!(["elbow"])),
            422,
        ),
        (
            "/v1/pain-entries",
            pain.clone(),
            "regions",
            Some(json!("lower_back")),
            400,
        ),
        (
            "/v1/pain-entries",
            pain.clone(),
            "qualities",
            Some(json!(["itchy"])),
            422,
        ),
        (
            "/v1/pain-entries",
            pain.clone(),
            "triggers",
            Some(json!(["moon"])),
            422,
        ),
        (
            "/v1/pain-entries",
            pain.clone(),
            "notes",
            Some(huge.clone()),
            422,
        ),
        (
            "/v1/pain-entries",
            pain.clone(),
            "recorded_at",
            Some(json!("2026-11-20T08:30:00")),
            422,
        ),
        (
            "/v1/pain-entries",
            pain.clone(),
            "recorded_at",
            Some(json!("yesterday")),
            422,
        ),
        (
            "/v1/pain-entries",
            pain.clone(),
            "recorded_at",
            Some(json!("1800-01-01T00:00:00Z")),
            422,
        ),
        (
            "/v1/pain-entries",
            pain.clone(),
            "recorded_at",
            Some(json!(far_future())),
            422,
        ),
        (
            "/v1/pain-entries",
            pain.clone(),
            "recorded_at",
            Some(json!(1700000000)),
            400,
        ),
        ("/v1/pain-entries", pain.clone(), "recorded_at", None, 400),
        (
            "/v1/pain-entries",
            pain.clone(),
            "id",
            Some(json!("has space")),
            422,
        ),
        (
            "/v1/pain-entries",
            pain.clone(),
            "id",
            Some(json!("x".repeat(65))),
            422,
        ),
        (
            "/v1/pain-entries",
            pain.clone(),
            "id",
            Some(json!("../etc")),
            422,
        ),
        (
            "/v1/pain-entries",
            pain.clone(),
            "user_id",
            Some(json!("someone")),
            400,
        ),
        (
            "/v1/pain-entries",
            pain.clone(),
            "version",
            Some(json!(99)),
            400,
        ),
        (
            "/v1/pain-entries",
            pain.clone(),
            "local_date",
            Some(json!("2026-01-01")),
            400,
        ),
        // Medications.
        (
            "/v1/medications",
            medication.clone(),
            "drug_class",
            Some(json!("vitamin")),
            422,
        ),
        (
            "/v1/medications",
            medication.clone(),
            "opioid",
            Some(json!("heroin")),
            422,
        ),
        ("/v1/medications", medication.clone(), "opioid", None, 422),
        (
            "/v1/medications",
            medication.clone(),
            "strength",
            Some(json!(0)),
            422,
        ),
        (
            "/v1/medications",
            medication.clone(),
            "strength",
            Some(json!(-5)),
            422,
        ),
        (
            "/v1/medications",
            medication.clone(),
            "strength",
            Some(json!(1e9)),
            422,
        ),
        (
            "/v1/medications",
            medication.clone(),
            "strength_unit",
            Some(json!("mcg_per_hour")),
            422,
        ),
        (
            "/v1/medications",
            medication.clone(),
            "strength_unit",
            Some(json!("grains")),
            422,
        ),
        (
            "/v1/medications",
            medication.clone(),
            "form",
            Some(json!("suppository")),
            422,
        ),
        (
            "/v1/medications",
            medication.clone(),
            "name",
            Some(json!("")),
            422,
        ),
        (
            "/v1/medications",
            medication.clone(),
            "name",
            Some(json!("x".repeat(201))),
            422,
        ),
        // The schema's maxLength counts what was sent: trimming must not make it fit.
        (
            "/v1/medications",
            medication.clone(),
            "name",
            Some(json!(format!("{} ", "x".repeat(200)))),
            422,
        ),
        (
            "/v1/medications",
            medication.clone(),
            "name",
            Some(json!("Ibuprofen\n")),
            422,
        ),
        ("/v1/medications", medication.clone(), "name", None, 400),
        (
            "/v1/medications",
            medication.clone(),
            "active",
            Some(json!("yes")),
            400,
        ),
        (
            "/v1/medications",
            with(&medication, "drug_class", Some(json!("nsaid"))),
            "opioid",
            Some(json!("oxycodone")),
            422,
        ),
        // Intakes.
        (
            "/v1/medication-intakes",
            intake.clone(),
            "quantity",
            Some(json!(0)),
            422,
        ),
        (
            "/v1/medication-intakes",
            intake.clone(),
            "quantity",
            Some(json!(-1)),
            422,
        ),
        (
            "/v1/medication-intakes",
            intake.clone(),
            "quantity",
            Some(json!(1000)),
            422,
        ),
        (
            "/v1/medication-intakes",
            intake.clone(),
            "quantity",
            Some(json!("two")),
            400,
        ),
        (
            "/v1/medication-intakes",
            intake.clone(),
            "medication_id",
            Some(json!("no-such-med")),
            422,
        ),
        (
            "/v1/medication-intakes",
            intake.clone(),
            "medication_id",
            Some(json!("bad id!")),
            422,
        ),
        (
            "/v1/medication-intakes",
            intake.clone(),
            "medication_id",
            None,
            400,
        ),
        (
            "/v1/medication-intakes",
            intake.clone(),
            "taken_at",
            Some(json!(far_future())),
            422,
        ),
        (
            "/v1/medication-intakes",
            intake.clone(),
            "dose_mg",
            Some(json!(1)),
            400,
        ),
        (
            "/v1/medication-intakes",
            intake.clone(),
            "mme",
            Some(json!(0)),
            400,
        ),
        // Massage sessions.
        (
            "/v1/massage-sessions",
            massage.clone(),
            "duration_min",
            Some(json!(0)),
            422,
        ),
        (
            "/v1/massage-sessions",
            massage.clone(),
            "duration_min",
            Some(json!(601)),
            422,
        ),
        (
            "/v1/massage-sessions",
            massage.clone(),
            "kind",
            Some(json!("hot_stone")),
            422,
        ),
        (
            "/v1/massage-sessions",
            massage.clone(),
            "pressure",
            Some(json!("crushing")),
            422,
        ),
        (
            "/v1/massage-sessions",
            massage.clone(),
            "pain_after",
            Some(json!(11)),
            422,
        ),
        (
            "/v1/massage-sessions",
            massage.clone(),
            "soreness_next_day",
            Some(json!(-1)),
            422,
        ),
        (
            "/v1/massage-sessions",
            massage.clone(),
            "therapist",
            Some(json!("x".repeat(201))),
            422,
        ),
        (
            "/v1/massage-sessions",
            massage.clone(),
            "regions",
            Some(json!(["shoulder"])),
            422,
        ),
        (
            "/v1/massage-sessions",
            massage.clone(),
            "started_at",
            Some(json!("2026-02-30T10:00:00Z")),
            422,
        ),
        // Check-ins.
        (
            "/v1/check-ins",
            check_in.clone(),
            "kind",
            Some(json!("phq9")),
            422,
        ),
        (
            "/v1/check-ins",
            check_in.clone(),
            "items",
            Some(json!([1, 2, 3, 4])),
            422,
        ),
        (
            "/v1/check-ins",
            check_in.clone(),
            "items",
            Some(json!(["a", "b", "c"])),
            400,
        ),
        (
            "/v1/check-ins",
            check_in.clone(),
            "score",
            Some(json!(5)),
            400,
        ),
    ];
    // A body over the size limit.
    cases.push((
        "/v1/pain-entries",
        pain,
        "notes",
        Some(json!("x".repeat(70_000))),
        413,
    ));
    cases
}

/// Everything the user has, as lists (which include versions): to prove nothing changed.
async fn snapshot(app: &TestApp, tokens: &Tokens) -> Vec<Value> {
    let mut all = Vec::new();
    for path in [
        "/v1/medications",
        "/v1/pain-entries",
        "/v1/medication-intakes",
        "/v1/massage-sessions",
        "/v1/check-ins",
    ] {
        all.push(app.get_json(path, &tokens.access).await);
    }
    all.push(app.get_json("/v1/me", &tokens.access).await);
    all
}

async fn bad_creates_are_refused_and_change_nothing(app: TestApp) {
    let (_, tokens) = app.user("ann@example.com").await;
    record_samples(&app, &tokens).await;
    let before = snapshot(&app, &tokens).await;
    for (path, base, field, value, status) in bad_cases() {
        let body = with(&base, field, value.clone());
        let problem =
            assert_problem(app.post_auth(path, &tokens.access, &body).await, status).await;
        if status == 422 {
            let fields: Vec<&str> = problem["errors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["field"].as_str().unwrap())
                .collect();
            assert!(
                fields.contains(&field),
                "{path} {field}={value:?}: named {fields:?}"
            );
        }
        if status == 400 {
            assert!(
                problem["detail"].as_str().unwrap().contains("JSON"),
                "{problem}"
            );
        }
    }
    // Non-object bodies and wrong content types.
    for path in ["/v1/pain-entries", "/v1/check-ins"] {
        assert_problem(
            app.post_auth(path, &tokens.access, &json!([1, 2])).await,
            400,
        )
        .await;
        let text = app
            .client
            .post(app.url(path))
            .bearer_auth(&tokens.access)
            .body("intensity=5")
            .send()
            .await
            .unwrap();
        assert_problem(text, 415).await;
    }
    assert_eq!(
        snapshot(&app, &tokens).await,
        before,
        "a refused request changed stored data"
    );
}

async fn bad_patches_are_refused_and_change_nothing(app: TestApp) {
    let (_, tokens) = app.user("ann@example.com").await;
    record_samples(&app, &tokens).await;
    let before = snapshot(&app, &tokens).await;
    for (path, base, field, value, status) in bad_cases() {
        // Creates-only cases: missing required fields, ids and too-large bodies behave
        // differently on a PATCH (absent means "unchanged"; ids cannot change).
        if value.is_none() || field == "id" || status == 413 {
            continue;
        }
        let id = samples()
            .into_iter()
            .find(|(p, _, _)| *p == path)
            .unwrap()
            .1["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let item = format!("{path}/{id}");
        // The base's other fields are the stored ones except a few that differ; patch only
        // the field under test (plus drug_class for the opioid-on-NSAID case).
        let mut patch = json!({ field: value });
        if base["drug_class"] == "nsaid" {
            patch["drug_class"] = json!("nsaid");
        }
        let response = app.patch_auth(&item, &tokens.access, &patch).await;
        let got = response.status().as_u16();
        assert!(got == 400 || got == 422, "PATCH {item} {patch}: {got}");
        assert_problem(response, got).await;
    }
    // A null for a required field, a new id, a non-object body.
    let pain = "/v1/pain-entries/pain-1";
    assert!(matches!(
        app.patch_auth(pain, &tokens.access, &json!({"intensity": null}))
            .await
            .status()
            .as_u16(),
        400 | 422
    ));
    let problem = assert_problem(
        app.patch_auth(pain, &tokens.access, &json!({"id": "other"}))
            .await,
        422,
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "id");
    assert_problem(app.patch_auth(pain, &tokens.access, &json!([1])).await, 400).await;
    assert_problem(
        app.patch_auth(pain, &tokens.access, &json!({"intensity": 3, "bogus": 1}))
            .await,
        400,
    )
    .await;
    // One good field beside a bad one: neither is applied.
    let problem = assert_problem(
        app.patch_auth(
            pain,
            &tokens.access,
            &json!({"intensity": 3, "leg_pain": 99}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "leg_pain");
    assert_eq!(
        snapshot(&app, &tokens).await,
        before,
        "a refused patch changed stored data"
    );
}
