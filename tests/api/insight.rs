//! The insight over HTTP on both engines: empty and one-sided journals, a synthetic journal
//! with a known effect, local days, bad parameters, ownership.

use chrono::{Datelike, NaiveDate};
use pain_journal::insight::family::{self, Case};
use pain_journal::insight::series::Journal;
use pain_journal::insight::simulate::{generate, Booking, Scenario};
use serde_json::{json, Value};

use crate::both_engines;
use crate::helpers::{assert_problem, TestApp, Tokens};
use crate::sync::push;

both_engines!(
    an_empty_journal_is_not_enough_data,
    one_sided_journals_say_what_is_missing,
    a_journal_with_a_real_effect_is_read_as_lower,
    days_and_weeks_are_the_users_local_ones,
    bad_parameters_are_400_and_data_stays_private,
    an_entry_decades_back_does_not_make_the_insight_walk_decades,
    a_fixed_opioid_regimen_hears_there_is_nothing_to_find,
    a_standing_appointment_is_named_beside_no_clear_difference,
    no_clear_difference_says_how_often_a_drop_of_a_third_shows,
);

/// Half a year of massages in random weeks and no effect: "no clear difference", and the
/// sentence says what that is worth here, how often records like these show a real drop of
/// a third over 3 days (about half the time at half a year), so it is not read as "massage
/// does not help".
async fn no_clear_difference_says_how_often_a_drop_of_a_third_shows(app: TestApp) {
    let (_, tokens) = app.user("ann@example.com").await;
    let case = Case::null(26, family::Booking::RandomWeeks);
    let start = NaiveDate::from_ymd_opt(2025, 2, 3).unwrap();
    push_generated(
        &app,
        &tokens,
        &family::generate(&case, 1, start),
        true,
        true,
    )
    .await;
    let report = insight(&app, &tokens.access, "").await;
    assert_eq!(
        report["verdict"], "no_clear_difference",
        "{}",
        report["summary"]
    );
    let chance = report["painkiller_doses"]["days_after_massage"]["chance_to_find_a_third_fewer"]
        .as_f64()
        .unwrap_or_else(|| panic!("{}", report["painkiller_doses"]["days_after_massage"]));
    assert!((20.0..=90.0).contains(&chance), "{chance}");
    // Pain is not what the chance is about.
    assert_eq!(
        report["pain"]["days_after_massage"]["chance_to_find_a_third_fewer"],
        Value::Null
    );
    let summary = report["summary"].as_str().unwrap();
    assert!(
        summary.contains(&format!(
            " Had your painkiller doses fallen by a third on the 3 days after each massage, \
             records like yours would show it about {} times in 10",
            (chance / 10.0).round()
        )),
        "{summary}"
    );
}

/// Half a year of massages every Saturday (a week skipped now and then) and fewer pills at
/// the weekend whatever the pain, no effect of massage: the answer is "no clear difference",
/// and it says why such a journal can tell so little (the days after a massage are always
/// the same weekdays), so it is not read as "massage does nothing".
async fn a_standing_appointment_is_named_beside_no_clear_difference(app: TestApp) {
    let (_, tokens) = app.user("ann@example.com").await;
    let case = Case {
        weekend_habit: true,
        ..Case::null(26, family::Booking::Saturdays)
    };
    let start = NaiveDate::from_ymd_opt(2025, 2, 3).unwrap();
    push_generated(
        &app,
        &tokens,
        &family::generate(&case, 2, start),
        true,
        true,
    )
    .await;
    let report = insight(&app, &tokens.access, "").await;
    assert_eq!(report["verdict"], "no_clear_difference", "{report}");
    let scan = &report["painkiller_doses"]["days_after_massage"];
    assert_eq!(scan["usual_weekday"], "saturday", "{scan}");
    // Its weekly rhythm would make the chance of finding a drop promise too much.
    assert_eq!(scan["chance_to_find_a_third_fewer"], Value::Null, "{scan}");
    let summary = report["summary"].as_str().unwrap();
    assert!(!summary.contains("Had your"), "{summary}");
    assert!(
        summary.contains(
            "Your massages were nearly all on a Saturday, so the days after them always fall on \
             the same days of the week"
        ),
        "{summary}"
    );
}

