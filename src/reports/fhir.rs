//! The journal as a FHIR R4 (4.0.1) `Bundle` of type `collection`, for an electronic health
//! record: the patient, each pain entry as `Observation`s, each intake as a patient-reported
//! `MedicationStatement`, each massage as a `Procedure`, each check-in as an `Observation`.
//!
//! Serde structs for just these resources: the Rust FHIR crates are unmaintained or lack R4.
//! Resource ids are UUIDs derived from the user and the entry (the same entry always gets the
//! same id, so a record system that imports twice can tell), and every resource names the
//! journal's own id as an `identifier`.
//!
//! Codes, and where they come from (no validator checks terminology; the tests assert them):
//! - LOINC 72514-3 "Pain severity - 0-10 verbal numeric rating [Score] - Reported" (named by
//!   the issue; LOINC's own long name).
//! - SNOMED CT body sites 77568009 (Back) and 61685007 (Lower limb): DICOM PS3.16 CID 4
//!   "Anatomic Region" lists both with these meanings.
//! - SNOMED CT 387854002 for massage: listed in HL7 International's Symptoms implementation
//!   guide (github.com/HL7/fhir-symptoms-ig, `input/fsh/Terminology.fsh`, value set
//!   `AlleviatingFactorCodes`, beside 44868003 Acupuncture). No terminology server was
//!   reachable to confirm its fully specified name, so the coding carries no `display` and
//!   the concept's `text` says "Massage" — a receiving system reads the text if it doubts
//!   the code.
//! - Medication statement category `patientspecified` (HL7 terminology, R4's
//!   medication-statement-category): the patient wrote it down.
//! - PEG and Oswestry check-ins carry this app's own code system (LOINC has no code we could
//!   confirm for either), with the score as a quantity.

use std::collections::HashMap;

use serde::Serialize;
use uuid::Uuid;

use super::export::JournalTables;
use crate::auth::accounts::Profile;
use crate::error::ApiError;
use crate::journal::check_ins::CheckIn;
use crate::journal::instant::Instant;
use crate::journal::massage_sessions::MassageSession;
use crate::journal::medication_intakes::MedicationIntake;
use crate::journal::medications::Medication;
use crate::journal::pain_entries::PainEntry;

pub const MEDIA_TYPE: &str = "application/fhir+json";
pub const LOINC: &str = "http://loinc.org";
pub const SNOMED: &str = "http://snomed.info/sct";
pub const UCUM: &str = "http://unitsofmeasure.org";
pub const PAIN_SEVERITY: &str = "72514-3";
pub const MASSAGE: &str = "387854002";
pub const BACK: &str = "77568009";
pub const LOWER_LIMB: &str = "61685007";
const OBSERVATION_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/observation-category";
const STATEMENT_CATEGORY: &str =
    "http://terminology.hl7.org/CodeSystem/medication-statement-category";
/// This app's identifiers and check-in codes live under its own URN.
const OWN: &str = "urn:pain-journal";
/// Namespace of the derived resource ids (a fixed random UUID: ids stay stable across releases).
const ID_NAMESPACE: Uuid = Uuid::from_u128(0x5b1c_6a0e_2f7d_4c39_9e58_83a1_d4f2_0b67);

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Bundle {
    resource_type: &'static str,
    id: String,
    #[serde(rename = "type")]
    kind: &'static str,
    timestamp: String,
    entry: Vec<Entry>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    full_url: String,
    resource: Resource,
}

#[derive(Debug, Serialize)]
#[serde(tag = "resourceType")]
enum Resource {
    Patient(Patient),
    Observation(Observation),
    MedicationStatement(MedicationStatement),
    Procedure(Procedure),
}

