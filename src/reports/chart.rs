//! The chart a clinician reads first: daily pain (overall, back, leg) above, painkiller doses
//! and opioid MME per day below, on one time axis, every massage session marked in both.
//!
//! Drawn with `plotters` into SVG (text as `<text>`, escaped by the backend; no fonts needed
//! at run time), at a fixed size with a `viewBox` (written by plotters) so it scales on a
//! phone and in the PDF.

use chrono::{Datelike, Duration, NaiveDate};
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
/// Longest period drawn day by day. Beyond half a year a day is under 2 px wide: daily bars
/// turn into a grey smear a doctor cannot read, and five years of them (thousands of marks)
/// were most of the PDF's layout time. Longer periods are drawn as weekly means (ISO weeks, as in the weekly table).
const DAILY_MAX_DAYS: i64 = 183;

type DrawResult<T> = Result<T, String>;
/// Reads one line's value from a point.
type PointValue = fn(&Point) -> Option<f64>;

/// One mark on the time axis: a day, or the mean of 7 days on long periods.
#[derive(Debug, Clone, PartialEq)]
struct Point {
    /// Days since the period's first day (the middle of the days it holds).
    x: f64,
    pain: Option<f64>,
    back: Option<f64>,
    leg: Option<f64>,
    /// Painkiller doses per day.
    doses: f64,
    /// Opioid MME per day.
    mme: f64,
    massage_sessions: u32,
}

/// The points of `days` over `period`, each a day (`width` 1) or an ISO week, Monday to
/// Sunday (`width` 7) — the weeks of the report's weekly table, so a doctor reading a week's
/// point and its row sees the same days. Means are over the days of the series inside the
/// bin (the period's first and last weeks may be partial); a pain line's mean is over the
/// days that have that value.
fn points(period: &Period, days: &[Day], width: i64) -> Vec<Point> {
    let offset = |date: NaiveDate| (date - period.from).num_days();
    let first_monday =
        period.from - Duration::days(i64::from(period.from.weekday().num_days_from_monday()));
    let bin_of = |date: NaiveDate| match width {
        1 => offset(date),
        _ => (date - first_monday).num_days().div_euclid(width),
    };
    let mut out = Vec::new();
    let mut start = 0;
    while start < days.len() {
        let bin = bin_of(days[start].date);
        let end = start
            + days[start..]
                .iter()
                .take_while(|d| bin_of(d.date) == bin)
                .count();
        let group = &days[start..end];
        let n = group.len() as f64;
        let mean_of = |value: fn(&Day) -> Option<f64>| {
            let values: Vec<f64> = group.iter().filter_map(value).collect();
            crate::insight::stats::mean(&values)
        };
        out.push(Point {
            x: group.iter().map(|d| offset(d.date) as f64).sum::<f64>() / n,
            pain: mean_of(|d| d.pain_mean),
            back: mean_of(|d| d.back_pain_mean),
            leg: mean_of(|d| d.leg_pain_mean),
            doses: group.iter().map(|d| d.doses).sum::<f64>() / n,
            mme: group.iter().map(|d| d.opioid_mme).sum::<f64>() / n,
            massage_sessions: group.iter().map(|d| d.massage_sessions).sum(),
        });
        start = end;
    }
    out
}

fn failed(e: impl std::fmt::Display) -> String {
    format!("chart: {e}")
}

/// What both panels share: the days of the period as x (0 = its first day), their labels,
/// and where the sessions are.
struct TimeAxis<'a> {
    range: std::ops::Range<f64>,
    label: &'a dyn Fn(&f64) -> String,
    /// Days per point: 1, or 7 on long periods.
    width: f64,
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
        let width = if length > DAILY_MAX_DAYS { 7 } else { 1 };
        let points = points(period, days, width);
        let label = |x: &f64| {
            (period.from + Duration::days(x.round() as i64))
                .format("%-d %b %y")
                .to_string()
        };
        let sessions: Vec<f64> = points
            .iter()
            .filter(|p| p.massage_sessions > 0)
            .map(|p| p.x)
            .collect();
        let axis = TimeAxis {
            range: x_range,
            label: &label,
            width: width as f64,
            sessions,
        };
        pain_panel(&top, &axis, &points)?;
        dose_panel(&bottom, &axis, &points)?;
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

