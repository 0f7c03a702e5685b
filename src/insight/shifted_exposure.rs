//! The weeks comparison's change and how sure it is: the change on the days after a massage
//! (`series::EXPOSURE_DAYS`) against other days, at the same confounders, and the same change
//! with the session dates shifted around the timeline.
//!
//! Its interval used to come from a bootstrap of two-week blocks: about 13 of them in half a
//! year, too few for a percentile interval to cover 95%. On the independent simulator, pain
//! with massages on random days and no effect was called lower in weeks with a massage in
//! 5–9% of journals and higher in 3–5%, where 5% together was meant. Shifting the session
//! dates keeps the booking pattern and the day-to-day dependence of the outcome while
//! breaking any link between them, as the verdict's calibration does (`lag_scan`); the spread
//! of the shifted changes is the change's standard error under no effect.

use statrs::distribution::{ContinuousCDF, StudentsT};

use super::series::EXPOSURE_DAYS;
use super::stats::mean_and_sd;

/// Shifted timelines needed before the change gets an interval.
const MIN_SHIFTS: usize = 19;
/// Days of timeline per independent look among the shifts: timelines shifted by less are
/// nearly the same (`lag_scan` shifts by at least this much for the same reason).
const DAYS_PER_LOOK: usize = 14;

/// An outcome's day-level fit on its confounders, to which the exposure is added by
/// Frisch–Waugh for any set of exposed days: a shifted timeline costs one pass over the rows.
pub struct ExposureFit {
    /// Per row: its index on the timeline, its confounders and its outcome's residual.
    at: Vec<usize>,
    z: Vec<Vec<f64>>,
    residual: Vec<f64>,
    /// `(Z'Z)⁻¹`, the confounders' coefficients without the exposure, and their means.
    inverse: Vec<Vec<f64>>,
    beta: Vec<f64>,
    means: Vec<f64>,
}

impl ExposureFit {
    /// `rows`: (index on the timeline, confounders, outcome). `None` with too few rows or
    /// collinear confounders.
    pub fn new(rows: Vec<(usize, Vec<f64>, f64)>) -> Option<Self> {
        let k = rows.first()?.1.len();
        if rows.len() <= k + 1 {
            return None;
        }
        let mut ztz = vec![vec![0.0; k]; k];
        let mut zty = vec![0.0; k];
        let mut means = vec![0.0; k];
        for (_, z, y) in &rows {
            for i in 0..k {
                zty[i] += z[i] * y;
                means[i] += z[i] / rows.len() as f64;
                for j in 0..k {
                    ztz[i][j] += z[i] * z[j];
                }
            }
        }
        let inverse = super::stats::invert(ztz)?;
        let beta = times(&inverse, &zty);
        let residual = rows.iter().map(|(_, z, y)| y - dot(z, &beta)).collect();
        let (at, z) = rows.into_iter().map(|(t, z, _)| (t, z)).unzip();
        Some(Self {
            at,
            z,
            residual,
            inverse,
            beta,
            means,
        })
    }

    /// `100 × b / (the fitted outcome without the exposure at the confounders' means)`, where
    /// `b` is the coefficient of being on an `exposed` day (indexed by the timeline); `None`
    /// when the exposure cannot be told apart from the confounders or the baseline is near 0.
    pub fn relative_change(&self, exposed: &[bool]) -> Option<f64> {
        let k = self.beta.len();
        let (mut days, mut z_sum, mut residual) = (0.0, vec![0.0; k], 0.0);
        for (r, &t) in self.at.iter().enumerate() {
            if exposed[t] {
                days += 1.0;
                residual += self.residual[r];
                for (sum, value) in z_sum.iter_mut().zip(&self.z[r]) {
                    *sum += value;
                }
            }
        }
        // The exposure with the confounders regressed out: x'x − x'Z (Z'Z)⁻¹ Z'x.
        let inverse_z = times(&self.inverse, &z_sum);
        let exposure_left = days - dot(&z_sum, &inverse_z);
        if exposure_left < 1e-9 {
            return None;
        }
        let b = residual / exposure_left;
        // The confounders' coefficients in the joint fit: β − b (Z'Z)⁻¹ Z'x.
        let baseline: f64 = (0..k)
            .map(|i| self.means[i] * (self.beta[i] - b * inverse_z[i]))
            .sum();
        (baseline > 0.05).then(|| 100.0 * b / baseline)
    }
}

