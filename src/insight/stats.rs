//! Small statistics: least squares, quantiles, and a seeded moving-block bootstrap.
//!
//! Distributions (Student's t) come from `statrs`; the regressions here have at most five
//! columns, so the normal equations are solved directly.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use statrs::distribution::{ContinuousCDF, StudentsT};

/// Ordinary least squares: coefficients, their standard errors and the residual degrees of
/// freedom; `None` when the columns are collinear or there are too few rows.
#[derive(Debug, Clone)]
pub struct Fit {
    pub coefficients: Vec<f64>,
    pub standard_errors: Vec<f64>,
    pub degrees_of_freedom: f64,
}

impl Fit {
    /// Two-sided p-value and 95% interval of coefficient `k` (Student's t).
    pub fn test(&self, k: usize) -> (f64, (f64, f64)) {
        let (b, se) = (self.coefficients[k], self.standard_errors[k]);
        let Ok(t) = StudentsT::new(0.0, 1.0, self.degrees_of_freedom) else {
            return (1.0, (f64::NAN, f64::NAN));
        };
        let p = if se > 0.0 {
            2.0 * (1.0 - t.cdf((b / se).abs()))
        } else {
            0.0
        };
        let q = t.inverse_cdf(0.975);
        (p, (b - q * se, b + q * se))
    }

    pub fn predict(&self, row: &[f64]) -> f64 {
        row.iter().zip(&self.coefficients).map(|(x, b)| x * b).sum()
    }
}

pub fn ols(rows: &[Vec<f64>], y: &[f64]) -> Option<Fit> {
    ols_of(rows, y, 0..rows.len())
}

/// Least squares over the rows picked by `picks` (a bootstrap resample), without copying
/// them.
pub fn ols_of(
    rows: &[Vec<f64>],
    y: &[f64],
    picks: impl Iterator<Item = usize> + Clone,
) -> Option<Fit> {
    let k = rows.first()?.len();
    let n = picks.clone().count();
    if n <= k {
        return None;
    }
    // X'X and X'y
    let mut xtx = vec![vec![0.0; k]; k];
    let mut xty = vec![0.0; k];
    for r in picks.clone() {
        let (row, yi) = (&rows[r], y[r]);
        for i in 0..k {
            xty[i] += row[i] * yi;
            for j in i..k {
                xtx[i][j] += row[i] * row[j];
            }
        }
    }
    // Only the upper triangle was summed; mirror it.
    for i in 1..k {
        let (upper, lower) = xtx.split_at_mut(i);
        for (j, row) in upper.iter().enumerate() {
            lower[0][j] = row[i];
        }
    }
    let inverse = invert(xtx)?;
    let coefficients: Vec<f64> = (0..k)
        .map(|i| (0..k).map(|j| inverse[i][j] * xty[j]).sum())
        .collect();
    let rss: f64 = picks
        .map(|r| {
            let fitted: f64 = rows[r].iter().zip(&coefficients).map(|(x, b)| x * b).sum();
            (y[r] - fitted).powi(2)
        })
        .sum();
    let degrees_of_freedom = (n - k) as f64;
    let sigma2 = rss / degrees_of_freedom;
    let standard_errors = (0..k)
        .map(|i| (sigma2 * inverse[i][i]).max(0.0).sqrt())
        .collect();
    Some(Fit {
        coefficients,
        standard_errors,
        degrees_of_freedom,
    })
}

/// Gauss–Jordan inverse with partial pivoting; `None` when (nearly) singular.
pub(crate) fn invert(mut a: Vec<Vec<f64>>) -> Option<Vec<Vec<f64>>> {
    let n = a.len();
    let mut inv: Vec<Vec<f64>> = (0..n)
        .map(|i| (0..n).map(|j| f64::from(u8::from(i == j))).collect())
        .collect();
    let scale = a
        .iter()
        .flatten()
        .fold(0.0_f64, |m, v| m.max(v.abs()))
        .max(1.0);
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-10 * scale {
            return None;
        }
        a.swap(col, pivot);
        inv.swap(col, pivot);
        let p = a[col][col];
        for j in 0..n {
            a[col][j] /= p;
            inv[col][j] /= p;
        }
        for i in 0..n {
            if i != col {
                let f = a[i][col];
                if f != 0.0 {
                    for j in 0..n {
                        a[i][j] -= f * a[col][j];
                        inv[i][j] -= f * inv[col][j];
                    }
                }
            }
        }
    }
    Some(inv)
}

