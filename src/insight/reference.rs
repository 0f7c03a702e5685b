//! Issue 9's plain reference, for validation only: a Poisson fit of the daily outcome on
//! pain, a time trend and one post-session window, tried for each of the 30 windows, the
//! most extreme Wald `z` taken. Its critical value comes from simulated people with no
//! effect (`family`), which a real person's journal cannot offer: it is the bar the search in
//! `lag_scan` is held against, not a method the app could use.
//!
//! Pain enters on the scale the family's doses follow (`log rate = a + 0.2·pain`), not as
//! log pain: that only helps the reference.

use super::lag_scan::{MAX_LENGTH, MAX_ONSET};
use super::series::Day;
use super::stats::invert;

/// The lowest and the highest `z` over the 30 windows; `None` when no window can be fitted.
pub fn extreme_z(days: &[Day], outcome: impl Fn(&Day) -> f64) -> Option<(f64, f64)> {
    let sessions: Vec<usize> = days
        .iter()
        .enumerate()
        .filter(|(_, d)| d.massage_sessions > 0)
        .map(|(i, _)| i)
        .collect();
    let used: Vec<(usize, f64, f64)> = days
        .iter()
        .enumerate()
        .filter_map(|(i, d)| d.pain_mean.map(|pain| (i, pain, outcome(d))))
        .collect();
    // Days from the latest session on or before `t − onset`, per used day and onset.
    let since = |t: usize, onset: usize| -> Option<usize> {
        let last = t.checked_sub(onset)?;
        sessions
            .iter()
            .rev()
            .find(|&&s| s <= last)
            .map(|&s| last - s)
    };
    let y: Vec<f64> = used.iter().map(|u| u.2).collect();
    let mut extremes: Option<(f64, f64)> = None;
    for onset in 0..=MAX_ONSET {
        let lags: Vec<Option<usize>> = used.iter().map(|&(t, _, _)| since(t, onset)).collect();
        for length in 1..=MAX_LENGTH {
            let rows: Vec<[f64; 4]> = used
                .iter()
                .zip(&lags)
                .map(|(&(t, pain, _), lag)| {
                    let in_window = lag.is_some_and(|d| d < length);
                    [1.0, pain, t as f64 / 182.0, f64::from(u8::from(in_window))]
                })
                .collect();
            let Some(z) = poisson_z(&rows, &y) else {
                continue;
            };
            let e = extremes.get_or_insert((z, z));
            e.0 = e.0.min(z);
            e.1 = e.1.max(z);
        }
    }
    extremes
}

/// The Wald `z` of the last column in a Poisson regression (log link) fitted by iteratively
/// reweighted least squares; `None` when it does not converge or the column is degenerate.
fn poisson_z(rows: &[[f64; 4]], y: &[f64]) -> Option<f64> {
    let mean = y.iter().sum::<f64>() / y.len().max(1) as f64;
    if mean <= 0.0 || rows.iter().all(|r| r[3] == rows[0][3]) {
        return None;
    }
    let mut beta = [mean.ln(), 0.0, 0.0, 0.0];
    for _ in 0..50 {
        let mut xwx = vec![vec![0.0; 4]; 4];
        let mut xwz = [0.0; 4];
        for (row, &yi) in rows.iter().zip(y) {
            let eta: f64 = row.iter().zip(&beta).map(|(x, b)| x * b).sum();
            let mu = eta.clamp(-30.0, 30.0).exp();
            let working = eta + (yi - mu) / mu;
            for i in 0..4 {
                xwz[i] += mu * row[i] * working;
                for j in 0..4 {
                    xwx[i][j] += mu * row[i] * row[j];
                }
            }
        }
        let inverse = invert(xwx)?;
        let next: [f64; 4] = std::array::from_fn(|i| (0..4).map(|j| inverse[i][j] * xwz[j]).sum());
        let moved = next
            .iter()
            .zip(&beta)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        beta = next;
        if moved < 1e-8 {
            let se = inverse[3][3].sqrt();
            return (se.is_finite() && se > 0.0).then(|| beta[3] / se);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_with_half_the_counts_has_a_clearly_negative_z() {
        // 200 days at 4 a day, every tenth day a window at 2 a day.
        let rows: Vec<[f64; 4]> = (0..200)
            .map(|t| {
                [
                    1.0,
                    5.0 + (t % 3) as f64,
                    t as f64 / 182.0,
                    f64::from(u8::from(t % 10 == 0)),
                ]
            })
            .collect();
        let y: Vec<f64> = (0..200)
            .map(|t| if t % 10 == 0 { 2.0 } else { 4.0 })
            .collect();
        let z = poisson_z(&rows, &y).unwrap();
        // log(2/4) / sqrt(1/40 + 1/720) ≈ −4.3
        assert!((-4.6..-4.0).contains(&z), "{z}");
        let flat = vec![[1.0, 5.0, 0.0, 0.0]; 10];
        assert!(poisson_z(&flat, &[1.0; 10]).is_none());
    }
}
