//! How the process gives memory back.
//!
//! Each argon2 hash takes a 19 MiB block from the allocator. glibc serves a block that size
//! with `mmap` and returns it on free, but after the first such free it raises its mmap
//! threshold to the block's size (its "dynamic threshold"), so every later block comes from a
//! thread's heap arena and stays there: after 200 sign-ups on the blocking pool's threads the
//! server held 250–390 MiB it no longer used. Fixing the threshold turns the dynamic rule off:
//! blocks of 1 MiB and more are always mapped for their request and unmapped when freed, so
//! memory follows the hashes in flight (at most `MAX_CONCURRENT_HASHES` × 19 MiB).
//!
//! Reusing argon2's blocks instead (one per permitted hash) would save the page faults of a
//! fresh mapping, but keep 2 × 19 MiB resident forever (the default two permits): more than
//! the whole idle server.

/// Blocks of this size and larger are mapped on their own and returned when freed.
const MMAP_THRESHOLD_BYTES: i32 = 1024 * 1024;

/// Set to `1` to leave glibc's allocator as it is: for an operator who tunes it through
/// `GLIBC_TUNABLES`, and to measure what this setting changes (`benches/memory.sh`).
pub const KEEP_DEFAULTS_VAR: &str = "KEEP_GLIBC_MALLOC_DEFAULTS";

/// Makes large freed blocks go back to the operating system at once (glibc; a no-op
/// elsewhere). Call once at start-up, before threads allocate.
pub fn return_large_blocks() {
    if std::env::var(KEEP_DEFAULTS_VAR).is_ok_and(|v| v == "1") {
        return;
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; M_MMAP_THRESHOLD accepts any value up
    // to 32 MiB on 64-bit glibc, and it is called before other threads exist.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES);
    }
}

/// How often [`give_back_periodically`] looks whether the server has been quiet.
pub const QUIET_CHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// Under traffic that never pauses for a whole [`QUIET_CHECK_EVERY`], a trim still runs this
/// often, so what a burst left behind is given back within a bounded time.
const TRIM_AT_LEAST_EVERY: u32 = 60;

/// Bumped by every piece of database work ([`note_activity`]); the trim thread compares it
/// between its checks.
static ACTIVITY: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Counts one piece of work, so the periodic trim can tell a quiet server from a busy one.
pub fn note_activity() {
    ACTIVITY.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}

/// Trims the allocator on a thread of its own, for the server's life, whenever the server has
/// been quiet for [`QUIET_CHECK_EVERY`]. Requests free what they allocated, but glibc keeps
/// those small blocks in the arena of the thread that used them (one per blocking thread, up
/// to 16 here): after a load test the idle server stayed 20–30 MiB above what it uses. A trim
/// under load is not free, though: it holds each arena's lock while it hands every free page
/// back (`madvise`), and the next requests fault those pages straight back in. Trimming every
/// 30 s whatever the traffic was one suspect for the load benchmark's stalls; the A/B runs
/// did not single it out (`docs/performance.md`), but an idle server loses nothing by waiting.
pub fn give_back_periodically() {
    let spawned = std::thread::Builder::new()
        .name("memory-trim".into())
        .spawn(|| {
            let mut trim = QuietTrim::default();
            loop {
                std::thread::sleep(QUIET_CHECK_EVERY);
                let activity = ACTIVITY.load(std::sync::atomic::Ordering::Relaxed);
                if trim.should_trim(activity) {
                    give_back_freed();
                }
            }
        });
    if let Err(error) = spawned {
        tracing::warn!(%error, "cannot start the memory trim thread; memory is trimmed only after full pulls");
    }
}

/// When to trim, from the activity count seen at each check.
#[derive(Debug, Default)]
struct QuietTrim {
    /// The count at the previous check.
    seen: u64,
    /// Checks since the last trim.
    checks: u32,
}

impl QuietTrim {
    /// At every quiet check, not only the first: memory is also freed while the server is
    /// quiet (the pool closes idle connections 20–50 s after the last request, and an SQLite
    /// connection's page cache is up to 2 MiB), and a trim with nothing to give back takes
    /// microseconds.
    fn should_trim(&mut self, activity: u64) -> bool {
        let quiet = activity == self.seen;
        self.seen = activity;
        self.checks += 1;
        if quiet || self.checks >= TRIM_AT_LEAST_EVERY {
            self.checks = 0;
            true
        } else {
            false
        }
    }
}

/// Gives free memory in every allocator arena back to the system (glibc `malloc_trim`; a no-op
/// elsewhere). A full sync pull frees tens of MB of small blocks, which glibc keeps in the
/// arena of whichever blocking thread built it; without this the server stayed at 0.6–1.6 GiB
/// after a burst of first syncs. Takes a few milliseconds: call it off the async workers.
pub fn give_back_freed() {
    if std::env::var(KEEP_DEFAULTS_VAR).is_ok_and(|v| v == "1") {
        return;
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free pages of the allocator's own arenas; it takes the
    // arenas' locks itself and is safe to call from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_at_every_quiet_check_and_never_while_busy() {
        let mut trim = QuietTrim::default();
        assert!(trim.should_trim(0));
        assert!(!trim.should_trim(500));
        assert!(!trim.should_trim(900));
        // Quiet: every check trims, so what the pool frees later is given back too.
        assert!(trim.should_trim(900));
        assert!(trim.should_trim(900));
        assert!(!trim.should_trim(901));
    }

    #[test]
    fn trims_under_traffic_that_never_pauses_but_not_at_every_check() {
        let mut trim = QuietTrim::default();
        let mut activity = 0;
        let trims: Vec<u32> = (1..=2 * TRIM_AT_LEAST_EVERY)
            .filter(|_| {
                activity += 100;
                trim.should_trim(activity)
            })
            .collect();
        assert_eq!(trims, vec![TRIM_AT_LEAST_EVERY, 2 * TRIM_AT_LEAST_EVERY]);
    }
}
