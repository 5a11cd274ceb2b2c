//! `herald schema …` against `herald serve`, and offline against git:
//! check passes, fails with exit 1 and the expected findings in every
//! format, register is idempotent, bad input is exit 2.

use std::process::Command;

use crate::common::{BREAK_ORDERS, edit, example_schemas, expect, herald, serve, text};

#[test]
fn register_then_check_in_every_format_against_the_registry() {
    let server = serve();
    let (dir, manifest) = example_schemas();
    let m = manifest.to_str().unwrap();

    // Nothing registered: every subject is new, and a dry run changes nothing.
    let out = expect(&mut server.herald(&["schema", "check", "--manifest", m]), 0);
    assert_eq!(out.matches("NEW").count(), 3, "{out}");
    let out = expect(
        &mut server.herald(&["schema", "register", "--manifest", m, "--dry-run"]),
        0,
    );
    assert!(out.contains("would register  orders-value"), "{out}");
    assert_eq!(expect(&mut server.herald(&["schema", "list"]), 0), "");

    // Register publishes the history first, then the current files; twice is a no-op.
    let out = expect(
        &mut server.herald(&["schema", "register", "--manifest", m]),
        0,
    );
    assert!(out.contains("4 registered, 0 unchanged"), "{out}");
    let out = expect(
        &mut server.herald(&["schema", "register", "--manifest", m]),
        0,
    );
    assert!(out.contains("0 registered, 3 unchanged"), "{out}");
    assert_eq!(
        expect(&mut server.herald(&["schema", "list"]), 0),
        "com.acme.common.Money\norders-value\npayments-value\n"
    );
    assert_eq!(
        expect(&mut server.herald(&["schema", "list", "orders-value"]), 0),
        "1\n2\n"
    );
    assert_eq!(
        expect(
            &mut server.herald(&["schema", "config", "get", "orders-value"]),
            0
        ),
        "FULL\n"
    );

    // Unchanged files pass.
    let out = expect(&mut server.herald(&["schema", "check", "--manifest", m]), 0);
    assert!(
        out.contains("ok: 3 subjects, 3 ok, 0 broken, 0 invalid"),
        "{out}"
    );

    // The evolution step reads as a diff.
    let out = expect(&mut server.herald(&["schema", "diff", "orders-value"]), 0);
    assert!(out.contains("+      \"name\": \"coupon_code\""), "{out}");
    assert!(
        out.contains("FORWARD (old readers, new data): compatible"),
        "{out}"
    );

    // Break the order contract: exit 1 in every format, with the finding.
    let orders = dir.path().join("schemas/orders/order-placed.avsc");
    edit(&orders, BREAK_ORDERS.0, BREAK_ORDERS.1);
    let rule = "avro/READER_FIELD_MISSING_DEFAULT_VALUE";
    let human = expect(&mut server.herald(&["schema", "check", "--manifest", m]), 1);
    assert!(human.contains("BROKEN orders-value"), "{human}");
    assert!(
        human.contains(&format!("error[{rule}] at /fields/6")),
        "{human}"
    );
    assert!(
        human.contains("hint: give the new field a default"),
        "{human}"
    );
    assert!(human.contains("order-placed.avsc:91:5"), "{human}");

    let json: serde_json::Value = serde_json::from_str(&expect(
        &mut server.herald(&["schema", "check", "--manifest", m, "--format", "json"]),
        1,
    ))
    .unwrap();
    assert_eq!(json["passed"], false);
    let orders_report = json["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["subject"] == "orders-value")
        .unwrap();
    assert_eq!(orders_report["status"], "incompatible");
    assert_eq!(orders_report["findings"][0]["rule"], rule);
    assert_eq!(orders_report["findings"][0]["line"], 91);

    let junit = expect(
        &mut server.herald(&["schema", "check", "--manifest", m, "--format", "junit"]),
        1,
    );
    assert!(
        junit.contains("failures=\"1\"") && junit.contains(rule),
        "{junit}"
    );

    let github = expect(
        &mut server.herald(&["schema", "check", "--manifest", m, "--format", "github"]),
        1,
    );
    let annotation = github.lines().find(|l| l.starts_with("::error ")).unwrap();
    assert!(
        annotation.contains("orders/order-placed.avsc,line=91,col=5"),
        "{annotation}"
    );
    assert!(annotation.contains(rule), "{annotation}");

    let sarif: serde_json::Value = serde_json::from_str(&expect(
        &mut server.herald(&["schema", "check", "--manifest", m, "--format", "sarif"]),
        1,
    ))
    .unwrap();
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], rule);
    assert_eq!(
        result["locations"][0]["physicalLocation"]["region"]["startLine"],
        91
    );

    // The manifest can ignore the rule for the subject: reported, not failing.
    edit(
        &manifest,
        "compatibility = \"FULL\"\n",
        "compatibility = \"FULL\"\nignore = [\"avro/READER_FIELD_MISSING_DEFAULT_VALUE\"]\n",
    );
    let out = expect(&mut server.herald(&["schema", "check", "--manifest", m]), 0);
    assert!(out.contains(&format!("ignored[{rule}]")), "{out}");

    // A broken JSON Schema contract is found too.
    let payments = dir.path().join("schemas/payments/payment-captured.json");
    edit(
        &payments,
        "\"required\": [\"payment_id\"",
        "\"required\": [\"method\", \"payment_id\"",
    );
    let json: serde_json::Value = serde_json::from_str(&expect(
        &mut server.herald(&[
            "schema",
            "check",
            "--manifest",
            m,
            "--format",
            "json",
            "--subject",
            "payments-value",
        ]),
        1,
    ))
    .unwrap();
    let finding = &json["subjects"][0]["findings"][0];
    assert!(
        finding["rule"].as_str().unwrap().starts_with("json/"),
        "{json:#}"
    );
    assert_eq!(json["subjects"].as_array().unwrap().len(), 1);

    // Registering an incompatible schema is refused by the registry.
    let out = expect(
        &mut server.herald(&[
            "schema",
            "register",
            "--manifest",
            m,
            "--subject",
            "payments-value",
        ]),
        1,
    );
    assert!(out.contains("refused         payments-value"), "{out}");
    assert!(out.contains("1 refused as incompatible"), "{out}");
}

