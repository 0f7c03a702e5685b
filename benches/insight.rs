//! The massage-effect analysis of a five-year journal (~15k rows): the analysis alone, and the
//! whole HTTP request on SQLite, against reading the same rows (`GET /v1/sync`, a first sync)
//! in the same run; and the reports over the same five years (the doctor's PDF, the chart,
//! the CSV). `cargo bench --bench insight`. Targets: the analysis well under 150 ms, the PDF
//! of five years under 150 ms.

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use pain_journal::config::Settings;
use pain_journal::db::DatabaseLocation;
use pain_journal::insight::analysis::{analyse, Params};
use pain_journal::insight::series::{daily, weekly};
use pain_journal::insight::simulate::{generate, Booking, Scenario};
use pain_journal::startup::Application;
use serde_json::{json, Value};

const WEEKS: usize = 5 * 52;

fn median(mut times: Vec<Duration>) -> f64 {
    times.sort();
    times[times.len() / 2].as_secs_f64() * 1000.0
}

fn main() {
    let scenario = Scenario {
        weeks: WEEKS,
        effect: -0.33,
        booking: Booking::OnBadDays,
        seed: 1,
    };
    let start = NaiveDate::from_ymd_opt(2021, 1, 4).unwrap();
    let mut journal = generate(&scenario, start);
    // A busy journal: pain recorded six times a day (every 4 hours), ~15k rows in all.
    journal.pain = journal
        .pain
        .iter()
        .flat_map(|p| std::iter::repeat_n(p.clone(), 6))
        .collect();
    let rows = journal.pain.len() + journal.doses.len() + journal.massages.len();

    let analysis_ms = median(
        (0..15)
            .map(|_| {
                let started = Instant::now();
                let days = daily(&journal, None, None);
                let weeks = weekly(&days);
                std::hint::black_box(analyse(&days, &weeks, &Params::default()));
                started.elapsed()
            })
            .collect(),
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (request_ms, read_ms, pdf_ms, chart_ms, csv_ms) = runtime.block_on(async {
        let dir = std::env::temp_dir().join(format!("pain-journal-insight-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut settings = Settings::from_lookup(|name| match name {
            "JWT_SECRET" => Some("bench-secret-bench-secret-bench-secret-0123".into()),
            "BIND_ADDR" => Some("127.0.0.1:0".into()),
            _ => None,
        })
        .unwrap();
        settings.database = DatabaseLocation::Sqlite(dir.join("bench.db"));
        let app = Application::build(&settings).unwrap();
        let base = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        let client = reqwest::Client::new();
        let credentials = json!({"email": "bench@example.com", "password": "correct horse battery staple", "timezone": "UTC"});
        client.post(format!("{base}/v1/auth/register")).json(&credentials).send().await.unwrap();
        let sign_in = json!({"email": "bench@example.com", "password": "correct horse battery staple"});
        let login: Value = client.post(format!("{base}/v1/auth/login")).json(&sign_in).send().await.unwrap().json().await.unwrap();
        let token = login["access_token"].as_str().unwrap().to_owned();
        let ms = |date: NaiveDate| date.and_hms_opt(9, 0, 0).unwrap().and_utc().timestamp_millis();
        let pain: Vec<Value> = journal.pain.iter().enumerate().map(|(i, p)| json!({"id": format!("p{i}"), "recorded_at": ms(p.date) + (i % 6) as i64 * 4 * 3_600_000 - 8 * 3_600_000, "intensity": p.intensity, "regions": "[]", "qualities": "[]", "triggers": "[]"})).collect();
        let intakes: Vec<Value> = journal.doses.iter().enumerate().map(|(i, d)| json!({"id": format!("i{i}"), "medication_id": if d.drug_class == "opioid" { "oxy" } else { "ibu" }, "taken_at": ms(d.date), "quantity": 1})).collect();
        let massages: Vec<Value> = journal.massages.iter().map(|m| json!({"id": format!("m{m}"), "started_at": ms(*m), "duration_min": 60, "kind": "swedish", "regions": "[]"})).collect();
        let meds = json!([{"id": "ibu", "name": "Ibuprofen", "drug_class": "nsaid", "strength": 400, "strength_unit": "mg", "form": "tablet", "active": true},
                          {"id": "oxy", "name": "Oxycodone", "drug_class": "opioid", "opioid": "oxycodone", "strength": 5, "strength_unit": "mg", "form": "tablet", "active": true}]);
        let mut batches = vec![("medications", meds.as_array().unwrap().clone())];
        batches.extend([("pain_entries", pain), ("medication_intakes", intakes), ("massage_sessions", massages)]);
        for (table, rows) in batches {
            for chunk in rows.chunks(2000) {
                let response = client
                    .post(format!("{base}/v1/sync?last_pulled_at=0"))
                    .bearer_auth(&token)
                    .json(&json!({"changes": {table: {"created": chunk}}}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 200);
            }
        }
        let time = |path: &'static str| {
            let client = client.clone();
            let token = token.clone();
            let base = base.clone();
            async move {
                let mut times = Vec::new();
                for _ in 0..9 {
                    let started = Instant::now();
                    let response = client.get(format!("{base}{path}")).bearer_auth(&token).send().await.unwrap();
                    assert_eq!(response.status(), 200);
                    let _ = response.bytes().await.unwrap();
                    times.push(started.elapsed());
                }
                median(times)
            }
        };
        let request = time("/v1/insights/massage-effect").await;
        let read = time("/v1/sync?last_pulled_at=0").await;
        // The whole five years (the journal runs from 2021-01-04).
        let pdf = time("/v1/reports/doctor.pdf?from=2021-01-04&to=2025-12-31").await;
        let chart = time("/v1/insights/chart.svg?from=2021-01-04&to=2025-12-31").await;
        let csv = time("/v1/reports/journal.csv?table=pain_entries").await;
        let _ = std::fs::remove_dir_all(&dir);
        (request, read, pdf, chart, csv)
    });

    println!("\n## Insight on a five-year journal ({WEEKS} weeks, {rows} rows)");
    println!("| measure | median | baseline: first sync of the same rows | ratio |");
    println!("|---|---|---|---|");
    println!("| analysis alone (series + bootstrap) | {analysis_ms:.1} ms | | |");
    println!("| GET /v1/insights/massage-effect on SQLite | {request_ms:.1} ms | {read_ms:.1} ms | {:.2}× |", request_ms / read_ms);
    println!("| GET /v1/reports/doctor.pdf, all five years (insight + chart + layout) | {pdf_ms:.1} ms | {read_ms:.1} ms | {:.2}× |", pdf_ms / read_ms);
    println!("| GET /v1/insights/chart.svg, all five years | {chart_ms:.1} ms | {read_ms:.1} ms | {:.2}× |", chart_ms / read_ms);
    println!("| GET /v1/reports/journal.csv, all pain entries | {csv_ms:.1} ms | {read_ms:.1} ms | {:.2}× |", csv_ms / read_ms);
}
