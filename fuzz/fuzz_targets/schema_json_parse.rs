//! Any text handed to the JSON Schema parser: an error or a schema, never a panic;
//! and a schema's canonical text parses back to itself.
#![no_main]

use herald_schema::{NoReferences, Schema, SchemaType};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(schema) = Schema::parse(SchemaType::Json, text, &[], &NoReferences) {
        let again = Schema::parse(SchemaType::Json, schema.canonical(), &[], &NoReferences)
            .expect("canonical text must parse");
        assert_eq!(again.canonical(), schema.canonical());
    }
});
