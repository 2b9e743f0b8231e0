//! Imports of other agencies' lists (CSV): the police list of missing and
//! returned children, and placement notices. The rows are read and checked
//! by `crate::import`; here is who may import at all.

use crate::AppState;
use crate::access::policy_at;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::import::ImportReport;
use axum::http::StatusCode;
use homeward_access::{Action, classify};

/// A bad file names its column (or the row's field) as the offending field.
impl From<crate::import::FileError> for ApiError {
    fn from(e: crate::import::FileError) -> Self {
        ApiError::invalid(&e.column.clone(), e.to_string())
    }
}

/// Names the import in the audit entry, and refuses a caller the policy
/// never lets write episodes (each row is then decided on its own child).
pub fn may_import(state: &AppState, caller: &Caller, which: &str) -> Result<(), ApiError> {
    caller.audit.set_record("import", which);
    if policy_at(state, state.clock.now()).may_ever(&caller.principal, Action::Write, classify::EPISODE) {
        return Ok(());
    }
    caller.audit.refused(classify::EPISODE, homeward_access::DEFAULT_DENY);
    Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden", "your role may not record episodes, so it may not import them", None))
}

/// Imports the police's list; `dry_run` writes nothing.
pub async fn police_list(state: &AppState, caller: &Caller, csv: &str, dry_run: bool) -> Result<ImportReport, ApiError> {
    may_import(state, caller, "police-list")?;
    Ok(crate::import::police_list(state, csv, caller, dry_run).await?)
}

/// Imports placement notices; `dry_run` writes nothing.
pub async fn placement_notice(state: &AppState, caller: &Caller, csv: &str, dry_run: bool) -> Result<ImportReport, ApiError> {
    may_import(state, caller, "placement-notice")?;
    Ok(crate::import::placement_notice(state, csv, caller, dry_run).await?)
}