/// Twelve weeks of the same two oxycodone 5 mg tablets a day (7.5 MME each, computed by the
/// server), pain that varies, a massage every Wednesday: a fixed regimen is an answer ("the
/// same every day"), not "not enough data yet, log every day", which this person did.
async fn a_fixed_opioid_regimen_hears_there_is_nothing_to_find(app: TestApp) {
    let (_, tokens) = app.user("ann@example.com").await;
    let start = NaiveDate::from_ymd_opt(2025, 2, 3).unwrap();
    let days: Vec<NaiveDate> = (0..84).map(|d| start + chrono::Duration::days(d)).collect();
    let pain: Vec<Value> = days.iter().enumerate().map(|(i, d)| json!({"id": format!("p{d}"), "recorded_at": day_ms(*d, 9), "intensity": 3 + (i * 7 % 5), "regions": "[]", "qualities": "[]", "triggers": "[]"})).collect();
    let intakes: Vec<Value> = days.iter().flat_map(|d| [8, 19].map(|hour| json!({"id": format!("i{d}-{hour}"), "medication_id": "oxy", "taken_at": day_ms(*d, hour), "quantity": 1}))).collect();
    let massages: Vec<Value> = days.iter().filter(|d| d.weekday() == chrono::Weekday::Wed)
        .map(|d| json!({"id": format!("m{d}"), "started_at": day_ms(*d, 17), "duration_min": 60, "kind": "swedish", "regions": "[]"}))
        .collect();
    let changes = json!({
        "medications": {"created": [{"id": "oxy", "name": "Oxycodone 5", "drug_class": "opioid", "opioid": "oxycodone", "strength": 5, "strength_unit": "mg", "form": "tablet", "active": true}]},
        "pain_entries": {"created": pain},
        "medication_intakes": {"created": intakes},
        "massage_sessions": {"created": massages},
    });
    assert_eq!(push(&app, &tokens.access, 0, changes).await.status(), 200);
    let report = insight(&app, &tokens.access, "").await;
    assert_eq!(report["verdict"], "no_clear_difference", "{report}");
    let summary = report["summary"].as_str().unwrap();
    assert!(
        summary.starts_with(
            "You took the same number of painkiller doses (2 a day) on every day you logged"
        ),
        "{summary}"
    );
    assert_eq!(report["opioid_verdict"], "no_clear_difference", "{report}");
    let opioid = report["opioid_summary"].as_str().unwrap();
    assert!(
        opioid.starts_with("You took the same opioid dose (15 MME a day) on every day you logged, with or without a massage"),
        "{opioid}"
    );
    assert!(!opioid.contains("Not enough data"), "{opioid}");
}

/// One entry from 1950 and one from today: the series covers the last five years only (a
/// request over 76 years of days took 11 s; found by schemathesis).
async fn an_entry_decades_back_does_not_make_the_insight_walk_decades(app: TestApp) {
    let (_, tokens) = app.user("ann@example.com").await;
    for (id, at) in [
        ("old", "1950-01-02T08:00:00Z"),
        ("new", "2026-11-20T08:00:00Z"),
    ] {
        app.post_expect(
            "/v1/pain-entries",
            &tokens.access,
            &json!({"id": id, "recorded_at": at, "intensity": 5}),
            201,
        )
        .await;
    }
    let report = insight(&app, &tokens.access, "").await;
    let days = report["daily"].as_array().unwrap();
    assert_eq!(days.len(), 5 * 365 + 2);
    assert_eq!(days.last().unwrap()["date"], "2026-11-20");
    assert_eq!(report["verdict"], "not_enough_data");
}

async fn insight(app: &TestApp, token: &str, query: &str) -> Value {
    app.get_json(&format!("/v1/insights/massage-effect{query}"), token)
        .await
}

