//! The chart a clinician reads first: daily pain (overall, back, leg) above, painkiller doses
//! and opioid MME per day below, on one time axis, every massage session marked in both.
//!
//! Drawn with `plotters` into SVG (text as `<text>`, escaped by the backend; no fonts needed
//! at run time), at a fixed size with a `viewBox` (written by plotters) so it scales on a
//! phone and in the PDF.

use chrono::{Duration, NaiveDate};
use plotters::coord::Shift;
use plotters::prelude::*;

use super::Period;
use crate::insight::series::Day;

pub const WIDTH: u32 = 960;
pub const HEIGHT: u32 = 440;

const PAIN: RGBColor = RGBColor(33, 66, 140);
const BACK: RGBColor = RGBColor(214, 120, 30);
const LEG: RGBColor = RGBColor(40, 140, 80);
const DOSES: RGBColor = RGBColor(120, 120, 120);
const MME: RGBColor = RGBColor(190, 40, 40);
const MASSAGE: RGBColor = RGBColor(128, 60, 160);

/// Longest period whose pain values get a dot each: beyond it dots sit closer than 8 px and
/// only blur the line, while five years of them (thousands of circles) slow the PDF layout.
const DOTS_MAX_DAYS: f64 = 120.0;

type DrawResult<T> = Result<T, String>;
/// Reads one line's value from a day.
type DayValue = fn(&Day) -> Option<f64>;

fn failed(e: impl std::fmt::Display) -> String {
    format!("chart: {e}")
}

/// What both panels share: the days of the period as x (0 = its first day), their labels,
/// and where the sessions are.
struct TimeAxis<'a> {
    range: std::ops::Range<f64>,
    at: &'a dyn Fn(NaiveDate) -> f64,
    label: &'a dyn Fn(&f64) -> String,
    sessions: Vec<f64>,
}

/// The chart of `days` (the series' days, any subset of the period) over `period`.
pub fn render(period: &Period, days: &[Day]) -> DrawResult<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(failed)?;
        let (top, bottom) = root.split_vertically(HEIGHT * 52 / 100);
        let length = period.days().max(1);
        let x_range = -0.5..(length as f64 - 0.5);
        let at = |date: NaiveDate| (date - period.from).num_days() as f64;
        let label = |x: &f64| {
            (period.from + Duration::days(x.round() as i64))
                .format("%-d %b %y")
                .to_string()
        };
        let sessions: Vec<f64> = days
            .iter()
            .filter(|d| d.massage_sessions > 0)
            .map(|d| at(d.date))
            .collect();
        let axis = TimeAxis {
            range: x_range,
            at: &at,
            label: &label,
            sessions,
        };
        pain_panel(&top, &axis, days)?;
        dose_panel(&bottom, &axis, days)?;
        if days.is_empty() {
            root.draw(&Text::new(
                "No entries in this period",
                ((WIDTH / 2 - 110) as i32, (HEIGHT / 2) as i32),
                ("sans-serif", 18).into_font().color(&BLACK),
            ))
            .map_err(failed)?;
        }
        root.present().map_err(failed)?;
    }
    Ok(svg)
}

/// Runs of consecutive days that have a value, so a gap in the journal is a gap in the line.
fn runs(points: impl Iterator<Item = (f64, Option<f64>)>) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut previous_x = f64::NEG_INFINITY;
    for (x, y) in points {
        match y {
            Some(y) => {
                if x - previous_x > 1.5 || out.is_empty() {
                    out.push(Vec::new());
                }
                out.last_mut().expect("a run").push((x, y));
                previous_x = x;
            }
            None => previous_x = f64::NEG_INFINITY,
        }
    }
    out
}

