//! Insight: does massage lower this person's painkiller use? Answered from their own journal
//! with a number, its uncertainty and a plain sentence — or "not enough data yet".
//!
//! # Method
//!
//! **Series.** Every local day from the first to the last entry: mean and max pain (and back
//! / leg pain), painkiller doses (intakes) in all and by class, opioid MME (a fentanyl patch
//! spread over its 3 days), massage sessions. Days without intakes count as days without
//! painkillers (the journal is taken as complete between its first and last entry). ISO
//! weeks average the days they hold; weeks with fewer than 4 days in the span are left out of
//! the comparisons.
//!
//! **Exposure.** A day is "after a massage" when a session took place on one of the 7 days
//! before; a week's exposure is the share of such days (0–1). This follows a lagged effect
//! into the next week instead of crediting only the calendar week of the session.
//!
//! **The days after a massage that differ (the verdict).** Nobody knows in advance when
//! relief starts or how long it lasts, so `lag_scan` tries every window from the day of the
//! massage (or up to two days later) lasting 1–10 days, at the same pain and time, and
//! calibrates the best window's difference against the session dates shifted around the
//! timeline (a permutation test over the whole search, so trying 30 windows does not make
//! false alarms likelier). The verdict is `lower_with_massage` when the lowest window's
//! p-value is at most 0.04, else `higher_with_massage` when the highest window's is at most
//! 0.01 (5% together), with the window, the change and an interval that repeats the window
//! choice in every bootstrap resample; the same on opioid MME for people who take
//! opioids. `not_enough_data` below 8 weeks, 3 sessions or 42 days with a pain entry.
//! `family` checks this on a family of simulated people the method was not written for
//! (README: the validation table).
//!
//! **Weeks with vs without massage (descriptive).** Days are autocorrelated and people book a
//! massage when pain is high, so days are not compared one by one. Over the days of the weeks
//! with at least 4 days in the span,
//! `doses = b0 + b1·after a massage + b2·pain + b3·time` is fitted by least squares: the pain
//! term compares days at similar pain (a massage booked on a bad week is not credited for the
//! regression to the mean that follows), the time term absorbs a slow drift. The reported
//! change is `100 · b1 / (fitted doses without exposure at average pain and time)` — the
//! change for a day spent after massages. Its 95% interval and p-value come from the same
//! change with the session dates shifted around the timeline (as the verdict's calibration):
//! `change ± t · spread of the shifted changes`, `t` with one degree of freedom per two
//! weeks of timeline (`shifted_exposure`). No random numbers: the same data always gives the
//! same answer. Plain means of weeks with and without a session are shown too.
//! It is shown beside the verdict, which no longer rests on it: its fixed 7-day exposure
//! missed relief of other timings.
//!
//! **Around each session.** Mean daily doses on the N days after each session against the N
//! days before (N = 3 by default), pooled over sessions, with a bootstrap over sessions. It is
//! descriptive: sessions booked on bad days are followed by better days anyway (regression to
//! the mean), which is why the verdict does not rest on it.
//!
//! **Trend.** Weekly doses/day against time (slope per week with a t interval), and an
//! interrupted time series around the first massage: level change and slope change.
//!
//! **Pain** is shown in the same three views (not adjusted for itself), so fewer pills with
//! rising pain is visible, and searched like the pills (`lag_scan::scan_pain`: the 30
//! windows at the same point in time, calibrated on the same shifts, 2.5% each way). The
//! sentence's words on pain rest on that search: "your pain was lower on days 1–4 after a
//! massage (about 20% below other days)", and when the doses show no clear difference at
//! the same pain, a note that pills saved through eased pain show there instead. Everything is about this one person's records: an association in
//! their own data, not a medical claim. `simulate` checks the method on synthetic journals
//! with known effects (see the README for the table).

pub mod analysis;
pub mod demo;
pub mod family;
pub mod lag_scan;
pub mod load;
#[cfg(test)]
mod odd_journals;
pub mod reference;
pub mod series;
pub mod shifted_exposure;
pub mod simulate;
pub mod stats;
