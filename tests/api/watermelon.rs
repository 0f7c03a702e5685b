//! The WatermelonDB client scenarios (`tests/watermelon/`, Node) against the real server on a
//! fresh database of each engine. Needs `npm ci --prefix tests/watermelon` once; without it
//! the scenarios are skipped with a note, except in CI where that fails.

use std::path::Path;

use crate::both_engines;
use crate::helpers::TestApp;

both_engines!(watermelondb_client_scenarios);

async fn watermelondb_client_scenarios(app: TestApp) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/watermelon");
    let in_ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false");
    if !dir.join("node_modules/@nozbe/watermelondb").exists() {
        assert!(
            !in_ci,
            "WatermelonDB is not installed: run `npm ci --prefix tests/watermelon`"
        );
        eprintln!("note: WatermelonDB scenarios skipped; run `npm ci --prefix tests/watermelon`");
        return;
    }
    let output = tokio::process::Command::new("node")
        .args(["--test", "--test-concurrency=1", "sync.test.js"])
        .current_dir(&dir)
        .env("PJ_BASE_URL", &app.address)
        .kill_on_drop(true)
        .output()
        .await
        .expect("node is installed");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "WatermelonDB scenarios failed on {:?}:\n{stdout}\n{stderr}",
        app.engine
    );
    // Every scenario ran (node's runner prints "# pass N").
    assert!(stdout.contains("# pass 7"), "{stdout}");
    assert!(stdout.contains("# fail 0"), "{stdout}");
}
