//! Pseudonymised reports: rows without names, date of birth, photo or
//! address, for partnership analysts and managers reporting on their own
//! agency's children.

use crate::AppState;
use crate::access::visibility;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::http::shapes::PseudonymousEpisodeOut;
use crate::http::time;
use homeward_access::{Action, classify};
use jiff::Timestamp;

/// Episodes that started at or after `since` (seconds), of the children the
/// caller may report on, pseudonymised with this database's key.
pub async fn episodes(state: &AppState, caller: &Caller, since: i64, limit: i64, offset: i64) -> Result<Vec<PseudonymousEpisodeOut>, ApiError> {
    let visible = visibility(state, caller, Action::Read, classify::PSEUDONYMISED);
    let rows = state.store.pseudonymous_episodes(&visible, since, limit, offset).await?;
    let key = &crate::access::pseudonym_key(state).await?;
    Ok(rows
        .into_iter()
        .map(|r| PseudonymousEpisodeOut {
            child: crate::access::pseudonym(key, &r.child_id),
            age_at_start: age_at(&r.date_of_birth, r.started_at),
            flags: serde_json::from_str(&r.flags).unwrap_or_default(),
            status: r.status,
            responsible_authority: r.responsible_authority,
            living_in: r.living_in,
            episode: crate::access::pseudonym(key, &format!("{}/{}", r.child_id, r.episode)),
            started_at: time(r.started_at),
            returned_at: r.returned_at.map(time),
            category: r.category,
            risk: r.risk,
        })
        .collect())
}

fn age_at(date_of_birth: &str, at: i64) -> Option<i64> {
    let born: jiff::civil::Date = date_of_birth.parse().ok()?;
    let day = Timestamp::from_second(at).ok()?.to_zoned(jiff::tz::TimeZone::UTC).date();
    let years = i64::from(day.year() - born.year());
    Some(if (day.month(), day.day()) < (born.month(), born.day()) { years - 1 } else { years })
}
