//! The WatermelonDB client scenarios (`tests/watermelon/`, Node) against the real server on a
//! fresh database of each engine. Their npm packages are installed on first use
//! (`npm ci`); where Node or the registry is missing they fail, unless `PJ_ALLOW_SKIP=1`
//! (never in CI) turns that into a skip with a note.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::both_engines;
use crate::helpers::TestApp;

both_engines!(watermelondb_client_scenarios);

fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/watermelon")
}

/// Installs the locked packages once per test run; answers why not, if they cannot be had.
fn installed() -> Result<(), String> {
    static INSTALL: OnceLock<Result<(), String>> = OnceLock::new();
    INSTALL
        .get_or_init(|| {
            let dir = scenarios_dir();
            if dir.join("node_modules/@nozbe/watermelondb").exists() {
                return Ok(());
            }
            let status = std::process::Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--silent"])
                .current_dir(&dir)
                .status()
                .map_err(|e| format!("npm is not available: {e}"))?;
            status
                .success()
                .then_some(())
                .ok_or_else(|| "`npm ci` in tests/watermelon failed".to_owned())
        })
        .clone()
}

async fn watermelondb_client_scenarios(app: TestApp) {
    if let Err(why) = installed() {
        assert!(
            crate::helpers::skips_allowed(),
            "WatermelonDB scenarios cannot run: {why} (PJ_ALLOW_SKIP=1 skips them)"
        );
        eprintln!("note: PJ_ALLOW_SKIP=1: WatermelonDB scenarios skipped: {why}");
        return;
    }
    let output = tokio::process::Command::new("node")
        .args(["--test", "--test-concurrency=1", "sync.test.js"])
        .current_dir(scenarios_dir())
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
