//! A request frame from an untrusted client: decoded or refused, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

/// The broker's default request-size limit, which it passes as the budget.
const MAX_DECODED: usize = 100 << 20;

fuzz_target!(|data: &[u8]| {
    let _ = herald_broker::codec::decode_request(bytes::Bytes::copy_from_slice(data), MAX_DECODED);
});
