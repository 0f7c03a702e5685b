//! The share page in a real browser: headless Chromium driven through WebDriver
//! (chromedriver + fantoccini), on both engines, at a phone width and a desktop width.
//!
//! Checks what a person sees: the patient's name and the verdict sentence as visible text,
//! the chart drawn with a real size, no horizontal scrolling on a phone, no script on the
//! page and none run, no request leaving the page's origin. Screenshots go to
//! `target/screenshots/`; `docs/share-page-*.png` are copies of them.
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them); without them
//! the test fails unless `PJ_ALLOW_SKIP=1`.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use chrono::Utc;
use fantoccini::{Client, ClientBuilder, Locator};
use pain_journal::insight::simulate::{Booking, Scenario};
use serde_json::{json, Value};

use crate::both_engines;
use crate::helpers::{skips_allowed, Engine, TestApp};
use crate::insight::push_journal_from;

both_engines!(the_share_page_reads_well_in_a_real_browser);

/// chromedriver on a free port, killed when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_driver() -> Option<Driver> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let spawned = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    match spawned {
        Ok(child) => Some(Driver { child, port }),
        Err(e) if skips_allowed() => {
            eprintln!("SKIPPED: chromedriver is not installed ({e}); apt-get install chromium chromium-driver");
            None
        }
        Err(e) => panic!("chromedriver is needed (apt-get install chromium chromium-driver): {e}"),
    }
}

async fn connect(driver: &Driver) -> Client {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({"args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                        "--hide-scrollbars", "--force-device-scale-factor=1"]}),
    );
    let url = format!("http://127.0.0.1:{}", driver.port);
    for _ in 0..100 {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(capabilities.clone())
            .connect(&url)
            .await
        {
            Ok(client) => return client,
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    panic!("chromedriver did not answer on {url}");
}

fn save(name: &str, png: &[u8]) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), png).unwrap();
}

async fn the_share_page_reads_well_in_a_real_browser(app: TestApp) {
    let Some(driver) = start_driver() else {
        return;
    };
    // Half a year of journal up to today, sessions fortnightly, relief after each.
    let (_, ann) = app.user("ann@example.com").await;
    let response = app
        .patch_auth(
            "/v1/me",
            &ann.access,
            &json!({"display_name": "Ann Example"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let today = Utc::now()
        .with_timezone(&chrono_tz::Europe::Berlin)
        .date_naive();
    let scenario = Scenario {
        weeks: 26,
        effect: -0.5,
        booking: Booking::Fortnightly,
        seed: 11,
    };
    let start = today - chrono::Duration::weeks(26) + chrono::Duration::days(1);
    push_journal_from(&app, &ann, scenario, start, true, true).await;
    let period = format!("?from={}&to={today}", today - chrono::Duration::days(89));
    let insight = app
        .get_json(&format!("/v1/insights/massage-effect{period}"), &ann.access)
        .await;
    let sentence = insight["summary"].as_str().unwrap().to_owned();
    let created = app
        .post_expect(
            "/v1/shares",
            &ann.access,
            &json!({"kind": "link", "scope": "summary", "label": "For my GP"}),
            201,
        )
        .await;
    let url = created["url"].as_str().unwrap().to_owned();

    let browser = connect(&driver).await;
    let engine = match app.engine {
        Engine::Sqlite => "sqlite",
        Engine::Postgres => "postgres",
    };
    for (label, width, height) in [("phone", 390, 2600), ("desktop", 1280, 1900)] {
        browser.set_window_size(width, height).await.unwrap();
        browser.goto(&url).await.unwrap();
        let body = browser.find(Locator::Css("body")).await.unwrap();
        let text = body.text().await.unwrap();
        assert!(text.contains("Ann Example"), "{label}: {text}");
        let summary = browser
            .find(Locator::Id("summary"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(
            summary, sentence,
            "{label}: the verdict sentence as the API says it"
        );
        assert!(
            text.contains("Weekly averages") && text.contains("Oxycodone 5"),
            "{label}"
        );
        // The chart is drawn, with a real size, inside the page's width.
        let chart = browser.find(Locator::Css("figure svg")).await.unwrap();
        let (_, _, chart_width, chart_height) = chart.rectangle().await.unwrap();
        assert!(
            chart_width > 300.0 && chart_height > 100.0,
            "{label}: {chart_width}×{chart_height}"
        );
        let layout = browser
            .execute(
                "return [document.documentElement.scrollWidth, window.innerWidth,
                         document.scripts.length,
                         performance.getEntriesByType('resource').map(e => e.name),
                         location.origin];",
                vec![],
            )
            .await
            .unwrap();
        let (scroll_width, inner_width) =
            (layout[0].as_f64().unwrap(), layout[1].as_f64().unwrap());
        assert!(
            chart_width <= inner_width,
            "{label}: chart {chart_width} > {inner_width}"
        );
        assert!(
            scroll_width <= inner_width,
            "{label}: the page scrolls sideways ({scroll_width} > {inner_width})"
        );
        // No script on the page (so none ran), and nothing loaded from elsewhere.
        assert_eq!(layout[2], 0, "{label}: scripts on the page");
        let origin = layout[4].as_str().unwrap();
        let loaded: Vec<&Value> = layout[3].as_array().unwrap().iter().collect();
        assert!(!loaded.is_empty(), "{label}: the stylesheet loads");
        for resource in loaded {
            assert!(
                resource.as_str().unwrap().starts_with(origin),
                "{label}: {resource} left {origin}"
            );
        }
        let png = browser.screenshot().await.unwrap();
        assert!(png.starts_with(b"\x89PNG"));
        save(&format!("share-page-{label}-{engine}.png"), &png);
    }
    browser.close().await.unwrap();

    // Both looks were logged.
    let log = app.get_json("/v1/me/access-log", &ann.access).await;
    assert_eq!(log["items"].as_array().unwrap().len(), 2);
    drop(driver);
}
