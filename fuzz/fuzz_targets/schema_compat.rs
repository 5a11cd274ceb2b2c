//! Two schemas of either format, checked at every level: findings or none,
//! never a panic or a hang; every schema is compatible with itself.
#![no_main]

use herald_schema::{
    CheckOptions, CompatibilityLevel, JsonCompatibilityPolicy, NoReferences, Previous, Schema,
    SchemaType, check, is_compatible,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Some((a, b)) = text.split_once('\u{0}') else {
        return;
    };
    for ty in [SchemaType::Avro, SchemaType::Json] {
        let (Ok(old), Ok(new)) = (
            Schema::parse(ty, a, &[], &NoReferences),
            Schema::parse(ty, b, &[], &NoReferences),
        ) else {
            continue;
        };
        for policy in [JsonCompatibilityPolicy::Strict, JsonCompatibilityPolicy::Lenient] {
            let options = CheckOptions::with_json_policy(policy);
            for level in CompatibilityLevel::ALL {
                let _ = check(level, &new, &[Previous { version: 1, schema: &old }], &options);
                let own = check(level, &new, &[Previous { version: 1, schema: &new }], &options);
                assert!(is_compatible(&own), "a schema must be compatible with itself");
            }
        }
    }
});