fn pain_panel(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    axis: &TimeAxis<'_>,
    days: &[Day],
) -> DrawResult<()> {
    let (at, label, sessions) = (axis.at, axis.label, &axis.sessions);
    let mut chart = ChartBuilder::on(area)
        .caption(
            "Pain 0–10, daily mean: overall (blue), back (orange), leg (green); ▲ massage",
            ("sans-serif", 16),
        )
        .margin(8)
        .x_label_area_size(22)
        .y_label_area_size(44)
        .right_y_label_area_size(44)
        .build_cartesian_2d(axis.range.clone(), 0.0..11.0)
        .map_err(failed)?;
    chart
        .configure_mesh()
        .x_labels(8)
        .x_label_formatter(label)
        .y_labels(6)
        .y_label_formatter(&|y| format!("{y:.0}"))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(failed)?;
    // Back and leg first, thin; overall pain last, on top.
    let series: [(RGBColor, u32, DayValue); 3] = [
        (BACK, 1, |d| d.back_pain_mean),
        (LEG, 1, |d| d.leg_pain_mean),
        (PAIN, 2, |d| d.pain_mean),
    ];
    let dots = axis.range.end - axis.range.start <= DOTS_MAX_DAYS;
    for (color, width, value) in series {
        for line in runs(days.iter().map(|d| (at(d.date), value(d)))) {
            chart
                .draw_series(LineSeries::new(
                    line.iter().copied(),
                    color.stroke_width(width),
                ))
                .map_err(failed)?;
            if !dots {
                continue;
            }
            chart
                .draw_series(
                    line.iter()
                        .map(|&point| Circle::new(point, width + 1, color.filled())),
                )
                .map_err(failed)?;
        }
    }
    chart
        .draw_series(
            sessions
                .iter()
                .map(|&x| TriangleMarker::new((x, 10.5), 6, MASSAGE.filled())),
        )
        .map_err(failed)?;
    Ok(())
}

fn dose_panel(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    axis: &TimeAxis<'_>,
    days: &[Day],
) -> DrawResult<()> {
    let (at, label, sessions) = (axis.at, axis.label, &axis.sessions);
    let max_doses = days.iter().map(|d| d.doses).fold(0.0, f64::max);
    let max_mme = days.iter().map(|d| d.opioid_mme).fold(0.0, f64::max);
    let mut chart = ChartBuilder::on(area)
        .caption(
            "Painkiller doses per day (grey, left) and opioid MME per day (red, right)",
            ("sans-serif", 16),
        )
        .margin(8)
        .x_label_area_size(22)
        .y_label_area_size(44)
        .right_y_label_area_size(44)
        .build_cartesian_2d(axis.range.clone(), 0.0..(max_doses.max(4.0) * 1.1))
        .map_err(failed)?
        .set_secondary_coord(axis.range.clone(), 0.0..(max_mme.max(10.0) * 1.1));
    chart
        .configure_mesh()
        .x_labels(8)
        .x_label_formatter(label)
        .y_labels(5)
        .y_label_formatter(&|y| format!("{y:.0}"))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(failed)?;
    if max_mme > 0.0 {
        chart
            .configure_secondary_axes()
            .y_labels(5)
            .y_label_formatter(&|y| format!("{y:.0}"))
            .draw()
            .map_err(failed)?;
    }
    // Sessions as faint columns behind the bars.
    chart
        .draw_series(sessions.iter().map(|&x| {
            Rectangle::new(
                [(x - 0.5, 0.0), (x + 0.5, max_doses.max(4.0) * 1.1)],
                MASSAGE.mix(0.15).filled(),
            )
        }))
        .map_err(failed)?;
    chart
        .draw_series(days.iter().filter(|d| d.doses > 0.0).map(|d| {
            let x = at(d.date);
            Rectangle::new([(x - 0.42, 0.0), (x, d.doses)], DOSES.filled())
        }))
        .map_err(failed)?;
    if max_mme > 0.0 {
        chart
            .draw_secondary_series(days.iter().filter(|d| d.opioid_mme > 0.0).map(|d| {
                let x = at(d.date);
                Rectangle::new([(x, 0.0), (x + 0.42, d.opioid_mme)], MME.filled())
            }))
            .map_err(failed)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_break_at_gaps() {
        let points = [
            (0.0, Some(1.0)),
            (1.0, Some(2.0)),
            (2.0, None),
            (3.0, Some(4.0)),
        ];
        let got = runs(points.into_iter());
        assert_eq!(got, vec![vec![(0.0, 1.0), (1.0, 2.0)], vec![(3.0, 4.0)]]);
        assert!(runs([(0.0, None)].into_iter()).is_empty());
    }
}
