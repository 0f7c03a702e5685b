//! The FHIR R4 export over HTTP on both engines: every bundle is checked against the official
//! R4 JSON schema (vendored, `tests/fhir/`) and by `fhir.resources` 6.4.0 (Python), and its
//! codes, values and times against the journal put in; nothing of another user appears.

use std::sync::OnceLock;

use serde_json::Value;

use crate::both_engines;
use crate::helpers::{assert_problem, skips_allowed, TestApp};
use crate::reports::{days_ago, fill};

both_engines!(
    the_fhir_bundle_is_valid_r4_and_holds_exactly_the_journal,
    an_empty_journal_or_period_gives_the_patient_alone,
);

const LOINC: &str = "http://loinc.org";
const SNOMED: &str = "http://snomed.info/sct";

fn schema_validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fhir/fhir.schema.json");
        let schema: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        jsonschema::validator_for(&schema).expect("the R4 schema compiles")
    })
}

/// Every way `bundle` breaks the R4 JSON schema (the bundle and each entry's resource).
fn schema_errors(bundle: &Value) -> Vec<String> {
    schema_validator()
        .iter_errors(bundle)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .take(20)
        .collect()
}

/// Runs `fhir.resources` on the bundle; None when Python is missing and skips are allowed.
fn python_verdict(bundle: &Value) -> Option<(bool, String)> {
    let dir = std::env::temp_dir().join(format!("pj-fhir-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bundle.json");
    std::fs::write(&file, serde_json::to_vec(bundle).unwrap()).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fhir/validate.sh");
    let output = std::process::Command::new("bash")
        .arg(script)
        .arg(&file)
        .output();
    std::fs::remove_dir_all(&dir).ok();
    let output = match output {
        Ok(out) => out,
        Err(e) => panic!("bash is needed to run {script}: {e}"),
    };
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if !output.status.success() && !text.contains("INVALID") {
        // The validator itself could not run (no python3-venv, no network for pip).
        if skips_allowed() {
            eprintln!("SKIPPED: fhir.resources validation could not run: {text}");
            return None;
        }
        panic!("fhir.resources could not run (python3-venv and PyPI are needed): {text}");
    }
    Some((output.status.success(), text))
}

/// Asserts both validators accept `bundle`.
fn assert_valid_r4(bundle: &Value) {
    let errors = schema_errors(bundle);
    assert!(errors.is_empty(), "R4 JSON schema: {errors:#?}");
    if let Some((valid, text)) = python_verdict(bundle) {
        assert!(valid, "fhir.resources: {text}");
    }
}

fn resources<'a>(bundle: &'a Value, kind: &str) -> Vec<&'a Value> {
    bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .filter(|r| r["resourceType"] == kind)
        .collect()
}

fn has_coding(concept: &Value, system: &str, code: &str) -> bool {
    concept["coding"]
        .as_array()
        .is_some_and(|c| c.iter().any(|c| c["system"] == system && c["code"] == code))
}

fn notes(resource: &Value) -> String {
    resource["note"].as_array().map_or(String::new(), |n| {
        n.iter()
            .map(|n| n["text"].as_str().unwrap())
            .collect::<Vec<_>>()
            .join(" | ")
    })
}

async fn fhir(app: &TestApp, token: &str, query: &str) -> Value {
    let response = app
        .get_auth(&format!("/v1/export/fhir{query}"), token)
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/fhir+json");
    response.json().await.unwrap()
}

