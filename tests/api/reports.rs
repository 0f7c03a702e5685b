//! Reports over HTTP on both engines: the chart (SVG parsed as XML), a table as CSV (parsed
//! back and compared with the JSON API), the whole-account export; each for its owner only.

use chrono::{Datelike, Duration, SecondsFormat, Utc};
use serde_json::{json, Value};

use crate::both_engines;
use crate::helpers::{assert_problem, skips_allowed, TestApp, Tokens};
use crate::sync::{pull, push};

both_engines!(
    the_chart_draws_each_day_and_session_of_its_owner,
    csv_rows_are_the_json_rows_with_formulas_neutralised,
    csv_streams_more_rows_than_one_page,
    the_export_holds_every_entry_and_nothing_of_anyone_else,
    bad_report_parameters_are_400_and_a_session_is_needed,
    export_then_import_into_a_new_account_gives_the_same_export,
    an_import_is_all_or_nothing_and_only_into_an_empty_journal,
    the_doctor_pdf_is_one_page_of_the_patients_own_numbers,
    the_import_command_loads_a_file_like_the_route,
);

/// Each journal table and its list route.
const JOURNAL: [(&str, &str); 5] = [
    ("pain_entries", "/v1/pain-entries"),
    ("medications", "/v1/medications"),
    ("medication_intakes", "/v1/medication-intakes"),
    ("massage_sessions", "/v1/massage-sessions"),
    ("check_ins", "/v1/check-ins"),
];

pub(crate) fn days_ago(days: i64, hour: u32) -> String {
    let day = (Utc::now() - Duration::days(days)).date_naive();
    day.and_hms_opt(hour, 0, 0)
        .unwrap()
        .and_utc()
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A small journal of the last week: an opioid and an NSAID, pain with back and leg, three
/// intakes, two massages and a check-in; notes that try to break CSV and spreadsheets.
pub(crate) async fn fill(app: &TestApp, tokens: &Tokens) {
    let token = &tokens.access;
    for med in [
        json!({"id": "oxy", "name": "Oxycodone 5", "drug_class": "opioid", "opioid": "oxycodone", "strength": 5, "strength_unit": "mg", "form": "tablet", "active": true}),
        json!({"id": "ibu", "name": "=Ibuprofen, \"400\"", "drug_class": "nsaid", "strength": 400, "strength_unit": "mg", "form": "tablet", "active": true}),
    ] {
        app.post_expect("/v1/medications", token, &med, 201).await;
    }
    let notes = [
        "=HYPERLINK(\"http://x\",\"click\")",
        "line one\nline, \"two\"",
        "+fine",
    ];
    for (i, days) in [6, 5, 3].into_iter().enumerate() {
        app.post_expect(
            "/v1/pain-entries",
            token,
            &json!({"id": format!("p{i}"), "recorded_at": days_ago(days, 9), "intensity": 6 - i, "back_pain": 3, "leg_pain": 5 - i,
                    "regions": ["lower_back", "thigh_left"],
                    "notes": notes[i]}),
            201,
        )
        .await;
    }
    for (i, (med, days)) in [("oxy", 6), ("ibu", 6), ("ibu", 3)].into_iter().enumerate() {
        app.post_expect(
            "/v1/medication-intakes",
            token,
            &json!({"id": format!("i{i}"), "medication_id": med, "taken_at": days_ago(days, 10), "quantity": 1, "notes": "-3 pills?"}),
            201,
        )
        .await;
    }
    for (i, days) in [5, 2].into_iter().enumerate() {
        app.post_expect(
            "/v1/massage-sessions",
            token,
            &json!({"id": format!("m{i}"), "started_at": days_ago(days, 17), "duration_min": 60, "kind": "swedish",
                    "therapist": "@Jo <b>", "regions": ["lower_back"], "pain_before": 6, "pain_after": 3}),
            201,
        )
        .await;
    }
    app.post_expect(
        "/v1/check-ins",
        token,
        &json!({"id": "c0", "answered_at": days_ago(1, 8), "kind": "peg", "items": [6, 5, 7]}),
        201,
    )
    .await;
}

async fn chart(app: &TestApp, token: &str, query: &str) -> String {
    let response = app
        .get_auth(&format!("/v1/insights/chart.svg{query}"), token)
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "image/svg+xml; charset=utf-8"
    );
    response.text().await.unwrap()
}

