//! Herald's end-to-end test package; the tests live in `e2e/`.
