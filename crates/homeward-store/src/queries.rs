//! Read-side queries over the projections.

use crate::model::{DutyFilter, DutyRecord, EpisodeRow, MissingChild};
use crate::{Store, StoreError, secs, with_db};
use jiff::Timestamp;

impl Store {
    /// Duties, filtered, ordered by due then id. Done, excepted and lapsed
    /// ones only with `include_closed`.
    pub async fn duties(&self, f: &DutyFilter, now: Timestamp) -> Result<Vec<DutyRecord>, StoreError> {
        let now_s = secs(now);
        let within = f.due_within_hours.map(|h| now_s + h * 3600);
        let rows: Vec<DutyRecord> = with_db!(self.db(), p => {
            sqlx::query_as(concat!("SELECT ", crate::duty_columns!(), " FROM duties WHERE \
                 (CAST($1 AS TEXT) IS NULL OR authority = $1) \
                 AND (CAST($2 AS TEXT) IS NULL OR child_id = $2) \
                 AND (CAST($3 AS TEXT) IS NULL OR kind = $3) \
                 AND (CAST($4 AS TEXT) IS NULL OR by_role = $4) \
                 AND ($5 = 1 OR state IN ('due', 'overdue', 'upcoming')) \
                 AND ($6 = 0 OR (state IN ('due', 'overdue', 'upcoming') AND triggered_at <= $7 AND due < $7)) \
                 AND (CAST($8 AS BIGINT) IS NULL OR (state IN ('due', 'overdue', 'upcoming') AND due >= $7 AND due <= $8)) \
                 ORDER BY due, id LIMIT $9 OFFSET $10"))
            .bind(&f.authority)
            .bind(&f.child)
            .bind(&f.kind)
            .bind(&f.by_role)
            .bind(i64::from(f.include_closed))
            .bind(i64::from(f.overdue))
            .bind(now_s)
            .bind(within)
            .bind(f.limit.unwrap_or(i64::MAX))
            .bind(f.offset)
            .fetch_all(p)
            .await
        })?;
        Ok(rows)
    }

    /// Children missing now (an open episode), newest first, in an authority if given.
    pub async fn currently_missing(&self, authority: Option<&str>) -> Result<Vec<MissingChild>, StoreError> {
        let rows: Vec<MissingChild> = with_db!(self.db(), p => {
            sqlx::query_as(
                "SELECT c.id AS child_id, c.given_name, c.family_name, c.date_of_birth, c.status, c.responsible_authority, c.living_in, \
                 e.episode, e.started_at, e.category, e.risk \
                 FROM episodes e JOIN children c ON c.id = e.child_id \
                 WHERE e.returned_at IS NULL AND (CAST($1 AS TEXT) IS NULL OR c.living_in = $1 OR c.responsible_authority = $1) \
                 ORDER BY e.started_at DESC, c.id",
            )
            .bind(authority)
            .fetch_all(p)
            .await
        })?;
        Ok(rows)
    }

    pub async fn episodes(&self, child_id: &str) -> Result<Vec<EpisodeRow>, StoreError> {
        let rows: Vec<EpisodeRow> = with_db!(self.db(), p => {
            sqlx::query_as("SELECT episode, started_at, returned_at, category, risk FROM episodes WHERE child_id = $1 ORDER BY started_at")
                .bind(child_id)
                .fetch_all(p)
                .await
        })?;
        Ok(rows)
    }
}
