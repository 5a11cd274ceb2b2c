//! Handing memory that start-up freed back to the system.
//!
//! Replaying `_schemas` allocates far more than the state it builds keeps:
//! the fetched batches, the decoded records, the maps' old tables as they
//! double. glibc's malloc keeps what was freed inside its arenas (one per
//! thread that allocated, the Kafka reader's threads included) and returns
//! only the free space at the very top of each, so without this the process
//! stays resident at its start-up peak: with 10,000 schemas, about 2 MB of
//! free pages in the `registry_load` bench. `malloc_trim(0)` releases the
//! free pages of every arena (`madvise(MADV_DONTNEED)`); live allocations
//! stay where they are.

/// Returns the pages the allocator holds free to the system, once, after a
/// burst of allocation such as a replay. Where the allocator is not glibc's
/// (musl, macOS, Windows) there is no such call and nothing is done.
/// Returns whether anything was released.
pub(crate) fn release_free_memory() -> bool {
    trim()
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn trim() -> bool {
    // SAFETY: `malloc_trim` takes no pointers and has no precondition; glibc
    // locks each arena while it trims, so it is safe beside other threads
    // that allocate.
    unsafe { libc::malloc_trim(0) == 1 }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim() -> bool {
    false
}
