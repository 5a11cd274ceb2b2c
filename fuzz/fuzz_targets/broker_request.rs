//! A request frame from an untrusted client: decoded or refused, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = herald_broker::codec::decode_request(bytes::Bytes::copy_from_slice(data));
});