#[test]
fn offline_check_against_a_git_revision() {
    let (dir, manifest) = example_schemas();
    let m = manifest.to_str().unwrap();
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .current_dir(dir.path())
            .args([
                "-c",
                "user.name=Herald Test",
                "-c",
                "user.email=test@herald.invalid",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {}", text(&out.stderr));
    };
    git(&["init", "--quiet", "--initial-branch=main"]);
    git(&["add", "."]);
    git(&["commit", "--quiet", "-m", "contracts"]);

    // Second commit: a compatible change (a new optional field) and a new subject.
    let orders = dir.path().join("schemas/orders/order-placed.avsc");
    edit(
        &orders,
        BREAK_ORDERS.0,
        "    {\"name\": \"note\", \"type\": [\"null\", \"string\"], \"default\": null, \"doc\": \"Free text.\"},\n    {\n      \"name\": \"coupon_code\",",
    );
    std::fs::write(
        dir.path().join("schemas/refund.avsc"),
        r#"{"type":"record","name":"Refund","doc":"d","fields":[]}"#,
    )
    .unwrap();
    edit(
        &manifest,
        "# Payment events",
        "[[subject]]\nname = \"refunds-value\"\nfile = \"refund.avsc\"\n\n# Payment events",
    );
    git(&["commit", "--quiet", "-am", "evolve"]);
    git(&["add", "."]);
    git(&["commit", "--quiet", "-m", "refunds"]);

    let out = expect(
        &mut herald(&[
            "schema",
            "check",
            "--manifest",
            m,
            "--against",
            "git:HEAD~2",
        ]),
        0,
    );
    assert!(
        out.contains("checking against git revision HEAD~2"),
        "{out}"
    );
    assert!(out.contains("NEW    refunds-value"), "{out}");
    assert!(out.contains("OK     orders-value"), "{out}");

    // An uncommitted breaking edit fails against HEAD, with no registry anywhere.
    edit(&orders, BREAK_ORDERS.0, BREAK_ORDERS.1);
    let out = expect(
        &mut herald(&[
            "schema",
            "check",
            "--manifest",
            m,
            "--against",
            "git:HEAD",
            "--format",
            "github",
        ]),
        1,
    );
    assert!(out.contains("::error file="), "{out}");
    assert!(
        out.contains("avro/READER_FIELD_MISSING_DEFAULT_VALUE"),
        "{out}"
    );

    // A revision git does not know is a usage error, not "everything is new".
    let out = herald(&[
        "schema",
        "check",
        "--manifest",
        m,
        "--against",
        "git:no-such-branch",
    ])
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no-such-branch"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn bad_input_is_reported_with_its_place_and_exit_code() {
    let (dir, manifest) = example_schemas();
    let m = manifest.to_str().unwrap();

    // Examples are valid and lint-clean.
    let out = expect(&mut herald(&["schema", "lint", "--manifest", m]), 0);
    assert_eq!(out, "0 errors, 0 warnings\n");
    let orders = dir.path().join("schemas/orders/order-placed.avsc");
    let out = expect(
        &mut herald(&[
            "schema",
            "validate",
            orders.to_str().unwrap(),
            "--manifest",
            m,
        ]),
        0,
    );
    assert!(out.contains("valid AVRO schema"), "{out}");

    // A syntax error: line and column, exit 1 for validate, 2 for check.
    let broken = dir.path().join("broken.avsc");
    std::fs::write(
        &broken,
        "{\"type\": \"record\",\n  \"name\": \"X\",\n  \"fields\": [}\n",
    )
    .unwrap();
    let out = expect(
        &mut herald(&["schema", "validate", broken.to_str().unwrap()]),
        1,
    );
    assert!(out.contains("broken.avsc:3:14"), "{out}");
    edit(&orders, "\"type\": \"record\"", "\"type\": \"recrod\"");
    let out = expect(
        &mut herald(&[
            "schema",
            "check",
            "--manifest",
            m,
            "--against",
            &format!("dir:{}", dir.path().join("schemas").display()),
        ]),
        2,
    );
    assert!(out.contains("ERROR  orders-value"), "{out}");
    assert!(out.contains("order-placed.avsc:2:3"), "{out}");

    // Lint warnings with positions; --deny-warnings makes them fail.
    let lax = dir.path().join("lax.avsc");
    std::fs::write(&lax, "{\"type\": \"record\", \"name\": \"Lax\",\n \"fields\": [{\"name\": \"a\", \"type\": \"int\"}]}\n").unwrap();
    let out = expect(&mut herald(&["schema", "lint", lax.to_str().unwrap()]), 0);
    assert!(
        out.contains("lax.avsc:1:1: warning[lint/MISSING_DOC]"),
        "{out}"
    );
    assert!(
        out.contains("lax.avsc:2:13: warning[lint/FIELD_WITHOUT_DEFAULT]"),
        "{out}"
    );
    expect(
        &mut herald(&["schema", "lint", "--deny-warnings", lax.to_str().unwrap()]),
        1,
    );

    // Usage and environment errors are exit 2 with a message.
    for args in [
        vec!["schema", "check", "--manifest", "/nonexistent/herald.toml"],
        vec!["schema", "check", "--manifest", m, "--against", "svn:trunk"],
        vec![
            "schema",
            "check",
            "--manifest",
            m,
            "--registry",
            "http://127.0.0.1:9",
        ],
        vec!["schema", "check", "--manifest", m, "--format", "xml"],
    ] {
        let out = herald(&args).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(!text(&out.stderr).is_empty(), "{args:?}");
    }
    let out = herald(&[
        "schema",
        "check",
        "--manifest",
        m,
        "--registry",
        "http://127.0.0.1:9",
    ])
    .output()
    .unwrap();
    assert!(
        text(&out.stderr).contains("is the registry running?"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn shell_completions() {
    for shell in ["bash", "zsh", "fish"] {
        let out = expect(&mut herald(&["completions", shell]), 0);
        assert!(
            out.contains("herald") && out.contains("register"),
            "{shell}: {out}"
        );
    }
}

#[test]
fn the_manifest_json_policy_decides_whether_an_open_model_may_gain_a_property() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (dir.path().join("old"), dir.path().join("new"));
    std::fs::create_dir_all(&old).unwrap();
    std::fs::create_dir_all(&new).unwrap();
    let manifest = |policy: &str| {
        format!(
            "[defaults]\njson_policy = \"{policy}\"\n\n[[subject]]\nname = \"events-value\"\nfile = \"event.json\"\n"
        )
    };
    std::fs::write(old.join("herald.toml"), manifest("STRICT")).unwrap();
    std::fs::write(
        old.join("event.json"),
        r#"{"type":"object","properties":{"id":{"type":"string"}}}"#,
    )
    .unwrap();
    std::fs::write(
        new.join("event.json"),
        r#"{"type":"object","properties":{"id":{"type":"string"},"note":{"type":"string"}}}"#,
    )
    .unwrap();
    let against = format!("dir:{}", old.display());
    let m = new.join("herald.toml");
    for (policy, code) in [("STRICT", 1), ("LENIENT", 0)] {
        std::fs::write(&m, manifest(policy)).unwrap();
        let out = expect(
            &mut herald(&[
                "schema",
                "check",
                "--manifest",
                m.to_str().unwrap(),
                "--against",
                &against,
                "--format",
                "json",
            ]),
            code,
        );
        let report: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            report["subjects"][0]["status"],
            if code == 0 {
                "compatible"
            } else {
                "incompatible"
            },
            "{policy}: {report:#}"
        );
    }
}