fn day_ms(date: NaiveDate, hour: u32) -> i64 {
    date.and_hms_opt(hour, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp_millis()
}

/// Pushes a synthetic journal of `weeks` weeks (starting 2025-02-03) through sync.
async fn push_journal(
    app: &TestApp,
    tokens: &Tokens,
    scenario: Scenario,
    with_pills: bool,
    with_massages: bool,
) {
    let start = NaiveDate::from_ymd_opt(2025, 2, 3).unwrap();
    push_journal_from(app, tokens, scenario, start, with_pills, with_massages).await;
}

/// The same from `start`.
pub(crate) async fn push_journal_from(
    app: &TestApp,
    tokens: &Tokens,
    scenario: Scenario,
    start: NaiveDate,
    with_pills: bool,
    with_massages: bool,
) {
    push_generated(
        app,
        tokens,
        &generate(&scenario, start),
        with_pills,
        with_massages,
    )
    .await;
}

/// Pushes a generated journal through sync, as a phone would.
async fn push_generated(
    app: &TestApp,
    tokens: &Tokens,
    journal: &Journal,
    with_pills: bool,
    with_massages: bool,
) {
    let meds = json!([{"id": "ibu", "name": "Ibuprofen 400", "drug_class": "nsaid", "strength": 400, "strength_unit": "mg", "form": "tablet", "active": true},
                      {"id": "oxy", "name": "Oxycodone 5", "drug_class": "opioid", "opioid": "oxycodone", "strength": 5, "strength_unit": "mg", "form": "tablet", "active": true}]);
    let pain: Vec<Value> = journal.pain.iter().map(|p| json!({"id": format!("p{}", p.date), "recorded_at": day_ms(p.date, 9), "intensity": p.intensity, "regions": "[]", "qualities": "[]", "triggers": "[]"})).collect();
    let intakes: Vec<Value> = journal.doses.iter().enumerate().filter(|_| with_pills)
        .map(|(i, d)| json!({"id": format!("i{i}"), "medication_id": if d.drug_class == "opioid" { "oxy" } else { "ibu" }, "taken_at": day_ms(d.date, 10), "quantity": 1}))
        .collect();
    let massages: Vec<Value> = journal.massages.iter().filter(|_| with_massages)
        .map(|m| json!({"id": format!("m{m}"), "started_at": day_ms(*m, 17), "duration_min": 60, "kind": "swedish", "regions": "[]"}))
        .collect();
    let changes = json!({
        "medications": {"created": meds},
        "pain_entries": {"created": pain},
        "medication_intakes": {"created": intakes},
        "massage_sessions": {"created": massages},
    });
    let response = push(app, &tokens.access, 0, changes).await;
    assert_eq!(response.status(), 200);
}

async fn an_empty_journal_is_not_enough_data(app: TestApp) {
    let (_, tokens) = app.user("ann@example.com").await;
    let report = insight(&app, &tokens.access, "").await;
    assert_eq!(report["verdict"], "not_enough_data");
    assert!(
        report["summary"]
            .as_str()
            .unwrap()
            .contains("3 more weeks with a massage"),
        "{}",
        report["summary"]
    );
    assert!(report["daily"].as_array().unwrap().is_empty());
    let weekly = app.get_json("/v1/insights/weekly", &tokens.access).await;
    assert!(weekly["weeks"].as_array().unwrap().is_empty());
}

async fn one_sided_journals_say_what_is_missing(app: TestApp) {
    let scenario = Scenario {
        weeks: 12,
        effect: -0.33,
        booking: Booking::Fortnightly,
        seed: 3,
    };
    // Only pills and pain: no massage at all.
    let (_, pills) = app.user("pills@example.com").await;
    push_journal(&app, &pills, scenario, true, false).await;
    let report = insight(&app, &pills.access, "").await;
    assert_eq!(report["verdict"], "not_enough_data");
    assert!(
        report["summary"]
            .as_str()
            .unwrap()
            .contains("3 more weeks with a massage"),
        "{}",
        report["summary"]
    );
    assert_eq!(
        report["painkiller_doses"]["weeks"]["weeks_without_massage"],
        12
    );
    assert!(report["painkiller_doses"]["trend"]["slope_per_week"].is_number());
    // Only massages and pain: no painkillers logged.
    let (_, massages) = app.user("massages@example.com").await;
    push_journal(&app, &massages, scenario, false, true).await;
    let report = insight(&app, &massages.access, "").await;
    assert_eq!(report["verdict"], "not_enough_data");
    assert!(report["painkiller_doses"]["weeks"]["change_percent"].is_null());
    assert_eq!(report["weekly"].as_array().unwrap().len(), 12);
    // The pain view still works for them.
    assert!(report["pain"]["weeks"]["mean_with_massage"].is_number());
}

async fn a_journal_with_a_real_effect_is_read_as_lower(app: TestApp) {
    let (_, tokens) = app.user("ann@example.com").await;
    let scenario = Scenario {
        weeks: 26,
        effect: -0.5,
        booking: Booking::Fortnightly,
        seed: 11,
    };
    push_journal(&app, &tokens, scenario, true, true).await;
    let report = insight(&app, &tokens.access, "").await;
    assert_eq!(
        report["verdict"], "lower_with_massage",
        "{}",
        report["summary"]
    );
    let summary = report["summary"].as_str().unwrap();
    assert!(
        summary.contains("fewer painkiller doses") && summary.contains("likely between"),
        "{summary}"
    );
    // The verdict rests on the search for the days that differ, calibrated for trying 30
    // windows, one-sided (4% for lower, 1% for higher); the relief in this journal is on the
    // 7 days after a session.
    let scan = &report["painkiller_doses"]["days_after_massage"];
    assert!(scan["p_lower"].as_f64().unwrap() <= 0.04, "{scan}");
    assert!(scan["p_higher"].as_f64().unwrap() > 0.01, "{scan}");
    assert!(scan["change_percent"].as_f64().unwrap() < 0.0, "{scan}");
    assert!(scan["window_first_day"].as_u64().unwrap() <= 2, "{scan}");
    assert_eq!(scan["profile"].as_array().unwrap().len(), 11);
    // Sessions on a different day each time: no standing appointment to mention.
    assert_eq!(scan["usual_weekday"], Value::Null, "{scan}");
    // Pain itself is searched the same way, at the same point in time, 2.5% each way: the
    // sentence's words on pain rest on it.
    let pain = &report["pain"]["days_after_massage"];
    assert_eq!(pain["alpha_lower"], 0.025, "{pain}");
    assert_eq!(pain["alpha_higher"], 0.025, "{pain}");
    assert_eq!(pain["profile"].as_array().unwrap().len(), 11, "{pain}");
    assert!(
        pain["profile"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["change_percent"].is_number()),
        "{pain}"
    );
    assert_eq!(scan["alpha_lower"], 0.04, "{scan}");
    // A third of the doses are opioids: the MME verdict is given too.
    assert!(report["opioid_verdict"].is_string(), "{report}");
    assert!(report["opioid_summary"]
        .as_str()
        .unwrap()
        .contains("opioid"));
    assert_eq!(report["weekly"].as_array().unwrap().len(), 26);
    assert_eq!(report["daily"].as_array().unwrap().len(), 26 * 7);
    // The same data gives the same answer, and the weekly endpoint the same weeks.
    assert_eq!(insight(&app, &tokens.access, "").await, report);
    let weekly = app.get_json("/v1/insights/weekly", &tokens.access).await;
    assert_eq!(weekly["weeks"], report["weekly"]);
    // A window of days around sessions is a parameter.
    let wider = insight(&app, &tokens.access, "?window_days=5").await;
    assert_eq!(
        wider["painkiller_doses"]["around_sessions"]["window_days"],
        5
    );
    // from/to restrict the days analysed.
    let part = insight(&app, &tokens.access, "?from=2025-02-03&to=2025-03-02").await;
    assert_eq!(part["daily"].as_array().unwrap().len(), 28);
    assert_eq!(part["verdict"], "not_enough_data");
}

async fn days_and_weeks_are_the_users_local_ones(app: TestApp) {
    let (_, tokens) = app.user("ann@example.com").await; // Europe/Berlin
    app.post_expect("/v1/medications", &tokens.access, &json!({"id": "ibu", "name": "Ibuprofen", "drug_class": "nsaid", "strength": 400, "form": "tablet"}), 201).await;
    // Sunday 2026-03-29 00:30 in Berlin is still Saturday 28th in UTC; Monday 00:30 Berlin
    // (22:30 UTC Sunday) starts ISO week 14.
    for (id, at) in [("a", "2026-03-28T23:30:00Z"), ("b", "2026-03-29T22:30:00Z")] {
        app.post_expect(
            "/v1/medication-intakes",
            &tokens.access,
            &json!({"id": id, "medication_id": "ibu", "taken_at": at, "quantity": 1}),
            201,
        )
        .await;
    }
    let report = insight(&app, &tokens.access, "").await;
    let days: Vec<(String, f64)> = report["daily"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["date"].as_str().unwrap().to_owned(),
                d["doses"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        days,
        [
            ("2026-03-29".to_owned(), 1.0),
            ("2026-03-30".to_owned(), 1.0)
        ]
    );
    let weeks: Vec<&str> = report["weekly"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["week"].as_str().unwrap())
        .collect();
    assert_eq!(weeks, ["2026-W13", "2026-W14"]);
}

async fn bad_parameters_are_400_and_data_stays_private(app: TestApp) {
    let (_, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    push_journal(
        &app,
        &ann,
        Scenario {
            weeks: 10,
            effect: 0.0,
            booking: Booking::RandomHalfOfWeeks,
            seed: 5,
        },
        true,
        true,
    )
    .await;
    for bad in [
        "?from=yesterday",
        "?to=2026-02-30",
        "?window_days=0",
        "?window_days=99",
        "?window_days=x",
        "?other=1",
    ] {
        assert_problem(
            app.get_auth(&format!("/v1/insights/massage-effect{bad}"), &ann.access)
                .await,
            400,
        )
        .await;
    }
    assert_problem(
        app.get_auth("/v1/insights/weekly?window_days=3", &ann.access)
            .await,
        400,
    )
    .await;
    // `from` after `to` is an empty range: no days, so not enough data.
    let reversed = app
        .get_json(
            "/v1/insights/massage-effect?from=2026-03-01&to=2026-02-01",
            &ann.access,
        )
        .await;
    assert_eq!(reversed["verdict"], "not_enough_data", "{reversed}");
    assert_eq!(reversed["daily"], json!([]));
    assert_problem(
        app.client
            .get(app.url("/v1/insights/massage-effect"))
            .send()
            .await
            .unwrap(),
        401,
    )
    .await;
    let bobs = insight(&app, &bob.access, "").await;
    assert!(
        bobs["daily"].as_array().unwrap().is_empty(),
        "another user's journal leaked into the insight"
    );
}