/// The 95% interval and two-sided p-value of `point`, from the `shifted` changes of a
/// timeline of `days` days: `point ± t·spread`. The spread is estimated from the shifts, which
/// hold only about one independent look per two weeks of timeline, so `t` has that many
/// degrees of freedom: with the normal's 1.96, pain in weeks with a massage booked apart from
/// the pain was called lower or higher in 6.4% of independent no-effect journals at 26 weeks
/// and 5.6% at 52 (200 each, `tests/insight_independent`, 2026-12-06).
pub fn interval(point: f64, shifted: &[f64], days: usize) -> Option<(f64, f64, f64)> {
    if shifted.len() < MIN_SHIFTS {
        return None;
    }
    let (_, spread) = mean_and_sd(shifted)?;
    let t = StudentsT::new(0.0, 1.0, (days / DAYS_PER_LOOK).max(2) as f64).ok()?;
    let reach = t.inverse_cdf(0.975) * spread;
    let p = if spread > 0.0 {
        2.0 * t.sf(point.abs() / spread)
    } else {
        f64::from(u8::from(point == 0.0))
    };
    Some((point - reach, point + reach, p))
}

/// Which days of a timeline of `n` days lie within `EXPOSURE_DAYS` after a session, the
/// sessions moved `shift` days along it (circularly; 0 = as recorded, nothing wrapped).
pub fn exposed(n: usize, sessions: &[usize], shift: usize) -> Vec<bool> {
    let mut on = vec![false; n];
    for &s in sessions {
        on[(s + shift) % n] = true;
    }
    let mut exposed = vec![false; n];
    for (s, _) in on.iter().enumerate().filter(|(_, &on)| on) {
        for k in 1..=EXPOSURE_DAYS as usize {
            if shift == 0 && s + k >= n {
                break;
            }
            exposed[(s + k) % n] = true;
        }
    }
    exposed
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn times(m: &[Vec<f64>], v: &[f64]) -> Vec<f64> {
    m.iter().map(|row| dot(row, v)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposure_follows_sessions_and_wraps_only_when_shifted() {
        let as_recorded = exposed(10, &[1, 8], 0);
        let days: Vec<usize> = (0..10).filter(|&d| as_recorded[d]).collect();
        assert_eq!(days, [2, 3, 4, 5, 6, 7, 8, 9]);
        let shifted = exposed(10, &[5], 3);
        let days: Vec<usize> = (0..10).filter(|&d| shifted[d]).collect();
        // The session moves to day 8; its seven days after are 9 and, wrapped, 0–5.
        assert_eq!(days, [0, 1, 2, 3, 4, 5, 9]);
    }

    #[test]
    fn the_interval_is_wider_than_the_normals_for_a_short_timeline() {
        // Shifted changes with a spread of about 10: a half-year timeline has 13 looks, so the
        // interval reaches t(13) · spread (about 21.9) either way, not 1.96 · spread.
        let shifted: Vec<f64> = (0..40)
            .map(|i| if i % 2 == 0 { 10.0 } else { -10.0 })
            .collect();
        let spread = (40.0 * 100.0 / 39.0_f64).sqrt();
        let (low, high, p) = interval(-25.0, &shifted, 182).unwrap();
        assert!(
            (high - low - 2.0 * 2.160_368_656 * spread).abs() < 1e-6,
            "{low} {high}"
        );
        assert!((low + high + 50.0).abs() < 1e-9);
        assert!(p > 0.02 && p < 0.05, "{p}");
        assert_eq!(interval(-25.0, &shifted[..10], 182), None);
    }

    #[test]
    fn the_change_is_the_least_squares_one() {
        // y = 4 + 0.1·t, minus 1 on exposed days: −1 against a baseline of 4 + 0.1·mean(t).
        let exposed: Vec<bool> = (0..60).map(|t| t % 5 < 2).collect();
        let rows = (0..60)
            .map(|t| {
                let y = 4.0 + 0.1 * t as f64 - if exposed[t] { 1.0 } else { 0.0 };
                (t, vec![1.0, t as f64], y)
            })
            .collect();
        let fit = ExposureFit::new(rows).unwrap();
        let change = fit.relative_change(&exposed).unwrap();
        assert!(
            (change - (-100.0 / (4.0 + 0.1 * 29.5))).abs() < 1e-9,
            "{change}"
        );
        assert!(fit.relative_change(&[false; 60]).is_none());
    }
}