#[derive(Debug, Serialize)]
struct Patient {
    id: String,
    identifier: Vec<Identifier>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    name: Vec<Text>,
    telecom: Vec<ContactPoint>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Observation {
    id: String,
    identifier: Vec<Identifier>,
    status: &'static str,
    category: Vec<Concept>,
    code: Concept,
    subject: Reference,
    effective_date_time: Instant,
    #[serde(skip_serializing_if = "Option::is_none")]
    value_integer: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value_quantity: Option<Quantity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body_site: Option<Concept>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    note: Vec<Text>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct MedicationStatement {
    id: String,
    identifier: Vec<Identifier>,
    status: &'static str,
    category: Concept,
    medication_codeable_concept: Concept,
    subject: Reference,
    effective_date_time: Instant,
    date_asserted: String,
    information_source: Reference,
    dosage: Vec<Dosage>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    note: Vec<Text>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Procedure {
    id: String,
    identifier: Vec<Identifier>,
    status: &'static str,
    code: Concept,
    subject: Reference,
    performed_period: Period,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    note: Vec<Text>,
}

#[derive(Debug, Serialize)]
struct Identifier {
    system: String,
    value: String,
}

/// `HumanName` and `Annotation` both hold just a `text` here.
#[derive(Debug, Serialize)]
struct Text {
    text: String,
}

#[derive(Debug, Serialize)]
struct ContactPoint {
    system: &'static str,
    value: String,
}

#[derive(Debug, Serialize)]
struct Reference {
    reference: String,
}

#[derive(Debug, Serialize)]
struct Concept {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    coding: Vec<Coding>,
    text: String,
}

#[derive(Debug, Serialize)]
struct Coding {
    system: &'static str,
    code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    display: Option<&'static str>,
}

#[derive(Debug, Serialize)]
struct Quantity {
    value: f64,
    unit: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    system: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'static str>,
}

#[derive(Debug, Serialize)]
struct Period {
    start: Instant,
    end: Instant,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Dosage {
    text: String,
    dose_and_rate: Vec<DoseAndRate>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct DoseAndRate {
    dose_quantity: Quantity,
}

fn coded(system: &'static str, code: &'static str, display: Option<&'static str>) -> Coding {
    Coding {
        system,
        code,
        display,
    }
}

fn note(text: impl Into<String>) -> Text {
    Text { text: text.into() }
}

fn rows<T: serde::de::DeserializeOwned>(values: &[serde_json::Value]) -> Result<Vec<T>, ApiError> {
    values
        .iter()
        .map(|v| serde_json::from_value(v.clone()).map_err(ApiError::internal))
        .collect()
}

/// Builds the bundle; `exported_at` is its timestamp (RFC 3339).
pub fn bundle(
    profile: &Profile,
    journal: &JournalTables,
    exported_at: String,
) -> Result<Bundle, ApiError> {
    let mut out = Builder {
        user: &profile.id,
        patient: String::new(),
        entries: Vec::new(),
    };
    out.patient = out.add("patient", &profile.id, |id| {
        Resource::Patient(patient(id, profile))
    });
    for entry in rows::<PainEntry>(&journal.pain_entries)? {
        out.pain(&entry);
    }
    let medications: HashMap<String, Medication> = rows::<Medication>(&journal.medications)?
        .into_iter()
        .map(|m| (m.id.clone(), m))
        .collect();
    for intake in rows::<MedicationIntake>(&journal.medication_intakes)? {
        out.intake(
            &intake,
            medications.get(&intake.medication_id),
            &exported_at,
        );
    }
    for session in rows::<MassageSession>(&journal.massage_sessions)? {
        out.massage(&session);
    }
    for check_in in rows::<CheckIn>(&journal.check_ins)? {
        out.check_in(&check_in);
    }
    Ok(Bundle {
        resource_type: "Bundle",
        id: derived_id(&profile.id, "bundle", &exported_at).to_string(),
        kind: "collection",
        timestamp: exported_at,
        entry: out.entries,
    })
}

fn derived_id(user: &str, table: &str, id: &str) -> Uuid {
    Uuid::new_v5(&ID_NAMESPACE, format!("{user}/{table}/{id}").as_bytes())
}

fn patient(id: String, profile: &Profile) -> Patient {
    Patient {
        id,
        identifier: vec![Identifier {
            system: format!("{OWN}:user"),
            value: profile.id.clone(),
        }],
        name: profile
            .display_name
            .iter()
            .map(|name| Text { text: name.clone() })
            .collect(),
        telecom: vec![ContactPoint {
            system: "email",
            value: profile.email.clone(),
        }],
    }
}

struct Builder<'a> {
    user: &'a str,
    /// The patient's `fullUrl`, which every other resource names as its subject.
    patient: String,
    entries: Vec<Entry>,
}

impl Builder<'_> {
    /// Adds a resource with the id derived from `table` and `id`; returns its `fullUrl`.
    fn add(&mut self, table: &str, id: &str, make: impl FnOnce(String) -> Resource) -> String {
        let uuid = derived_id(self.user, table, id);
        let full_url = format!("urn:uuid:{uuid}");
        self.entries.push(Entry {
            full_url: full_url.clone(),
            resource: make(uuid.to_string()),
        });
        full_url
    }

    fn subject(&self) -> Reference {
        Reference {
            reference: self.patient.clone(),
        }
    }

    fn identifier(table: &str, id: &str) -> Vec<Identifier> {
        vec![Identifier {
            system: format!("{OWN}:{table}"),
            value: id.to_owned(),
        }]
    }

    /// The overall intensity, and back and leg pain as observations of their own body site.
    fn pain(&mut self, entry: &PainEntry) {
        let mut notes = Vec::new();
        for (label, list) in [
            ("Where", &entry.regions),
            ("Felt as", &entry.qualities),
            ("Triggers", &entry.triggers),
        ] {
            if !list.is_empty() {
                notes.push(note(format!("{label}: {}", list.join(", "))));
            }
        }
        notes.extend(entry.notes.iter().map(note));
        let sites = [
            ("", Some(entry.intensity), None),
            ("/back", entry.back_pain, Some((BACK, "Back"))),
            ("/leg", entry.leg_pain, Some((LOWER_LIMB, "Leg"))),
        ];
        for (suffix, value, site) in sites {
            let Some(value) = value else { continue };
            let id = format!("{}{suffix}", entry.id);
            let observation = Observation {
                id: String::new(),
                identifier: Self::identifier("pain_entries", &id),
                status: "final",
                category: vec![survey()],
                code: Concept {
                    coding: vec![coded(
                        LOINC,
                        PAIN_SEVERITY,
                        Some("Pain severity - 0-10 verbal numeric rating [Score] - Reported"),
                    )],
                    text: match site {
                        None => "Pain intensity (0–10)".into(),
                        Some((_, name)) => format!("{name} pain (0–10)"),
                    },
                },
                subject: self.subject(),
                effective_date_time: entry.recorded_at,
                value_integer: Some(value),
                value_quantity: None,
                body_site: site.map(|(code, name)| Concept {
                    coding: vec![coded(SNOMED, code, None)],
                    text: name.into(),
                }),
                // The free text belongs to the entry: once, on its overall observation.
                note: if site.is_none() {
                    std::mem::take(&mut notes)
                } else {
                    Vec::new()
                },
            };
            self.add("pain_entries", &id, |id| {
                Resource::Observation(Observation { id, ..observation })
            });
        }
    }

    fn intake(
        &mut self,
        intake: &MedicationIntake,
        medication: Option<&Medication>,
        asserted: &str,
    ) {
        let (name, form) = medication.map_or_else(
            || ("Unknown medication".to_owned(), "unit".to_owned()),
            |m| {
                let unit = if m.strength_unit == "mcg_per_hour" {
                    "mcg/h"
                } else {
                    "mg"
                };
                (
                    format!("{} ({} {unit} per {})", m.name, m.strength, m.form),
                    m.form.clone(),
                )
            },
        );
        let mut text = format!("{} {form}", intake.quantity);
        if let Some(mg) = intake.dose_mg {
            text.push_str(&format!(" ({mg} mg)"));
        }
        let mut notes = Vec::new();
        if let (Some(mme), Some(table)) = (intake.mme, &intake.mme_table) {
            notes.push(note(format!(
                "Morphine milligram equivalents: {mme} (factors: {table})"
            )));
        }
        notes.extend(intake.notes.iter().map(note));
        let statement = MedicationStatement {
            id: String::new(),
            identifier: Self::identifier("medication_intakes", &intake.id),
            status: "completed",
            category: Concept {
                coding: vec![coded(
                    STATEMENT_CATEGORY,
                    "patientspecified",
                    Some("Patient Specified"),
                )],
                text: "Reported by the patient".into(),
            },
            medication_codeable_concept: Concept {
                coding: Vec::new(),
                text: name,
            },
            subject: self.subject(),
            effective_date_time: intake.taken_at,
            date_asserted: asserted.to_owned(),
            information_source: self.subject(),
            dosage: vec![Dosage {
                text,
                dose_and_rate: vec![DoseAndRate {
                    dose_quantity: Quantity {
                        value: intake.quantity,
                        unit: form,
                        system: None,
                        code: None,
                    },
                }],
            }],
            note: notes,
        };
        self.add("medication_intakes", &intake.id, |id| {
            Resource::MedicationStatement(MedicationStatement { id, ..statement })
        });
    }

    fn massage(&mut self, session: &MassageSession) {
        let start = session.started_at;
        let end = Instant(start.0 + chrono::Duration::minutes(session.duration_min.into()));
        let mut notes = Vec::new();
        if let Some(therapist) = &session.therapist {
            notes.push(note(format!("Therapist: {therapist}")));
        }
        let mut facts = vec![format!("Kind: {}", session.kind)];
        if let Some(pressure) = &session.pressure {
            facts.push(format!("pressure: {pressure}"));
        }
        if !session.regions.is_empty() {
            facts.push(format!("regions: {}", session.regions.join(", ")));
        }
        for (label, value) in [
            ("pain before", session.pain_before),
            ("pain after", session.pain_after),
            ("soreness next day", session.soreness_next_day),
        ] {
            if let Some(value) = value {
                facts.push(format!("{label}: {value}/10"));
            }
        }
        notes.push(note(facts.join("; ")));
        notes.extend(session.notes.iter().map(note));
        let procedure = Procedure {
            id: String::new(),
            identifier: Self::identifier("massage_sessions", &session.id),
            status: "completed",
            code: Concept {
                coding: vec![coded(SNOMED, MASSAGE, None)],
                text: format!("Massage ({})", session.kind),
            },
            subject: self.subject(),
            performed_period: Period { start, end },
            note: notes,
        };
        self.add("massage_sessions", &session.id, |id| {
            Resource::Procedure(Procedure { id, ..procedure })
        });
    }

    fn check_in(&mut self, check_in: &CheckIn) {
        let (code, text, unit, ucum) = match check_in.kind.as_str() {
            "peg" => (
                "peg",
                "PEG: pain, enjoyment of life, general activity (mean of 3 items, 0–10)",
                "score",
                "{score}",
            ),
            _ => (
                "odi",
                "Oswestry Disability Index (percent disability, 0–100)",
                "%",
                "%",
            ),
        };
        let observation = Observation {
            id: String::new(),
            identifier: Self::identifier("check_ins", &check_in.id),
            status: "final",
            category: vec![survey()],
            code: Concept {
                coding: vec![coded(CHECK_IN_SYSTEM, code, None)],
                text: text.into(),
            },
            subject: self.subject(),
            effective_date_time: check_in.answered_at,
            value_integer: None,
            value_quantity: Some(Quantity {
                value: check_in.score,
                unit: unit.into(),
                system: Some(UCUM),
                code: Some(ucum),
            }),
            body_site: None,
            note: Vec::new(),
        };
        self.add("check_ins", &check_in.id, |id| {
            Resource::Observation(Observation { id, ..observation })
        });
    }
}

/// The app's own code system for check-in questionnaires.
pub const CHECK_IN_SYSTEM: &str = "urn:pain-journal:check-in";

fn survey() -> Concept {
    Concept {
        coding: vec![coded(OBSERVATION_CATEGORY, "survey", Some("Survey"))],
        text: "Reported by the patient".into(),
    }
}
