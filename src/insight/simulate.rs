//! Synthetic journals with a known effect of massage, to check the analysis: how often it
//! finds a real effect (power), how often it finds one that is not there (false alarms), and
//! how far its estimate lands from the truth.
//!
//! A generated person (seeded, so every run is the same):
//! - pain: 5 ± an AR(1) day-to-day process (φ = 0.7, σ = 1), rounded to 0–10, one entry a
//!   day (a tenth of days unrecorded);
//! - painkillers: a Poisson number of doses a day with mean 0.6 + 0.35 × pain, so use follows
//!   pain; a third of doses are opioid (7.5 MME each);
//! - massages: fortnightly, in a random half of the weeks, or booked *because* pain was
//!   high (the day after the week's first day at 7+, else now and then at random);
//! - the effect: on the 7 days after a massage the dose rate is multiplied by
//!   (1 + effect), e.g. 0.67 for −33%.

use chrono::{Duration, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use statrs::distribution::{Normal, Poisson};

use super::analysis::{analyse, Params, Verdict};
use super::series::{daily, weekly, DoseObservation, Journal, PainObservation, EXPOSURE_DAYS};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Booking {
    Fortnightly,
    RandomHalfOfWeeks,
    OnBadDays,
}

impl Booking {
    pub const ALL: [Booking; 3] = [
        Booking::Fortnightly,
        Booking::RandomHalfOfWeeks,
        Booking::OnBadDays,
    ];

    pub fn parse(raw: &str) -> Option<Self> {
        Booking::ALL
            .into_iter()
            .find(|b| b.name().replace(' ', "-") == raw)
    }

    pub fn name(&self) -> &'static str {
        match self {
            Booking::Fortnightly => "fortnightly",
            Booking::RandomHalfOfWeeks => "random weeks",
            Booking::OnBadDays => "on bad days",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    pub weeks: usize,
    /// Relative change of the dose rate after a massage, e.g. −0.33.
    pub effect: f64,
    pub booking: Booking,
    pub seed: u64,
}

/// A generated journal starting on Monday `start`.
pub fn generate(scenario: &Scenario, start: NaiveDate) -> Journal {
    let mut rng = ChaCha8Rng::seed_from_u64(scenario.seed);
    let noise = Normal::new(0.0, 1.0).expect("valid normal");
    let days = scenario.weeks * 7;
    let mut latent = 0.0;
    let pain: Vec<f64> = (0..days)
        .map(|_| {
            latent = 0.7 * latent + rng.sample(noise);
            (5.0_f64 + latent).round().clamp(0.0, 10.0)
        })
        .collect();
    let mut massage_days: Vec<usize> = Vec::new();
    for week in 0..scenario.weeks {
        let monday = week * 7;
        let day = match scenario.booking {
            Booking::Fortnightly => (week % 2 == 0).then(|| monday + rng.gen_range(0..7)),
            Booking::RandomHalfOfWeeks => rng.gen_bool(0.5).then(|| monday + rng.gen_range(0..7)),
            Booking::OnBadDays => match (monday..monday + 6).find(|&d| pain[d] >= 7.0) {
                Some(bad) => Some(bad + 1),
                None => rng.gen_bool(0.3).then(|| monday + rng.gen_range(0..7)),
            },
        };
        massage_days.extend(day);
    }
    let mut journal = Journal::default();
    for (d, &level) in pain.iter().enumerate() {
        let date = start + Duration::days(d as i64);
        if rng.gen_bool(0.9) {
            journal.pain.push(PainObservation {
                date,
                intensity: level as i32,
                back_pain: None,
                leg_pain: None,
            });
        }
        let exposed = massage_days
            .iter()
            .any(|&m| m < d && d as i64 - m as i64 <= EXPOSURE_DAYS);
        let mut rate = 0.6 + 0.35 * level;
        if exposed {
            rate *= 1.0 + scenario.effect;
        }
        let doses: f64 = rng.sample(Poisson::new(rate.max(0.01)).expect("valid poisson"));
        record_doses(&mut journal, &mut rng, date, doses as usize);
    }
    journal.massages = massage_days
        .iter()
        .map(|&d| start + Duration::days(d as i64))
        .collect();
    journal
}

/// Records `count` doses on `date`: a third of them opioid (7.5 MME each), the rest NSAIDs.
pub fn record_doses(journal: &mut Journal, rng: &mut ChaCha8Rng, date: NaiveDate, count: usize) {
    for _ in 0..count {
        let opioid = rng.gen_bool(1.0 / 3.0);
        journal.doses.push(DoseObservation {
            date,
            drug_class: if opioid { "opioid" } else { "nsaid" }.into(),
            mme: opioid.then_some(7.5),
            mme_days: 1,
        });
    }
}

/// How often each verdict came out over `runs` journals, and the mean absolute error of the
/// estimated percent against the true effect.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    pub runs: usize,
    pub lower: usize,
    pub none: usize,
    pub higher: usize,
    pub not_enough: usize,
    pub abs_error_sum: f64,
    pub estimates: usize,
}

impl Tally {
    pub fn share(&self, n: usize) -> f64 {
        n as f64 / self.runs.max(1) as f64
    }

    pub fn mean_abs_error(&self) -> Option<f64> {
        (self.estimates > 0).then(|| self.abs_error_sum / self.estimates as f64)
    }
}

pub fn evaluate(
    weeks: usize,
    effect: f64,
    booking: Booking,
    runs: usize,
    params: &Params,
) -> Tally {
    let start = NaiveDate::from_isoywd_opt(2025, 2, chrono::Weekday::Mon).expect("a Monday");
    let mut tally = Tally::default();
    for run in 0..runs {
        let scenario = Scenario {
            weeks,
            effect,
            booking,
            seed: 1_000 + run as u64,
        };
        let journal = generate(&scenario, start);
        let days = daily(&journal, None, None);
        let weeks_series = weekly(&days);
        let analysis = analyse(&days, &weeks_series, params);
        tally.runs += 1;
        match analysis.verdict {
            Verdict::LowerWithMassage => tally.lower += 1,
            Verdict::NoClearDifference => tally.none += 1,
            Verdict::HigherWithMassage => tally.higher += 1,
            Verdict::NotEnoughData => tally.not_enough += 1,
        }
        if let Some(estimate) = analysis.painkiller_doses.weeks.change_percent {
            tally.abs_error_sum += (estimate - effect * 100.0).abs();
            tally.estimates += 1;
        }
    }
    tally
}

/// The validation table (markdown) for 8, 26 and 52 weeks.
pub fn validation_table(runs: usize) -> String {
    let params = Params::default();
    let mut out = String::from(
        "| weeks | booking | true effect | called lower | no clear difference | called higher | not enough data | mean abs. error (points) |\n|---|---|---|---|---|---|---|---|\n",
    );
    for weeks in [8, 26, 52] {
        for booking in Booking::ALL {
            for effect in [-0.33, 0.0, 0.2] {
                let t = evaluate(weeks, effect, booking, runs, &params);
                out.push_str(&format!(
                    "| {weeks} | {} | {:+.0}% | {:.0}% | {:.0}% | {:.0}% | {:.0}% | {} |\n",
                    booking.name(),
                    effect * 100.0,
                    100.0 * t.share(t.lower),
                    100.0 * t.share(t.none),
                    100.0 * t.share(t.higher),
                    100.0 * t.share(t.not_enough),
                    t.mean_abs_error().map_or("–".into(), |e| format!("{e:.1}")),
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On 26-week journals of this first simulator, a real −33% effect over the 7 days after
    /// a session is found at least 65% of the time (the verdict now searches 30 windows and
    /// pays for not being told this one: 90–96% → 70–76% here), and no effect is called an
    /// effect at most 10% of the time — also when massages are booked on bad days. The
    /// family of people in `family` is the stricter check.
    #[test]
    fn the_analysis_finds_real_effects_and_rarely_invents_them() {
        let params = Params::default();
        for booking in Booking::ALL {
            let real = evaluate(26, -0.33, booking, 50, &params);
            let power = real.share(real.lower);
            assert!(power >= 0.65, "{}: power {power:.2}", booking.name());
            let null = evaluate(26, 0.0, booking, 50, &params);
            let false_alarms = 1.0 - null.share(null.none);
            assert!(
                false_alarms <= 0.10,
                "{}: false alarms {false_alarms:.2}",
                booking.name()
            );
            let error = real.mean_abs_error().unwrap();
            assert!(
                error < 15.0,
                "{}: mean error {error:.1} points",
                booking.name()
            );
        }
    }

    #[test]
    fn the_same_journal_always_gives_the_same_answer() {
        let scenario = Scenario {
            weeks: 26,
            effect: -0.33,
            booking: Booking::OnBadDays,
            seed: 7,
        };
        let start = NaiveDate::from_isoywd_opt(2025, 2, chrono::Weekday::Mon).unwrap();
        let run = || {
            let days = daily(&generate(&scenario, start), None, None);
            let weeks = weekly(&days);
            let analysis = analyse(&days, &weeks, &Params::default());
            (
                analysis.painkiller_doses.weeks.change_percent,
                analysis.painkiller_doses.weeks.ci95_low,
                analysis.summary,
            )
        };
        assert_eq!(run(), run());
    }
}
