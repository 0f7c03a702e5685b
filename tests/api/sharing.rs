//! Clinician sharing over HTTP on both engines: roles, codes and links, scopes on every
//! clinician route, revoke and expiry, throttled guessing, and the access log (each view
//! logged exactly once, nothing logged for a refused look).

use diesel::prelude::*;
use serde_json::{json, Value};

use crate::both_engines;
use crate::helpers::{assert_problem, TestApp, Tokens, PASSWORD};
use crate::reports::fill;

both_engines!(
    a_clinician_has_no_journal_and_a_patient_no_clinician_routes,
    a_code_links_one_clinician_once_and_shows_only_its_scope,
    full_and_therapist_scopes_show_what_they_promise,
    a_link_opens_a_plain_page_until_it_is_revoked_or_expires,
    wrong_codes_are_throttled_per_clinician_and_address,
    the_access_log_is_the_patients_paged_and_read_only,
);

/// A registered, signed-in clinician.
async fn clinician(app: &TestApp, email: &str, name: &str) -> (Value, Tokens) {
    let response = app
        .post_json(
            "/v1/auth/register",
            &json!({"email": email, "password": PASSWORD, "timezone": "Europe/Berlin",
                    "display_name": name, "role": "clinician"}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let profile: Value = response.json().await.unwrap();
    assert_eq!(profile["role"], "clinician");
    (profile, app.login(email, "clinic pc").await)
}

/// A patient with a name and the small journal of `reports::fill`.
async fn patient(app: &TestApp, email: &str, name: &str) -> (String, Tokens) {
    let (profile, tokens) = app.user(email).await;
    let response = app
        .patch_auth("/v1/me", &tokens.access, &json!({"display_name": name}))
        .await;
    assert_eq!(response.status(), 200);
    fill(app, &tokens).await;
    (profile["id"].as_str().unwrap().to_owned(), tokens)
}

async fn share(app: &TestApp, tokens: &Tokens, kind: &str, scope: &str, label: &str) -> Value {
    app.post_expect(
        "/v1/shares",
        &tokens.access,
        &json!({"kind": kind, "scope": scope, "label": label}),
        201,
    )
    .await
}

async fn redeem(app: &TestApp, tokens: &Tokens, code: &str) -> reqwest::Response {
    app.post_auth(
        "/v1/clinician/shares/redeem",
        &tokens.access,
        &json!({"code": code}),
    )
    .await
}

async fn status(app: &TestApp, path: &str, token: &str) -> u16 {
    app.get_auth(path, token).await.status().as_u16()
}

async fn access_log(app: &TestApp, tokens: &Tokens) -> Vec<Value> {
    app.get_json("/v1/me/access-log?limit=500", &tokens.access)
        .await["items"]
        .as_array()
        .unwrap()
        .clone()
}

fn whats(log: &[Value]) -> Vec<String> {
    let mut whats: Vec<String> = log
        .iter()
        .map(|e| e["what"].as_str().unwrap().to_owned())
        .collect();
    whats.sort();
    whats
}

async fn a_clinician_has_no_journal_and_a_patient_no_clinician_routes(app: TestApp) {
    let (_, doc) = clinician(&app, "cleo@clinic.example", "Dr. Cleo").await;
    let (_, ann) = app.user("ann@example.com").await;
    let token = &doc.access;
    let document = app.get_json("/v1/export", &ann.access).await;
    // Journal, sync, insight, reports, sharing: a clinician has none of them.
    for path in [
        "/v1/pain-entries",
        "/v1/medications",
        "/v1/days/2026-11-01",
        "/v1/sync?last_pulled_at=0",
        // A cursor already past everything: the up-to-date answer checks the role too.
        "/v1/sync?last_pulled_at=999999",
        "/v1/insights/massage-effect",
        "/v1/reports/doctor.pdf",
        "/v1/export",
        "/v1/shares",
        "/v1/me/access-log",
    ] {
        assert_problem(app.get_auth(path, token).await, 403).await;
    }
    for (path, body) in [
        (
            "/v1/pain-entries",
            json!({"id": "x", "recorded_at": "2026-11-01T09:00:00Z", "intensity": 3}),
        ),
        ("/v1/sync?last_pulled_at=0", json!({"changes": {}})),
        (
            "/v1/shares",
            json!({"kind": "code", "scope": "summary", "label": "x"}),
        ),
        ("/v1/import", document),
    ] {
        let problem = assert_problem(app.post_auth(path, token, &body).await, 403).await;
        assert_eq!(problem["type"], "urn:pain-journal:problem:forbidden");
    }
    // Their own account works.
    assert_eq!(app.get_json("/v1/me", token).await["role"], "clinician");
    // A patient cannot use the clinician routes (nor reach anyone through them).
    assert_problem(
        app.get_auth("/v1/clinician/patients", &ann.access).await,
        403,
    )
    .await;
    assert_problem(redeem(&app, &ann, "ABCD-EFGH-JKMN").await, 403).await;
    assert_eq!(
        app.get_json("/v1/clinician/patients", token).await["items"],
        json!([])
    );
}

async fn a_code_links_one_clinician_once_and_shows_only_its_scope(app: TestApp) {
    let (ann_id, ann) = patient(&app, "ann@example.com", "Ann Example").await;
    let (bob_id, bob) = patient(&app, "bob@example.com", "Bob Other").await;
    let (_, cleo) = clinician(&app, "cleo@clinic.example", "Dr. Cleo").await;
    let (_, carl) = clinician(&app, "carl@clinic.example", "Dr. Carl").await;

    let created = share(&app, &ann, "code", "summary", "Dr. Cleo, spine clinic").await;
    let code = created["code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 14, "{code}");
    assert!(
        code.chars()
            .all(|c| c == '-' || "ABCDEFGHJKLMNPQRSTUVWXYZ23456789".contains(c)),
        "{code}"
    );
    assert_eq!(created["status"], "waiting");
    assert!(created.get("url").is_none());
    // The code is shown once: the list has no secret in it, and nothing stores it in clear.
    let list = app.get_json("/v1/shares", &ann.access).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert!(!list.to_string().contains(&code.replace('-', "")));
    assert!(!list.to_string().contains(&code));
    let stored: Vec<String> = {
        use pain_journal::db::schema::share_grants;
        share_grants::table
            .select(share_grants::secret_hash)
            .load(&mut *app.db())
            .unwrap()
    };
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].contains(&code.replace('-', "")) && stored[0].len() == 64);

    // Two clinicians at once with one code: exactly one gets it.
    let typed = format!(" {} ", code.to_lowercase().replace('-', " "));
    let (first, second) = tokio::join!(redeem(&app, &cleo, &typed), redeem(&app, &carl, &code));
    let (first, second) = (first.status().as_u16(), second.status().as_u16());
    let mut statuses = [first, second];
    statuses.sort();
    assert_eq!(statuses, [200, 404]);
    let (holder, other) = if first == 200 {
        (&cleo, &carl)
    } else {
        (&carl, &cleo)
    };
    // A code works once.
    assert_problem(redeem(&app, holder, &code).await, 404).await;

    let patients = app.get_json("/v1/clinician/patients", &holder.access).await;
    let items = patients["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{patients}");
    assert_eq!(items[0]["patient_id"], ann_id.as_str());
    assert_eq!(items[0]["display_name"], "Ann Example");
    assert_eq!(items[0]["scope"], "summary");
    assert!(items[0]["last_journal_activity"].is_string());
    assert_eq!(
        app.get_json("/v1/clinician/patients", &other.access).await["items"],
        json!([])
    );
    assert_eq!(
        app.get_json("/v1/shares", &ann.access).await["items"][0]["status"],
        "active"
    );

    // Scope `summary`: the insight, weekly series, chart and PDF; no journal rows, no massage view.
    let base = format!("/v1/clinician/patients/{ann_id}");
    let summary = app
        .get_json(&format!("{base}/summary"), &holder.access)
        .await;
    assert!(summary["verdict"].is_string() && summary["summary"].is_string());
    let weekly = app
        .get_json(&format!("{base}/weekly"), &holder.access)
        .await;
    assert!(!weekly["weeks"].as_array().unwrap().is_empty());
    let chart = app
        .get_auth(&format!("{base}/chart.svg"), &holder.access)
        .await;
    assert_eq!(chart.status(), 200);
    let svg = chart.text().await.unwrap();
    roxmltree::Document::parse(&svg).expect("the chart is XML");
    let pdf = app
        .get_auth(&format!("{base}/report.pdf"), &holder.access)
        .await;
    assert_eq!(pdf.status(), 200);
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF-"));
    for refused in [
        "pain-entries",
        "medications",
        "medication-intakes",
        "massage-sessions",
        "check-ins",
        "massage",
    ] {
        assert_problem(
            app.get_auth(&format!("{base}/{refused}"), &holder.access)
                .await,
            404,
        )
        .await;
    }
    // Not another patient, not through another clinician, not a made-up id: all alike 404.
    for (path, token) in [
        (
            format!("/v1/clinician/patients/{bob_id}/summary"),
            &holder.access,
        ),
        (format!("{base}/summary"), &other.access),
        (
            "/v1/clinician/patients/nobody/summary".to_owned(),
            &holder.access,
        ),
    ] {
        assert_problem(app.get_auth(&path, token).await, 404).await;
    }
    // Each view logged exactly once, refused looks not at all; Bob's log is empty.
    let log = access_log(&app, &ann).await;
    assert_eq!(whats(&log), ["chart", "report_pdf", "summary", "weekly"]);
    let holder_name = if first == 200 { "Dr. Cleo" } else { "Dr. Carl" };
    for entry in &log {
        assert_eq!(entry["viewer"], holder_name);
        assert_eq!(entry["via"], "clinician");
        assert_eq!(entry["share_id"], created["id"]);
        assert_eq!(entry["address"], "127.0.0.0/24");
    }
    assert_eq!(access_log(&app, &bob).await, Vec::<Value>::new());
    let last = app.get_json("/v1/shares", &ann.access).await["items"][0]["last_access_at"].clone();
    assert!(last.is_string(), "{last}");

    // Revoked: the very next request is 404, and the patient leaves the clinician's list.
    let id = created["id"].as_str().unwrap();
    assert_eq!(
        app.delete_auth(&format!("/v1/shares/{id}"), &ann.access)
            .await
            .status(),
        204
    );
    assert_problem(
        app.get_auth(&format!("{base}/summary"), &holder.access)
            .await,
        404,
    )
    .await;
    assert_eq!(
        app.get_json("/v1/clinician/patients", &holder.access).await["items"],
        json!([])
    );
    assert_eq!(
        app.get_json("/v1/shares", &ann.access).await["items"][0]["status"],
        "revoked"
    );
    // Nobody revokes another patient's share.
    assert_problem(
        app.delete_auth(&format!("/v1/shares/{id}"), &bob.access)
            .await,
        404,
    )
    .await;
    assert_eq!(access_log(&app, &ann).await.len(), 4);

    // The patient's list names who held each grant; a grant not yet redeemed names nobody.
    share(&app, &ann, "code", "summary", "not given yet").await;
    let shares = app.get_json("/v1/shares", &ann.access).await;
    let items = shares["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{shares}");
    let revoked = items.iter().find(|i| i["status"] == "revoked").unwrap();
    assert_eq!(revoked["clinician"], holder_name, "{shares}");
    let waiting = items.iter().find(|i| i["status"] == "waiting").unwrap();
    assert!(waiting["clinician"].is_null(), "{shares}");
}

async fn full_and_therapist_scopes_show_what_they_promise(app: TestApp) {
    let (ann_id, ann) = patient(&app, "ann@example.com", "Ann Example").await;
    let (_, cleo) = clinician(&app, "cleo@clinic.example", "Dr. Cleo").await;
    let (_, tess) = clinician(&app, "tess@massage.example", "Tess Therapist").await;
    let full = share(&app, &ann, "code", "full", "Dr. Cleo").await;
    assert_eq!(
        redeem(&app, &cleo, full["code"].as_str().unwrap())
            .await
            .status(),
        200
    );
    let therapist = share(&app, &ann, "code", "therapist", "Tess").await;
    assert_eq!(
        redeem(&app, &tess, therapist["code"].as_str().unwrap())
            .await
            .status(),
        200
    );
    let base = format!("/v1/clinician/patients/{ann_id}");

    // `full`: every journal list with its notes, the summary, and the massage view.
    let pain = app
        .get_json(&format!("{base}/pain-entries"), &cleo.access)
        .await;
    assert_eq!(pain["items"].as_array().unwrap().len(), 3);
    assert!(pain.to_string().contains("HYPERLINK"), "notes are shown");
    let own = app.get_json("/v1/pain-entries", &ann.access).await;
    assert_eq!(pain["items"], own["items"], "the rows the patient sees");
    for (table, rows) in [
        ("medications", 2),
        ("medication-intakes", 3),
        ("massage-sessions", 2),
        ("check-ins", 1),
    ] {
        let page = app.get_json(&format!("{base}/{table}"), &cleo.access).await;
        assert_eq!(page["items"].as_array().unwrap().len(), rows, "{table}");
    }
    assert_eq!(
        status(&app, &format!("{base}/summary"), &cleo.access).await,
        200
    );
    assert_eq!(
        status(&app, &format!("{base}/massage"), &cleo.access).await,
        200
    );
    // The share page as a link shows it, for the signed-in clinician.
    let page = app.get_auth(&format!("{base}/page"), &cleo.access).await;
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    assert!(page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("default-src 'none'"));
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Ann Example") && html.contains("<svg"),
        "{html}"
    );
    assert!(html.contains(&format!("{base}/report.pdf")));
    // Bad list parameters are refused before anything is logged.
    assert_problem(
        app.get_auth(&format!("{base}/pain-entries?limit=0"), &cleo.access)
            .await,
        400,
    )
    .await;

    // `therapist`: sessions with notes and pain regions, nothing about medications.
    let massage = app.get_json(&format!("{base}/massage"), &tess.access).await;
    assert_eq!(massage["sessions"].as_array().unwrap().len(), 2);
    assert_eq!(massage["sessions"][0]["therapist"], "@Jo <b>");
    assert_eq!(massage["pain_entries"], 3);
    assert_eq!(massage["pain_regions"][0]["entries"], 3);
    let regions: Vec<&str> = massage["pain_regions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["region"].as_str().unwrap())
        .collect();
    assert_eq!(regions.len(), 2);
    assert!(regions.contains(&"lower_back") && regions.contains(&"thigh_left"));
    assert!(!massage.to_string().contains("Oxycodone"));
    let page = app.get_auth(&format!("{base}/page"), &tess.access).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Massage sessions") && !html.contains("Oxycodone"),
        "{html}"
    );
    for refused in [
        "summary",
        "weekly",
        "chart.svg",
        "report.pdf",
        "pain-entries",
        "medications",
        "medication-intakes",
        "massage-sessions",
        "check-ins",
    ] {
        assert_eq!(
            status(&app, &format!("{base}/{refused}"), &tess.access).await,
            404,
            "{refused}"
        );
    }
    let log = access_log(&app, &ann).await;
    let by = |name: &str| {
        whats(
            &log.iter()
                .filter(|e| e["viewer"] == name)
                .cloned()
                .collect::<Vec<_>>(),
        )
    };
    assert_eq!(
        by("Dr. Cleo"),
        [
            "check_ins",
            "massage",
            "massage_sessions",
            "medication_intakes",
            "medications",
            "page",
            "pain_entries",
            "summary"
        ]
    );
    assert_eq!(by("Tess Therapist"), ["massage", "page"]);
    // Clinician routes are read-only.
    let write = app
        .post_auth(&format!("{base}/pain-entries"), &cleo.access, &json!({}))
        .await;
    assert_eq!(write.status(), 405);

    // Time runs out (the clock is moved in the database): a redeemed grant past its expiry
    // shows nothing and leaves the list; a code not redeemed within 24 hours cannot be.
    move_clock(&app, full["id"].as_str().unwrap(), "expires_at");
    assert_eq!(
        status(&app, &format!("{base}/summary"), &cleo.access).await,
        404
    );
    assert_eq!(
        app.get_json("/v1/clinician/patients", &cleo.access).await["items"],
        json!([])
    );
    let late = share(&app, &ann, "code", "summary", "Too late").await;
    move_clock(&app, late["id"].as_str().unwrap(), "redeem_by");
    assert_problem(
        redeem(&app, &cleo, late["code"].as_str().unwrap()).await,
        404,
    )
    .await;
    let shares = app.get_json("/v1/shares", &ann.access).await;
    let statuses: Vec<&str> = shares["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["expired", "active", "expired"], "newest first");
}

/// Sets a grant's `expires_at` or `redeem_by` a minute into the past.
fn move_clock(app: &TestApp, share_id: &str, column: &str) {
    use pain_journal::db::schema::share_grants;
    let past = chrono::Utc::now().naive_utc() - chrono::Duration::minutes(1);
    let target = share_grants::table.filter(share_grants::id.eq(share_id));
    let updated = match column {
        "expires_at" => diesel::update(target)
            .set(share_grants::expires_at.eq(past))
            .execute(&mut *app.db()),
        _ => diesel::update(target)
            .set(share_grants::redeem_by.eq(Some(past)))
            .execute(&mut *app.db()),
    };
    assert_eq!(updated.unwrap(), 1);
}

async fn a_link_opens_a_plain_page_until_it_is_revoked_or_expires(app: TestApp) {
    let (_, ann) = patient(&app, "ann@example.com", "Ann <Example>").await;
    let created = share(&app, &ann, "link", "summary", "For my GP").await;
    let path = created["path"].as_str().unwrap().to_owned();
    assert!(path.starts_with("/s/") && path.len() == 3 + 43, "{path}");
    assert_eq!(
        created["url"].as_str().unwrap(),
        format!("{}{path}", app.url("").trim_end_matches('/'))
    );
    assert!(created.get("code").is_none());

    let response = app.client.get(app.url(&path)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("script-src"),
        "{csp}"
    );
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers["x-robots-tag"], "noindex, nofollow");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let page = response.text().await.unwrap();
    // Escaped: the name's angle brackets are text, the therapist's "<b>" too.
    assert!(
        page.contains("Ann &#60;Example&#62;") || page.contains("Ann &lt;Example&gt;"),
        "{page}"
    );
    assert!(!page.contains("<Example>") && !page.contains("<b>"));
    assert!(!page.contains("<script"));
    assert!(page.contains("<svg"), "the chart is inline");
    assert!(page.contains("Oxycodone 5"), "the medication list");
    let pdf_link = format!("{path}/report.pdf");
    assert!(page.contains(&pdf_link));
    let pdf = app.client.get(app.url(&pdf_link)).send().await.unwrap();
    assert_eq!(pdf.status(), 200);
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF-"));
    let css = app
        .client
        .get(app.url("/assets/share.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(css.status(), 200);
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");

    let log = access_log(&app, &ann).await;
    assert_eq!(whats(&log), ["page", "report_pdf"]);
    assert!(log
        .iter()
        .all(|e| e["via"] == "link" && e["viewer"] == "Link \u{201c}For my GP\u{201d}"));

    // A made-up token, then the revoked link: a plain page, 404, nothing logged.
    let unknown = format!("/s/{}", "A".repeat(43));
    let id = created["id"].as_str().unwrap();
    assert_eq!(
        app.delete_auth(&format!("/v1/shares/{id}"), &ann.access)
            .await
            .status(),
        204
    );
    for gone in [
        unknown.as_str(),
        path.as_str(),
        pdf_link.as_str(),
        "/s/short",
    ] {
        let response = app.client.get(app.url(gone)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{gone}");
        assert_eq!(
            response.headers()["content-type"],
            "text/html; charset=utf-8"
        );
        assert!(response
            .text()
            .await
            .unwrap()
            .contains("This share is not available"));
    }
    assert_eq!(access_log(&app, &ann).await.len(), 2);

    // Expiry: a second link whose time has run out (the clock is moved in the database).
    let second = share(&app, &ann, "link", "therapist", "Next therapist").await;
    let second_path = second["path"].as_str().unwrap().to_owned();
    let page = app.client.get(app.url(&second_path)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("Massage sessions"), "{page}");
    assert!(
        page.contains("@Jo &#60;b&#62;") || page.contains("@Jo &lt;b&gt;"),
        "{page}"
    );
    assert!(
        !page.contains("Oxycodone"),
        "no medications for a therapist"
    );
    move_clock(&app, second["id"].as_str().unwrap(), "expires_at");
    let expired = app.client.get(app.url(&second_path)).send().await.unwrap();
    assert_eq!(expired.status(), 404);
    let shares = app.get_json("/v1/shares", &ann.access).await;
    assert_eq!(shares["items"][0]["status"], "expired");
    assert_eq!(shares["items"][1]["status"], "revoked");
}

async fn wrong_codes_are_throttled_per_clinician_and_address(app: TestApp) {
    let (_, ann) = patient(&app, "ann@example.com", "Ann").await;
    let (_, cleo) = clinician(&app, "cleo@clinic.example", "Dr. Cleo").await;
    let (_, carl) = clinician(&app, "carl@clinic.example", "Dr. Carl").await;
    let code = share(&app, &ann, "code", "summary", "Dr. Cleo").await["code"]
        .as_str()
        .unwrap()
        .to_owned();
    for wrong in [
        "AAAA-AAAA-AAAA",
        "not a code",
        "BBBB-BBBB-BBBB",
        "CCCC-CCCC-CCCC",
        "DDDD-DDDD-DDDD",
    ] {
        assert_problem(redeem(&app, &cleo, wrong).await, 404).await;
    }
    // The sixth try is refused before it is looked at, even with the right code.
    let refused = redeem(&app, &cleo, &code).await;
    let retry: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=15 * 60).contains(&retry), "{retry}");
    assert_problem(refused, 429).await;
    // Another clinician from the same address is held back too (the address counted five).
    assert_problem(redeem(&app, &carl, &code).await, 429).await;
    // Counted in the database (so every server sees it), and the code was not used up.
    {
        use pain_journal::db::schema::redeem_throttle;
        let counts: Vec<(String, i32)> = redeem_throttle::table
            .select((redeem_throttle::subject, redeem_throttle::failures))
            .order(redeem_throttle::subject)
            .load(&mut *app.db())
            .unwrap();
        assert_eq!(counts.len(), 2, "{counts:?}");
        assert!(counts[0].0.starts_with("address:") && counts[0].1 == 5);
        assert!(counts[1].0.starts_with("clinician:") && counts[1].1 == 5);
    }
    assert_eq!(
        app.get_json("/v1/shares", &ann.access).await["items"][0]["status"],
        "waiting"
    );
}

async fn the_access_log_is_the_patients_paged_and_read_only(app: TestApp) {
    let (_, ann) = patient(&app, "ann@example.com", "Ann").await;
    let (_, bob) = app.user("bob@example.com").await;
    // A whole number may come as 2.0 (JSON Schema counts it as an integer); out of range is 422.
    let short = app
        .post_expect(
            "/v1/shares",
            &ann.access,
            &json!({"kind": "link", "scope": "therapist", "label": "Tess", "expires_in_days": 2.0}),
            201,
        )
        .await;
    let made = chrono::DateTime::parse_from_rfc3339(short["created_at"].as_str().unwrap()).unwrap();
    let ends = chrono::DateTime::parse_from_rfc3339(short["expires_at"].as_str().unwrap()).unwrap();
    assert_eq!(ends - made, chrono::Duration::days(2));
    for (field, value) in [
        ("expires_in_days", json!(366)),
        ("expires_in_days", json!(0)),
        ("scope", json!("all")),
        ("label", json!(" ")),
    ] {
        let mut body = json!({"kind": "code", "scope": "summary", "label": "x"});
        body[field] = value;
        let problem =
            assert_problem(app.post_auth("/v1/shares", &ann.access, &body).await, 422).await;
        assert_eq!(problem["errors"][0]["field"], field);
    }
    let id = short["id"].as_str().unwrap();
    assert_eq!(
        app.delete_auth(&format!("/v1/shares/{id}"), &ann.access)
            .await
            .status(),
        204
    );
    let link = share(&app, &ann, "link", "therapist", "Tess").await;
    let path = link["path"].as_str().unwrap();
    for _ in 0..3 {
        let page = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(page.status(), 200);
    }
    let first = app.get_json("/v1/me/access-log?limit=2", &ann.access).await;
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = app
        .get_json(
            &format!("/v1/me/access-log?limit=2&cursor={cursor}"),
            &ann.access,
        )
        .await;
    assert_eq!(second["items"].as_array().unwrap().len(), 1);
    assert!(second["next_cursor"].is_null());
    let all: Vec<&Value> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["items"].as_array().unwrap())
        .collect();
    assert!(
        all.windows(2)
            .all(|w| w[0]["at"].as_str() >= w[1]["at"].as_str()),
        "newest first"
    );
    // Nobody edits or deletes it, and it is nobody else's.
    for method in [
        reqwest::Method::DELETE,
        reqwest::Method::PATCH,
        reqwest::Method::POST,
    ] {
        let response = app
            .client
            .request(method, app.url("/v1/me/access-log"))
            .bearer_auth(&ann.access)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 405);
    }
    assert_eq!(access_log(&app, &ann).await.len(), 3);
    assert_eq!(access_log(&app, &bob).await, Vec::<Value>::new());
    assert_problem(
        app.get_auth("/v1/me/access-log?limit=0", &ann.access).await,
        400,
    )
    .await;
    assert_problem(
        app.get_auth("/v1/me/access-log?cursor=x", &ann.access)
            .await,
        400,
    )
    .await;
}
