//! Bytes handed to the log as a producer's record batches, or found on disk:
//! validation and record decoding return errors, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = herald_log::validate_batch(data);
    for batch in herald_log::Batches::new(data) {
        let _ = herald_log::decode_records(batch.bytes());
    }
});
