//! The page a share link opens (`/s/{token}`): server-rendered HTML without JavaScript,
//! readable on a phone — the patient's name and period, the verdict sentence, the chart
//! inline, the weekly table, the medications (scope permitting) and the PDF; for the
//! `therapist` scope the massage sessions and recent pain regions instead.
//!
//! Templates are askama's (`templates/`): checked at compile time, every value HTML-escaped
//! unless marked safe — only the chart, which `reports::chart` builds with escaped text.

use askama::Template;

use super::access::{self, Viewer};
use super::views::{massage_view, MassageView};
use super::{Scope, View};
use crate::error::ApiError;
use crate::reports::doctor::{self, Paper, ReportData};
use crate::reports::PeriodParams;
use crate::state::AppState;

/// Weeks of pain regions a therapist sees.
const THERAPIST_WEEKS: i64 = 8;

#[derive(Template)]
#[template(path = "share.html")]
struct SharePage {
    title: String,
    report: Option<ReportData>,
    chart_svg: Option<String>,
    massage: Option<MassageView>,
    pdf_path: Option<String>,
}

#[derive(Template)]
#[template(path = "share_gone.html")]
struct GonePage;

/// The page shown for an expired, revoked or unknown link (sent with 404).
pub fn gone() -> String {
    GonePage
        .render()
        .unwrap_or_else(|_| "This share is no longer available.".into())
}

/// What one read of the grant's data gave.
enum Read {
    Summary(doctor::Snapshot),
    Therapist(MassageView, String),
}

/// The page for a link token, logged as a view of `page`; 404 when the link does not work
/// (any reason).
pub async fn for_link(
    state: &AppState,
    token: String,
    address: Option<String>,
) -> Result<String, ApiError> {
    let pdf_path = format!("/s/{token}/report.pdf");
    render(state, Viewer::Link { token }, address, pdf_path).await
}

/// The same page for a signed-in clinician, with the PDF at its clinician route.
pub async fn for_clinician(
    state: &AppState,
    clinician: crate::domain::UserId,
    patient: String,
    address: Option<String>,
) -> Result<String, ApiError> {
    let pdf_path = format!("/v1/clinician/patients/{patient}/report.pdf");
    render(
        state,
        Viewer::Clinician { clinician, patient },
        address,
        pdf_path,
    )
    .await
}

async fn render(
    state: &AppState,
    viewer: Viewer,
    address: Option<String>,
    pdf_path: String,
) -> Result<String, ApiError> {
    let read = access::read_as(
        state,
        viewer,
        View::Page,
        "page".into(),
        address,
        |conn, opened| match opened.scope {
            Scope::Therapist => {
                let name = crate::auth::accounts::read_profile(conn, &opened.patient)?
                    .display_name
                    .unwrap_or_else(|| "Patient".into());
                Ok((
                    opened.scope,
                    Read::Therapist(massage_view(conn, &opened.patient, THERAPIST_WEEKS)?, name),
                ))
            }
            Scope::Summary | Scope::Full => Ok((
                opened.scope,
                Read::Summary(doctor::read_snapshot(
                    conn,
                    &opened.patient,
                    &PeriodParams::default(),
                )?),
            )),
        },
    )
    .await?;
    let page = match read {
        (_, Read::Therapist(massage, name)) => SharePage {
            title: format!("{name}: massage sessions"),
            report: None,
            chart_svg: None,
            massage: Some(massage),
            pdf_path: None,
        },
        (_, Read::Summary(snapshot)) => {
            let (report, svg) = doctor::compose(snapshot, Paper::A4).await?;
            SharePage {
                title: format!("{}: pain and painkillers", report.patient),
                report: Some(report),
                chart_svg: Some(svg),
                massage: None,
                pdf_path: Some(pdf_path),
            }
        }
    };
    page.render().map_err(ApiError::internal)
}
