//! Morphine milligram equivalents (MME): the one place opioid conversion factors live.
//!
//! Source: CDC Clinical Practice Guideline for Prescribing Opioids for Pain — United States,
//! 2022 (MMWR Recomm Rep 2022;71(No. RR-3)), table "Morphine milligram equivalent doses for
//! commonly prescribed opioids". The 2016 guideline's table differed (hydromorphone 4 → 5,
//! tramadol 0.1 → 0.2, methadone banded 4–12 by daily dose → 4.7): every derived value stores
//! [`TABLE_VERSION`], so a later table never silently rewrites what was computed before.
//!
//! The CDC warns these factors are for estimating total opioid exposure, never for switching
//! a patient from one opioid to another.
//!
//! Rules:
//! - Oral and liquid doses: `dose_mg = strength (mg per unit) × quantity`,
//!   `mme = dose_mg × factor`.
//! - Fentanyl transdermal patch: strength is mcg/h; the CDC factor 2.4 turns mcg/h into MME
//!   per day of wear. An intake records *applying* `quantity` patches, worn for
//!   [`PATCH_WEAR_DAYS`] (the standard 72 h): `mme = strength × quantity × 2.4 × 3`, the total
//!   for the whole wear. (Daily series spread it over the 3 days.) `dose_mg` is empty: a patch
//!   has no single mg dose.
//! - Injections: the CDC factors are for oral opioids, so no MME is computed for them.
//! - Non-opioids have no common unit: only `dose_mg` is derived; the insight counts them as
//!   doses per day by class.

use super::journal::{DoseForm, Opioid, StrengthUnit};

pub const TABLE_VERSION: &str = "cdc-2022";

/// Days one fentanyl patch is assumed worn.
pub const PATCH_WEAR_DAYS: f64 = 3.0;

/// CDC 2022 conversion factor to oral morphine mg (for the patch: per mcg/h per day).
pub fn factor(opioid: Opioid) -> f64 {
    match opioid {
        Opioid::Codeine => 0.15,
        Opioid::Hydrocodone => 1.0,
        Opioid::Hydromorphone => 5.0,
        Opioid::Methadone => 4.7,
        Opioid::Morphine => 1.0,
        Opioid::Oxycodone => 1.5,
        Opioid::Oxymorphone => 3.0,
        Opioid::Tapentadol => 0.4,
        Opioid::Tramadol => 0.2,
        Opioid::FentanylPatch => 2.4,
    }
}

/// What a medication is, as far as dose arithmetic cares.
#[derive(Debug, Clone, Copy)]
pub struct DoseFacts {
    pub opioid: Option<Opioid>,
    pub strength: f64,
    pub unit: StrengthUnit,
    pub form: DoseForm,
}

/// The values an intake derives from its medication and quantity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DerivedDose {
    pub dose_mg: Option<f64>,
    pub mme: Option<f64>,
    pub mme_table: Option<&'static str>,
}

/// Rounded to a thousandth so that 0.1-steps do not show float noise.
fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

pub fn derive(facts: DoseFacts, quantity: f64) -> DerivedDose {
    let dose_mg = match facts.unit {
        StrengthUnit::Mg => Some(round3(facts.strength * quantity)),
        StrengthUnit::McgPerHour => None,
    };
    let mme = match (facts.opioid, facts.unit, facts.form) {
        (None, _, _) | (_, _, DoseForm::Injection) => None,
        (Some(Opioid::FentanylPatch), StrengthUnit::McgPerHour, _) => Some(round3(
            facts.strength * quantity * factor(Opioid::FentanylPatch) * PATCH_WEAR_DAYS,
        )),
        (Some(Opioid::FentanylPatch), StrengthUnit::Mg, _) => None,
        (Some(opioid), _, _) => dose_mg.map(|mg| round3(mg * factor(opioid))),
    };
    DerivedDose {
        dose_mg,
        mme,
        mme_table: mme.map(|_| TABLE_VERSION),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(
        opioid: Option<Opioid>,
        strength: f64,
        unit: StrengthUnit,
        form: DoseForm,
    ) -> DoseFacts {
        DoseFacts {
            opioid,
            strength,
            unit,
            form,
        }
    }

    #[test]
    fn oral_opioids_convert_with_the_cdc_2022_factors() {
        let oxy = derive(
            facts(
                Some(Opioid::Oxycodone),
                5.0,
                StrengthUnit::Mg,
                DoseForm::Tablet,
            ),
            2.0,
        );
        assert_eq!(
            oxy,
            DerivedDose {
                dose_mg: Some(10.0),
                mme: Some(15.0),
                mme_table: Some("cdc-2022")
            }
        );
        let tramadol = derive(
            facts(
                Some(Opioid::Tramadol),
                50.0,
                StrengthUnit::Mg,
                DoseForm::Tablet,
            ),
            1.0,
        );
        assert_eq!(tramadol.mme, Some(10.0));
        let codeine = derive(
            facts(
                Some(Opioid::Codeine),
                30.0,
                StrengthUnit::Mg,
                DoseForm::Tablet,
            ),
            1.0,
        );
        assert_eq!(codeine.mme, Some(4.5));
        let methadone = derive(
            facts(
                Some(Opioid::Methadone),
                10.0,
                StrengthUnit::Mg,
                DoseForm::Tablet,
            ),
            1.0,
        );
        assert_eq!(methadone.mme, Some(47.0));
    }

    #[test]
    fn a_fentanyl_patch_counts_three_days_of_wear() {
        let patch = derive(
            facts(
                Some(Opioid::FentanylPatch),
                25.0,
                StrengthUnit::McgPerHour,
                DoseForm::Patch,
            ),
            1.0,
        );
        assert_eq!(patch.dose_mg, None);
        assert_eq!(patch.mme, Some(180.0)); // 25 mcg/h × 2.4 = 60 MME/day × 3 days
    }

    #[test]
    fn non_opioids_and_injections_have_no_mme() {
        let ibuprofen = derive(facts(None, 400.0, StrengthUnit::Mg, DoseForm::Tablet), 1.5);
        assert_eq!(
            ibuprofen,
            DerivedDose {
                dose_mg: Some(600.0),
                mme: None,
                mme_table: None
            }
        );
        let injected = derive(
            facts(
                Some(Opioid::Morphine),
                10.0,
                StrengthUnit::Mg,
                DoseForm::Injection,
            ),
            1.0,
        );
        assert_eq!(injected.mme, None);
        assert_eq!(injected.dose_mg, Some(10.0));
    }
}
