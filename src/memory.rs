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

/// How often [`give_back_periodically`] trims.
pub const TRIM_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// Trims the allocator every [`TRIM_EVERY`] on a thread of its own, for the server's life.
/// Requests free what they allocated, but glibc keeps those small blocks in the arena of the
/// thread that used them (one per blocking thread, up to 16 here): after a load test the idle
/// server stayed 20–30 MiB above what it uses. A trim of arenas with nothing to give back takes
/// microseconds.
pub fn give_back_periodically() {
    let spawned = std::thread::Builder::new()
        .name("memory-trim".into())
        .spawn(|| loop {
            std::thread::sleep(TRIM_EVERY);
            give_back_freed();
        });
    if let Err(error) = spawned {
        tracing::warn!(%error, "cannot start the memory trim thread; memory is trimmed only after full pulls");
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