pub fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// The mean and the sample standard deviation (n − 1); `None` below two values.
pub fn mean_and_sd(values: &[f64]) -> Option<(f64, f64)> {
    if values.len() < 2 {
        return None;
    }
    let mean = mean(values)?;
    let variance =
        values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (values.len() - 1) as f64;
    Some((mean, variance.sqrt()))
}

/// The `q` quantile (0..1) of `values`, linear between order statistics.
pub fn quantile(values: &mut [f64], q: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    let position = q * (values.len() - 1) as f64;
    let (low, high) = (position.floor() as usize, position.ceil() as usize);
    values[low] + (values[high] - values[low]) * (position - low as f64)
}

/// Indices of a moving-block bootstrap resample of `n` items in blocks of `block`
/// consecutive items (keeping the dependence between neighbours).
pub fn block_resample(rng: &mut ChaCha8Rng, n: usize, block: usize) -> Vec<usize> {
    if n == 0 {
        return Vec::new();
    }
    let block = block.clamp(1, n);
    let mut indices = Vec::with_capacity(n + block);
    while indices.len() < n {
        let start = rng.gen_range(0..=n - block);
        indices.extend(start..start + block);
    }
    indices.truncate(n);
    indices
}

/// A bootstrap summary: 95% percentile interval and the two-sided p-value of "no effect"
/// (twice the share of resamples on the other side of zero).
pub fn bootstrap_summary(estimates: &mut [f64], point: f64) -> Option<((f64, f64), f64)> {
    if estimates.len() < 50 {
        return None;
    }
    let other_side = estimates
        .iter()
        .filter(|&&e| if point < 0.0 { e >= 0.0 } else { e <= 0.0 })
        .count();
    let p = (2.0 * (other_side as f64 + 1.0) / (estimates.len() as f64 + 1.0)).min(1.0);
    let low = quantile(estimates, 0.025);
    let high = quantile(estimates, 0.975);
    Some(((low, high), p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn least_squares_recovers_a_line_and_tests_it() {
        let rows: Vec<Vec<f64>> = (0..20).map(|i| vec![1.0, f64::from(i)]).collect();
        let y: Vec<f64> = (0..20)
            .map(|i| 2.0 + 0.5 * f64::from(i) + if i % 2 == 0 { 0.1 } else { -0.1 })
            .collect();
        let fit = ols(&rows, &y).unwrap();
        assert!((fit.coefficients[1] - 0.5).abs() < 0.01);
        let (p, (low, high)) = fit.test(1);
        assert!(p < 1e-6 && low < 0.5 && 0.5 < high);
        assert!(ols(
            &[vec![1.0, 1.0], vec![1.0, 1.0], vec![1.0, 1.0]],
            &[1.0, 2.0, 3.0]
        )
        .is_none());
    }

    #[test]
    fn mean_and_sample_sd() {
        let (mean, sd) = mean_and_sd(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]).unwrap();
        assert_eq!(mean, 5.0);
        // Σ(x − 5)² = 32 over n − 1 = 7.
        assert!((sd - (32.0_f64 / 7.0).sqrt()).abs() < 1e-12, "{sd}");
        assert!(mean_and_sd(&[1.0]).is_none());
    }

    #[test]
    fn block_resamples_are_seeded_and_sized() {
        let a = block_resample(&mut ChaCha8Rng::seed_from_u64(7), 26, 2);
        let b = block_resample(&mut ChaCha8Rng::seed_from_u64(7), 26, 2);
        assert_eq!(a, b);
        assert_eq!(a.len(), 26);
        assert!(a.iter().all(|&i| i < 26));
        assert!(block_resample(&mut ChaCha8Rng::seed_from_u64(7), 0, 2).is_empty());
        assert_eq!(block_resample(&mut ChaCha8Rng::seed_from_u64(7), 1, 2), [0]);
    }
}