async fn the_fhir_bundle_is_valid_r4_and_holds_exactly_the_journal(app: TestApp) {
    let (_, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    fill(&app, &ann).await;
    app.post_expect(
        "/v1/pain-entries",
        &bob.access,
        &serde_json::json!({"id": "bob-secret", "recorded_at": days_ago(2, 9), "intensity": 9, "notes": "bob's own"}),
        201,
    )
    .await;
    let bundle = fhir(&app, &ann.access, "").await;
    assert_valid_r4(&bundle);
    assert_eq!(bundle["resourceType"], "Bundle");
    assert_eq!(bundle["type"], "collection");

    // One patient; every resource is about them, and every entry's fullUrl names its id.
    let entries = bundle["entry"].as_array().unwrap();
    let patients = resources(&bundle, "Patient");
    assert_eq!(patients.len(), 1);
    assert_eq!(patients[0]["telecom"][0]["value"], "ann@example.com");
    let patient_url = format!("urn:uuid:{}", patients[0]["id"].as_str().unwrap());
    let mut urls = std::collections::HashSet::new();
    for entry in entries {
        let id = entry["resource"]["id"].as_str().unwrap();
        assert_eq!(entry["fullUrl"], format!("urn:uuid:{id}"));
        assert!(urls.insert(id.to_owned()), "ids are unique");
        if entry["resource"]["resourceType"] != "Patient" {
            assert_eq!(entry["resource"]["subject"]["reference"], patient_url);
        }
    }

    // Pain: three entries, each overall + back + leg, LOINC 72514-3, 0–10 as integers.
    let observations = resources(&bundle, "Observation");
    let pain: Vec<_> = observations
        .iter()
        .filter(|o| has_coding(&o["code"], LOINC, "72514-3"))
        .collect();
    assert_eq!(pain.len(), 9);
    let by_site = |site: Option<&str>| {
        let mut values: Vec<i64> = pain
            .iter()
            .filter(|o| match site {
                None => o.get("bodySite").is_none(),
                Some(code) => has_coding(&o["bodySite"], SNOMED, code),
            })
            .map(|o| o["valueInteger"].as_i64().unwrap())
            .collect();
        values.sort();
        values
    };
    assert_eq!(by_site(None), [4, 5, 6]);
    assert_eq!(by_site(Some("77568009")), [3, 3, 3], "back");
    assert_eq!(by_site(Some("61685007")), [3, 4, 5], "leg");
    let first = pain
        .iter()
        .find(|o| o["identifier"][0]["value"] == "p0")
        .unwrap();
    assert_eq!(first["effectiveDateTime"], days_ago(6, 9));
    assert_eq!(first["status"], "final");
    assert!(notes(first).contains("=HYPERLINK"), "{}", notes(first));
    assert!(notes(first).contains("lower_back"));

    // Intakes: patient-reported statements with dose, time and (for the opioid) MME.
    let statements = resources(&bundle, "MedicationStatement");
    assert_eq!(statements.len(), 3);
    for statement in &statements {
        assert!(has_coding(
            &statement["category"],
            "http://terminology.hl7.org/CodeSystem/medication-statement-category",
            "patientspecified"
        ));
        assert_eq!(statement["informationSource"]["reference"], patient_url);
        assert_eq!(statement["status"], "completed");
        assert_eq!(
            statement["dosage"][0]["doseAndRate"][0]["doseQuantity"]["value"],
            1.0
        );
    }
    let oxy = statements
        .iter()
        .find(|s| s["identifier"][0]["value"] == "i0")
        .unwrap();
    assert!(oxy["medicationCodeableConcept"]["text"]
        .as_str()
        .unwrap()
        .starts_with("Oxycodone 5"));
    assert_eq!(oxy["effectiveDateTime"], days_ago(6, 10));
    assert!(
        notes(oxy).contains("Morphine milligram equivalents: 7.5"),
        "{}",
        notes(oxy)
    );

    // Massages: SNOMED CT procedures over their hour, therapist in a note.
    let procedures = resources(&bundle, "Procedure");
    assert_eq!(procedures.len(), 2);
    for procedure in &procedures {
        assert!(has_coding(&procedure["code"], SNOMED, "387854002"));
        assert_eq!(procedure["status"], "completed");
        assert!(notes(procedure).contains("Therapist: @Jo <b>"));
        assert!(notes(procedure).contains("pain before: 6/10; pain after: 3/10"));
    }
    let m0 = procedures
        .iter()
        .find(|p| p["identifier"][0]["value"] == "m0")
        .unwrap();
    let start = days_ago(5, 17);
    assert_eq!(m0["performedPeriod"]["start"], start);
    assert_eq!(m0["performedPeriod"]["end"], start.replace("T17:", "T18:"));

    // The PEG check-in with its score.
    let peg: Vec<_> = observations
        .iter()
        .filter(|o| has_coding(&o["code"], "urn:pain-journal:check-in", "peg"))
        .collect();
    assert_eq!(peg.len(), 1);
    assert_eq!(peg[0]["valueQuantity"]["value"], 6.0);
    assert_eq!(observations.len(), 9 + 1);
    assert_eq!(entries.len(), 1 + 9 + 3 + 2 + 1);

    // Nothing of Bob's; his own bundle holds only him.
    let text = bundle.to_string();
    assert!(!text.contains("bob") && !text.contains("Bob"));
    let bobs = fhir(&app, &bob.access, "").await;
    assert_valid_r4(&bobs);
    assert_eq!(bobs["entry"].as_array().unwrap().len(), 2);
    assert!(!bobs.to_string().contains("HYPERLINK"));

    // The same entries keep their ids from one export to the next.
    let again = fhir(&app, &ann.access, "").await;
    let ids = |b: &Value| -> Vec<Value> {
        b["entry"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["resource"]["id"].clone())
            .collect()
    };
    assert_eq!(ids(&again), ids(&bundle));

    // A period takes the entries of its local days only (p2 and one intake, 3 days ago).
    let from = days_ago(4, 0)[..10].to_owned();
    let recent = fhir(&app, &ann.access, &format!("?from={from}")).await;
    assert_valid_r4(&recent);
    assert_eq!(resources(&recent, "MedicationStatement").len(), 1);
    assert_eq!(resources(&recent, "Procedure").len(), 1);

    // Bad input: a clear 400; no session: 401.
    for query in ["?from=2026-02-30", "?to=yesterday", "?table=pain_entries"] {
        let response = app
            .get_auth(&format!("/v1/export/fhir{query}"), &ann.access)
            .await;
        assert_problem(response, 400).await;
    }
    let response = reqwest::get(app.url("/v1/export/fhir")).await.unwrap();
    assert_eq!(response.status(), 401);
}

async fn an_empty_journal_or_period_gives_the_patient_alone(app: TestApp) {
    let (_, ann) = app.user("ann@example.com").await;
    let bundle = fhir(&app, &ann.access, "").await;
    assert_valid_r4(&bundle);
    assert_eq!(bundle["entry"].as_array().unwrap().len(), 1);
    fill(&app, &ann).await;
    let none = fhir(&app, &ann.access, "?from=2001-01-01&to=2001-12-31").await;
    assert_valid_r4(&none);
    assert_eq!(none["entry"].as_array().unwrap().len(), 1);
}

/// Both validators are able to say no: a minimal valid bundle passes; a wrong value type and a
/// made-up field fail both; each also catches what the other cannot — the schema a code
/// outside its value set (fhir.resources checks only its spelling), fhir.resources a missing
/// required primitive (the schema cannot require one: it may come as `_status` instead).
#[test]
fn the_validators_reject_a_broken_bundle() {
    let valid = serde_json::json!({
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"fullUrl": "urn:uuid:5b1c6a0e-2f7d-4c39-9e58-83a1d4f20b67", "resource": {
            "resourceType": "Observation",
            "status": "final",
            "code": {"text": "pain"},
            "valueInteger": 6
        }}]
    });
    assert_valid_r4(&valid);
    // (what, the schema rejects it, fhir.resources rejects it, how)
    type Breakage = (&'static str, bool, bool, fn(&mut Value));
    let breakages: [Breakage; 5] = [
        ("value type", true, true, |b| {
            b["entry"][0]["resource"]["valueInteger"] = "six".into()
        }),
        ("unknown field", true, true, |b| {
            b["entry"][0]["resource"]["painScore"] = 6.into()
        }),
        ("no code", true, true, |b| {
            b["entry"][0]["resource"]
                .as_object_mut()
                .unwrap()
                .remove("code");
        }),
        ("bundle type", true, false, |b| b["type"] = "pile".into()),
        ("no status", false, true, |b| {
            b["entry"][0]["resource"]
                .as_object_mut()
                .unwrap()
                .remove("status");
        }),
    ];
    for (what, schema_checks, python_checks, break_it) in breakages {
        let mut broken = valid.clone();
        break_it(&mut broken);
        assert_eq!(
            schema_errors(&broken).is_empty(),
            !schema_checks,
            "the schema on {what}"
        );
        if let Some((valid, text)) = python_verdict(&broken) {
            assert_eq!(valid, !python_checks, "fhir.resources on {what}: {text}");
        }
    }
}
