//! Clinician sharing: a patient grants a clinician (by a code redeemed into a clinician
//! account) or anyone holding a link a read-only view of part of their journal, for a
//! limited time, and sees every look that was taken.
//!
//! - `grants`: create, list and revoke grants; redeem a code.
//! - `access`: what a clinician or a link may see, checked and written to the access log in
//!   the transaction that serves it (so nothing is served unlogged, and a revoked grant stops
//!   working on the very next request on every server: nothing is cached).
//! - `views`: the therapist's view (massage sessions, recent pain regions).
//! - `page`: the server-rendered page a link (or a clinician) opens.
//! - `secrets`: codes, link tokens, their hashes, truncated addresses.

pub mod access;
pub mod grants;
pub mod page;
pub mod secrets;
pub mod views;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How much of the journal a grant shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// The insight, the weekly series, the chart and the doctor's PDF.
    Summary,
    /// The summary and every journal row with its notes.
    Full,
    /// For the next massage therapist: massage sessions (with the therapist's notes) and the
    /// pain regions of recent weeks; no medications.
    Therapist,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Summary => "summary",
            Scope::Full => "full",
            Scope::Therapist => "therapist",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "summary" => Some(Scope::Summary),
            "full" => Some(Scope::Full),
            "therapist" => Some(Scope::Therapist),
            _ => None,
        }
    }

    /// Whether a grant of this scope shows `view`.
    pub fn allows(self, view: View) -> bool {
        match view {
            View::Summary => matches!(self, Scope::Summary | Scope::Full),
            View::Journal => self == Scope::Full,
            View::Massage => matches!(self, Scope::Therapist | Scope::Full),
            View::Page => true,
        }
    }
}

/// The kinds of thing a grant can show (what a scope is made of).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// Insight, weekly series, chart, PDF, the share page.
    Summary,
    /// The journal rows with their notes.
    Journal,
    /// Massage sessions and recent pain regions.
    Massage,
    /// The share page, which shows what the grant's scope holds.
    Page,
}

/// How a grant is handed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A code a clinician redeems into their account (single use; 24 h to redeem it).
    Code,
    /// A link that opens a page without an account.
    Link,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Code => "code",
            Kind::Link => "link",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "code" => Some(Kind::Code),
            "link" => Some(Kind::Link),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_show_what_they_promise() {
        use View::*;
        let shows = |scope: Scope| {
            [Summary, Journal, Massage]
                .into_iter()
                .filter(|&v| scope.allows(v))
                .collect::<Vec<_>>()
        };
        assert_eq!(shows(Scope::Summary), [Summary]);
        assert_eq!(shows(Scope::Full), [Summary, Journal, Massage]);
        assert_eq!(shows(Scope::Therapist), [Massage]);
        for scope in [Scope::Summary, Scope::Full, Scope::Therapist] {
            assert_eq!(Scope::parse(scope.as_str()), Some(scope));
        }
    }
}