/// Runs of consecutive points (`width` days apart) that have a value, so a gap in the
/// journal is a gap in the line.
fn runs(points: impl Iterator<Item = (f64, Option<f64>)>, width: f64) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut previous_x = f64::NEG_INFINITY;
    for (x, y) in points {
        match y {
            Some(y) => {
                if x - previous_x > 1.5 * width || out.is_empty() {
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
    points: &[Point],
) -> DrawResult<()> {
    let (label, sessions) = (axis.label, &axis.sessions);
    let caption = if axis.width > 1.0 {
        "Pain 0–10, weekly mean: overall (blue), back (orange), leg (green); ▲ week with massage"
    } else {
        "Pain 0–10, daily mean: overall (blue), back (orange), leg (green); ▲ massage"
    };
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 16))
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
    let series: [(RGBColor, u32, PointValue); 3] = [
        (BACK, 1, |p| p.back),
        (LEG, 1, |p| p.leg),
        (PAIN, 2, |p| p.pain),
    ];
    let dots = axis.range.end - axis.range.start <= DOTS_MAX_DAYS;
    for (color, width, value) in series {
        for line in runs(points.iter().map(|p| (p.x, value(p))), axis.width) {
            chart
                .draw_series(LineSeries::new(
                    line.iter().copied(),
                    color.stroke_width(width),
                ))
                .map_err(failed)?;
            // A lone value has no line to show it: it keeps its dot on any period.
            if !dots && line.len() > 1 {
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
    points: &[Point],
) -> DrawResult<()> {
    let (label, sessions, width) = (axis.label, &axis.sessions, axis.width);
    let max_doses = points.iter().map(|p| p.doses).fold(0.0, f64::max);
    let max_mme = points.iter().map(|p| p.mme).fold(0.0, f64::max);
    let caption = if width > 1.0 {
        "Painkiller doses per day (grey, left) and opioid MME per day (red, right), weekly mean"
    } else {
        "Painkiller doses per day (grey, left) and opioid MME per day (red, right)"
    };
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 16))
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
                [
                    (x - 0.5 * width, 0.0),
                    (x + 0.5 * width, max_doses.max(4.0) * 1.1),
                ],
                MASSAGE.mix(0.15).filled(),
            )
        }))
        .map_err(failed)?;
    chart
        .draw_series(
            points.iter().filter(|p| p.doses > 0.0).map(|p| {
                Rectangle::new([(p.x - 0.42 * width, 0.0), (p.x, p.doses)], DOSES.filled())
            }),
        )
        .map_err(failed)?;
    if max_mme > 0.0 {
        chart
            .draw_secondary_series(
                points.iter().filter(|p| p.mme > 0.0).map(|p| {
                    Rectangle::new([(p.x, 0.0), (p.x + 0.42 * width, p.mme)], MME.filled())
                }),
            )
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
        let got = runs(points.into_iter(), 1.0);
        assert_eq!(got, vec![vec![(0.0, 1.0), (1.0, 2.0)], vec![(3.0, 4.0)]]);
        assert!(runs([(0.0, None)].into_iter(), 1.0).is_empty());
        // Weekly points 7 days apart are one run; a missing week breaks it.
        let weekly = [(3.0, Some(1.0)), (10.0, Some(2.0)), (24.0, Some(3.0))];
        assert_eq!(runs(weekly.into_iter(), 7.0).len(), 2);
    }

    fn day(date: NaiveDate, pain: Option<f64>, doses: f64, sessions: u32) -> Day {
        Day {
            date,
            pain_mean: pain,
            pain_max: pain,
            back_pain_mean: None,
            leg_pain_mean: None,
            doses,
            doses_by_class: Default::default(),
            opioid_mme: 2.0 * doses,
            massage_sessions: sessions,
            after_massage: false,
        }
    }

    #[test]
    fn long_periods_are_drawn_as_means_of_iso_weeks() {
        // A Thursday: the first week point holds Thursday to Sunday only.
        let from = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        assert_eq!(from.weekday(), chrono::Weekday::Thu);
        let period = Period {
            from,
            to: from + Duration::days(399),
        };
        // Days 0–8 of the period: pain on days 0, 2, 4, 8, doses on days 1 and 5, a session
        // on day 6. Days 0–3 are the week of 29 December; days 4–8 the week of 5 January.
        let days: Vec<Day> = (0..9)
            .map(|i| {
                let pain = [0, 2, 4, 8].contains(&i).then_some(i as f64);
                let doses = if i == 1 || i == 5 { 3.5 } else { 0.0 };
                day(from + Duration::days(i), pain, doses, u32::from(i == 6))
            })
            .collect();
        let got = points(&period, &days, 7);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].x, 1.5);
        assert_eq!(got[0].pain, Some(1.0));
        assert_eq!(got[0].doses, 0.875);
        assert_eq!(got[0].mme, 1.75);
        assert_eq!(got[0].massage_sessions, 0);
        assert_eq!(got[1].x, 6.0);
        assert_eq!(got[1].pain, Some(6.0));
        assert_eq!((got[1].doses, got[1].massage_sessions), (0.7, 1));
        // Day by day, each day is its own point.
        let daily = points(&period, &days, 1);
        assert_eq!(daily.len(), 9);
        assert_eq!((daily[5].x, daily[5].doses), (5.0, 3.5));

        let svg = render(&period, &days).unwrap();
        assert!(svg.contains("weekly mean"), "{svg}");
        // Two week points 4.5 days apart are one line, drawn without dots.
        assert!(!svg.contains("<circle"), "{svg}");
        let short = Period {
            from,
            to: from + Duration::days(89),
        };
        assert!(!render(&short, &days).unwrap().contains("weekly mean"));
    }
}