/// Elements of `svg` named `name` whose `fill` is `color`.
fn count(svg: &roxmltree::Document, name: &str, color: &str) -> usize {
    svg.descendants()
        .filter(|n| n.has_tag_name(name) && n.attribute("fill") == Some(color))
        .count()
}

async fn the_chart_draws_each_day_and_session_of_its_owner(app: TestApp) {
    let (_, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    fill(&app, &ann).await;
    let text = chart(&app, &ann.access, "").await;
    let svg = roxmltree::Document::parse(&text).expect("well-formed SVG");
    let root = svg.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(root.attribute("viewBox"), Some("0 0 960 440"));
    // Two days with doses (grey bars), one with opioid MME (red), two sessions (triangles
    // and shaded columns), three days of pain (blue points).
    assert_eq!(count(&svg, "rect", "#787878"), 2, "{text}");
    assert_eq!(count(&svg, "rect", "#BE2828"), 1);
    assert_eq!(count(&svg, "polygon", "#803CA0"), 2);
    assert_eq!(count(&svg, "circle", "#21428C"), 3);
    assert!(!text.contains("No entries"));

    // Bob sees an empty chart, not Ann's days.
    let empty = chart(&app, &bob.access, "").await;
    let svg = roxmltree::Document::parse(&empty).unwrap();
    assert!(empty.contains("No entries in this period"));
    assert_eq!(count(&svg, "rect", "#787878"), 0);
    assert_eq!(count(&svg, "polygon", "#803CA0"), 0);

    // A period before the entries is empty too; one around them has them.
    let before = chart(&app, &ann.access, "?from=2020-01-01&to=2020-03-31").await;
    assert!(before.contains("No entries in this period"));
    let from = (Utc::now() - Duration::days(30)).date_naive();
    let around = chart(&app, &ann.access, &format!("?from={from}")).await;
    let svg = roxmltree::Document::parse(&around).unwrap();
    assert_eq!(count(&svg, "polygon", "#803CA0"), 2);
    assert_eq!(count(&svg, "circle", "#21428C"), 3);
    // Over a year the chart is drawn as means of ISO weeks (Monday to Sunday, the weekly
    // table's weeks). Whether the entries of the last week share one week depends on the
    // weekday today, so the expected marks are counted from the entries' weeks: a bar per
    // week with doses or MME, a marker per week with sessions; pain keeps a dot only when
    // it is a lone week (two neighbouring weeks are a line, drawn without dots).
    let weeks = |days: &[i64]| {
        days.iter()
            .map(|&d| (Utc::now() - Duration::days(d)).date_naive().iso_week())
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    };
    let from = (Utc::now() - Duration::days(400)).date_naive();
    let year = chart(&app, &ann.access, &format!("?from={from}")).await;
    let svg = roxmltree::Document::parse(&year).unwrap();
    assert!(year.contains("weekly mean"), "{year}");
    let pain_dots = if weeks(&[6, 5, 3]) == 1 { 1 } else { 0 };
    assert_eq!(count(&svg, "circle", "#21428C"), pain_dots, "{year}");
    assert_eq!(count(&svg, "rect", "#787878"), weeks(&[6, 3]), "{year}");
    assert_eq!(count(&svg, "rect", "#BE2828"), 1);
    assert_eq!(count(&svg, "polygon", "#803CA0"), weeks(&[5, 2]), "{year}");
    assert!(
        !text.contains("weekly mean"),
        "90 days are drawn day by day"
    );
}

async fn csv_of(app: &TestApp, token: &str, query: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let response = app
        .get_auth(&format!("/v1/reports/journal.csv{query}"), token)
        .await;
    assert_eq!(response.status(), 200, "{query}");
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let body = response.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

/// The cell the CSV should hold for a JSON value.
fn expected_cell(value: &Value) -> String {
    let text = match value {
        Value::Null => return String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::Null => String::new(),
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(";"),
        other => return other.to_string(),
    };
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text
    }
}

async fn csv_rows_are_the_json_rows_with_formulas_neutralised(app: TestApp) {
    let (_, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    fill(&app, &ann).await;
    for (table, path) in JOURNAL {
        let listed = app.get_json(path, &ann.access).await;
        let items = listed["items"].as_array().unwrap();
        let (header, rows) = csv_of(&app, &ann.access, &format!("?table={table}")).await;
        // Every field of the JSON view is a column, and nothing else.
        let mut keys: Vec<&String> = items[0].as_object().unwrap().keys().collect();
        let mut columns: Vec<&String> = header.iter().collect();
        keys.sort();
        columns.sort();
        assert_eq!(columns, keys, "{table}");
        assert_eq!(rows.len(), items.len(), "{table}");
        for (row, item) in rows.iter().zip(items) {
            for (column, cell) in header.iter().zip(row) {
                assert_eq!(cell, &expected_cell(&item[column]), "{table}.{column}");
            }
        }
        let (bob_header, bob_rows) = csv_of(&app, &bob.access, &format!("?table={table}")).await;
        assert_eq!(bob_header, header);
        assert!(bob_rows.is_empty(), "{table}: another user's rows");
    }
    // The formula and the free text, as a spreadsheet will see them.
    let (header, rows) = csv_of(&app, &ann.access, "?table=pain_entries").await;
    let notes = header.iter().position(|c| c == "notes").unwrap();
    let mut all_notes: Vec<&str> = rows.iter().map(|r| r[notes].as_str()).collect();
    all_notes.sort();
    assert_eq!(
        all_notes,
        [
            "'+fine",
            "'=HYPERLINK(\"http://x\",\"click\")",
            "line one\nline, \"two\""
        ]
    );
    let intensity = header.iter().position(|c| c == "intensity").unwrap();
    assert!(rows.iter().all(|r| r[intensity].parse::<i64>().is_ok()));
    // A period: only the days in it.
    let day = (Utc::now() - Duration::days(3)).date_naive();
    let (_, rows) = csv_of(
        &app,
        &ann.access,
        &format!("?table=pain_entries&from={day}&to={day}"),
    )
    .await;
    assert_eq!(rows.len(), 1);
}

async fn csv_streams_more_rows_than_one_page(app: TestApp) {
    let (_, ann) = app.user("ann@example.com").await;
    let start = 1_700_000_000_000_i64;
    let records: Vec<Value> = (0..2500)
        .map(|i| json!({"id": format!("p{i:05}"), "recorded_at": start + i * 3_600_000, "intensity": i % 11,
                        "regions": "[]", "qualities": "[]", "triggers": "[]"}))
        .collect();
    let response = push(
        &app,
        &ann.access,
        0,
        json!({"pain_entries": {"created": records}}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let (header, rows) = csv_of(&app, &ann.access, "?table=pain_entries").await;
    let id = header.iter().position(|c| c == "id").unwrap();
    let mut ids: Vec<&str> = rows.iter().map(|r| r[id].as_str()).collect();
    assert_eq!(ids.first(), Some(&"p02499"), "newest first");
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 2500);
}

async fn the_export_holds_every_entry_and_nothing_of_anyone_else(app: TestApp) {
    let (ann_profile, ann) = app.user("ann@example.com").await;
    let (bob_profile, bob) = app.user("bob@example.com").await;
    fill(&app, &ann).await;
    let response = app.get_auth("/v1/export", &ann.access).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("pain-journal-export.json"));
    let document: Value = response.json().await.unwrap();
    assert_eq!(document["format"], "pain-journal-export");
    assert_eq!(document["version"], 1);
    assert_eq!(document["profile"], ann_profile);
    for (table, path) in JOURNAL {
        let listed = app.get_json(path, &ann.access).await;
        assert_eq!(document["journal"][table], listed["items"], "{table}");
        assert!(!listed["items"].as_array().unwrap().is_empty());
    }
    let bobs: Value = app.get_json("/v1/export", &bob.access).await;
    assert_eq!(bobs["profile"], bob_profile);
    for rows in bobs["journal"].as_object().unwrap().values() {
        assert_eq!(rows, &json!([]));
    }
}

async fn bad_report_parameters_are_400_and_a_session_is_needed(app: TestApp) {
    let (_, ann) = app.user("ann@example.com").await;
    for path in [
        "/v1/insights/chart.svg?from=2026-02-30",
        "/v1/insights/chart.svg?paper=a4",
        "/v1/reports/journal.csv",
        "/v1/reports/journal.csv?table=users",
        "/v1/reports/journal.csv?table=pain_entries&to=yesterday",
    ] {
        assert_problem(app.get_auth(path, &ann.access).await, 400).await;
    }
    for path in [
        "/v1/insights/chart.svg",
        "/v1/reports/journal.csv?table=pain_entries",
        "/v1/export",
    ] {
        assert_problem(app.get_auth(path, "not-a-token").await, 401).await;
    }
}

/// The journal of an export without what each account numbers itself (`version`).
fn journal_without_versions(document: &Value) -> Value {
    let mut journal = document["journal"].clone();
    for rows in journal.as_object_mut().unwrap().values_mut() {
        for row in rows.as_array_mut().unwrap() {
            row.as_object_mut().unwrap().remove("version");
        }
    }
    journal
}

async fn export_then_import_into_a_new_account_gives_the_same_export(app: TestApp) {
    let (_, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    fill(&app, &ann).await;
    let exported = app.get_json("/v1/export", &ann.access).await;
    // Bob has a device that synced before the import: it must pull everything imported.
    let before = pull(&app, &bob.access, "").await;
    let cursor = before["timestamp"].as_i64().unwrap();

    let summary = app
        .post_expect("/v1/import", &bob.access, &exported, 200)
        .await;
    assert_eq!(
        summary["imported"],
        json!({"medications": 2, "pain_entries": 3, "medication_intakes": 3, "massage_sessions": 2, "check_ins": 1})
    );
    let again = app.get_json("/v1/export", &bob.access).await;
    assert_eq!(
        journal_without_versions(&again),
        journal_without_versions(&exported)
    );
    assert_ne!(
        again["profile"], exported["profile"],
        "the profile stays Bob's"
    );
    let pulled = pull(&app, &bob.access, &format!("last_pulled_at={cursor}")).await;
    for (table, _) in JOURNAL {
        assert_eq!(
            pulled["changes"][table]["created"]
                .as_array()
                .map(Vec::len)
                .unwrap_or(0)
                + pulled["changes"][table]["updated"]
                    .as_array()
                    .map(Vec::len)
                    .unwrap_or(0),
            exported["journal"][table].as_array().unwrap().len(),
            "{table}: a device that synced before the import pulls it"
        );
    }
    // Ann's journal is untouched.
    assert_eq!(
        app.get_json("/v1/export", &ann.access).await["journal"],
        exported["journal"]
    );
}

async fn an_import_is_all_or_nothing_and_only_into_an_empty_journal(app: TestApp) {
    let (_, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    fill(&app, &ann).await;
    let exported = app.get_json("/v1/export", &ann.access).await;
    let empty = app.get_json("/v1/export", &bob.access).await["journal"].clone();

    // Into a journal with entries: 409, nothing changes.
    let response = app.post_auth("/v1/import", &ann.access, &exported).await;
    assert_problem(response, 409).await;
    assert_eq!(
        app.get_json("/v1/export", &ann.access).await["journal"],
        exported["journal"]
    );

    // Another format or version: 422 naming the field.
    for (field, value) in [("format", json!("something-else")), ("version", json!(2))] {
        let mut document = exported.clone();
        document[field] = value;
        let problem = assert_problem(
            app.post_auth("/v1/import", &bob.access, &document).await,
            422,
        )
        .await;
        assert_eq!(problem["errors"][0]["field"], field);
    }
    let mut document = exported.clone();
    document["journal"]["users"] = json!([]);
    // Not a document at all, or one with a table it cannot hold: 400.
    assert_problem(
        app.post_auth("/v1/import", &bob.access, &document).await,
        400,
    )
    .await;
    for body in [json!([1, 2]), json!({"format": "pain-journal-export"})] {
        assert_problem(app.post_auth("/v1/import", &bob.access, &body).await, 400).await;
    }

    // One bad row among good ones (the last table): 422 naming it, and no row stored.
    let mut document = exported.clone();
    document["journal"]["check_ins"][0]["items"] = json!([11, 5, 7]);
    document["journal"]["pain_entries"][1]["intensity"] = json!(12);
    let problem = assert_problem(
        app.post_auth("/v1/import", &bob.access, &document).await,
        422,
    )
    .await;
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"journal.pain_entries[1].intensity"),
        "{fields:?}"
    );
    assert!(
        fields.iter().any(|f| f.starts_with("journal.check_ins[0]")),
        "{fields:?}"
    );
    // Derived values cannot be set by a document: they are derived again.
    let mut document = exported.clone();
    document["journal"]["medication_intakes"][0]["mme"] = json!(9999);
    document["journal"]["pain_entries"][0]["id"] =
        document["journal"]["pain_entries"][1]["id"].clone();
    assert_problem(
        app.post_auth("/v1/import", &bob.access, &document).await,
        409,
    )
    .await;
    assert_eq!(
        app.get_json("/v1/export", &bob.access).await["journal"],
        empty
    );

    document["journal"]["pain_entries"][0]["id"] = json!("p-new");
    app.post_expect("/v1/import", &bob.access, &document, 200)
        .await;
    let mmes: Vec<f64> = app.get_json("/v1/export", &bob.access).await["journal"]
        ["medication_intakes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["mme"].as_f64())
        .collect();
    assert!(
        !mmes.is_empty() && mmes.iter().all(|&m| m < 100.0),
        "{mmes:?}"
    );
}

/// Runs a poppler tool on `pdf` and answers what it printed; `None` (a visible skip) only
/// when the tool is missing and skips are allowed.
fn poppler(tool: &str, pdf: &[u8], args: &[&str]) -> Option<String> {
    let dir = std::env::temp_dir().join(format!("pj-pdf-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("report.pdf");
    std::fs::write(&file, pdf).unwrap();
    let mut command = std::process::Command::new(tool);
    command.args(args).arg(&file);
    if tool == "pdftotext" {
        command.arg("-"); // to stdout
    }
    let output = command.output();
    std::fs::remove_dir_all(&dir).ok();
    match output {
        Ok(out) => {
            assert!(
                out.status.success(),
                "{tool} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            Some(String::from_utf8(out.stdout).unwrap())
        }
        Err(e) if skips_allowed() => {
            eprintln!("SKIPPED: {tool} is not installed ({e}); apt-get install poppler-utils");
            None
        }
        Err(e) => panic!("{tool} is needed (apt-get install poppler-utils): {e}"),
    }
}

async fn pdf(app: &TestApp, token: &str, query: &str) -> Vec<u8> {
    let response = app
        .get_auth(&format!("/v1/reports/doctor.pdf{query}"), token)
        .await;
    assert_eq!(response.status(), 200, "{query}");
    assert_eq!(response.headers()["content-type"], "application/pdf");
    let bytes = response.bytes().await.unwrap().to_vec();
    assert!(bytes.starts_with(b"%PDF-"));
    bytes
}

async fn the_doctor_pdf_is_one_page_of_the_patients_own_numbers(app: TestApp) {
    let (_, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    let response = app
        .patch_auth(
            "/v1/me",
            &ann.access,
            &json!({"display_name": "Ann <B> & Co"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    fill(&app, &ann).await;
    let report = pdf(&app, &ann.access, "").await;
    let Some(text) = poppler("pdftotext", &report, &["-layout"]) else {
        return;
    };
    let text = text.replace('\u{a0}', " ");
    for expected in [
        "Ann <B> & Co",
        "Pain Journal",
        "Not enough data yet",
        "Oxycodone 5",
        "2 sessions (swedish 2)",
        "Therapists: @Jo <b>",
        "6.0 → 3.0",
        "PEG (0–10): 6.0",
        "Weekly averages",
    ] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
    // Oxycodone once and ibuprofen twice in 90 days: 0.01 and 0.02 a day; MME 7.5 / 90 days.
    let oxycodone = text.lines().find(|l| l.contains("Oxycodone 5")).unwrap();
    assert!(
        oxycodone.contains("opioid") && oxycodone.contains("0.01") && oxycodone.contains("0.08"),
        "{oxycodone}"
    );
    let ibuprofen = text.lines().find(|l| l.contains("=Ibuprofen")).unwrap();
    assert!(
        ibuprofen.contains("nsaid") && ibuprofen.contains("0.02"),
        "{ibuprofen}"
    );
    let info = poppler("pdfinfo", &report, &[]).unwrap();
    assert!(
        info.lines()
            .any(|l| l.starts_with("Pages:") && l.ends_with(" 1")),
        "{info}"
    );
    let letter = pdf(&app, &ann.access, "?paper=letter").await;
    let info = poppler("pdfinfo", &letter, &[]).unwrap();
    assert!(info.contains("612 x 792 pts"), "{info}");
    let fonts = poppler("pdffonts", &report, &[]).unwrap();
    let font_rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!font_rows.is_empty());
    assert!(
        font_rows
            .iter()
            .all(|row| row.contains("DejaVu") && row.contains(" yes ")),
        "every font embedded: {fonts}"
    );

    // Bob's report has none of Ann's entries; an empty journal is a report, not an error.
    let bobs = poppler("pdftotext", &pdf(&app, &bob.access, "").await, &["-layout"]).unwrap();
    assert!(
        !bobs.contains("Oxycodone") && !bobs.contains("Ann"),
        "{bobs}"
    );
    assert!(bobs.contains("No painkillers logged in this period"));
    assert!(bobs.contains("No massage sessions in this period"));
    assert_problem(
        app.get_auth("/v1/reports/doctor.pdf?paper=a3", &ann.access)
            .await,
        400,
    )
    .await;
}

/// Runs `pain-journal import` on this app's database; answers (succeeded, stdout, stderr).
fn import_command(app: &TestApp, email: &str, file: &std::path::Path) -> (bool, String, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_pain-journal"))
        .env(
            "DATABASE_URL",
            crate::sync_safety::database_url(&app.settings.database),
        )
        .env("JWT_SECRET", crate::helpers::JWT_SECRET)
        .env("RUST_LOG", "error")
        .args(["import", "--email", email])
        .arg(file)
        .output()
        .expect("run the binary");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

async fn the_import_command_loads_a_file_like_the_route(app: TestApp) {
    let (_, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    fill(&app, &ann).await;
    let exported = app.get_json("/v1/export", &ann.access).await;
    let dir = std::env::temp_dir().join(format!("pj-import-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("export.json");
    std::fs::write(&file, serde_json::to_vec(&exported).unwrap()).unwrap();

    let (ok, stdout, stderr) = import_command(&app, "bob@example.com", &file);
    assert!(ok, "{stdout}{stderr}");
    assert!(stdout.contains("imported 11 journal rows"), "{stdout}");
    let imported = app.get_json("/v1/export", &bob.access).await;
    assert_eq!(
        journal_without_versions(&imported),
        journal_without_versions(&exported)
    );

    // Again: the journal is no longer empty; nothing changes and it says why.
    let (ok, _, stderr) = import_command(&app, "bob@example.com", &file);
    assert!(!ok);
    assert!(stderr.contains("not empty"), "{stderr}");
    let after = app.get_json("/v1/export", &bob.access).await;
    assert_eq!(after["journal"], imported["journal"]);
    // Not a document, no such account, no such file: each a one-line refusal.
    let carol = app.register("carol@example.com").await;
    assert!(carol["id"].is_string());
    std::fs::write(dir.join("bad.json"), b"{\"format\": \"other\"").unwrap();
    for (email, path, says) in [
        (
            "carol@example.com",
            dir.join("bad.json"),
            "not an export document",
        ),
        ("nobody@example.com", file.clone(), "no account"),
        (
            "carol@example.com",
            dir.join("missing.json"),
            "missing.json",
        ),
    ] {
        let (ok, _, stderr) = import_command(&app, email, &path);
        assert!(!ok, "{email} {}", path.display());
        assert!(stderr.contains(says), "{stderr}");
    }
    let carol_tokens = app.login("carol@example.com", "cli check").await;
    let untouched = app.get_json("/v1/export", &carol_tokens.access).await;
    assert_eq!(untouched["journal"]["pain_entries"], serde_json::json!([]));
    std::fs::remove_dir_all(&dir).ok();
}
