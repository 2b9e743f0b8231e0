//! Read-side queries over the projections.

use crate::model::{DutyFilter, DutyRecord, EpisodeRow, MissingChild};
use crate::{Store, StoreError, secs, with_db};
use jiff::Timestamp;

impl Store {
    /// Duties, filtered, ordered by due then id. Done, excepted and lapsed
    /// ones only with `include_closed`.
    ///
    /// The SQL names only the filters given, so the indexes on open duties
    /// (authority, role, due) serve "my overdue duties" directly. Every value
    /// is a bound parameter; only fixed fragments are joined.
    pub async fn duties<'a>(&self, f: &'a DutyFilter, now: Timestamp) -> Result<Vec<DutyRecord>, StoreError> {
        enum Param<'a> {
            Text(&'a str),
            Int(i64),
        }
        let now_s = secs(now);
        let mut conditions: Vec<String> = Vec::new();
        let mut params: Vec<Param<'_>> = Vec::new();
        let mut add = |fragment: &str, values: Vec<Param<'a>>| {
            let mut text = fragment.to_string();
            for v in values {
                params.push(v);
                text = text.replacen('?', &format!("${}", params.len()), 1);
            }
            conditions.push(text);
        };
        if let Some(a) = &f.authority {
            add("authority = ?", vec![Param::Text(a)]);
        }
        if let Some(c) = &f.child {
            add("child_id = ?", vec![Param::Text(c)]);
        }
        if let Some(k) = &f.kind {
            add("kind = ?", vec![Param::Text(k)]);
        }
        if let Some(r) = &f.by_role {
            add("by_role = ?", vec![Param::Text(r)]);
        }
        if let Some(w) = &f.owner {
            add(
                "EXISTS (SELECT 1 FROM episodes o WHERE o.child_id = duties.child_id AND o.episode = duties.episode AND o.owner_worker = ?)",
                vec![Param::Text(w)],
            );
        }
        if let Some(t) = &f.team {
            add(
                "EXISTS (SELECT 1 FROM episodes o WHERE o.child_id = duties.child_id AND o.episode = duties.episode AND o.owner_team = ?)",
                vec![Param::Text(t)],
            );
        }
        if !f.include_closed || f.overdue || f.due_within_hours.is_some() {
            add("state IN ('due', 'overdue', 'upcoming')", vec![]);
        }
        if f.overdue {
            add("due < ? AND triggered_at <= ?", vec![Param::Int(now_s), Param::Int(now_s)]);
        }
        if let Some(h) = f.due_within_hours {
            add("due >= ? AND due <= ?", vec![Param::Int(now_s), Param::Int(now_s + h * 3600)]);
        }
        let mut sql = String::from(concat!("SELECT ", crate::duty_columns!(), " FROM duties"));
        if !conditions.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&conditions.join(" AND "));
        }
        sql.push_str(&format!(" ORDER BY due, id LIMIT ${} OFFSET ${}", params.len() + 1, params.len() + 2));
        let rows: Vec<DutyRecord> = with_db!(self.db(), p => {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()));
            for v in &params {
                q = match v {
                    Param::Text(t) => q.bind(*t),
                    Param::Int(i) => q.bind(*i),
                };
            }
            q.bind(f.limit.unwrap_or(i64::MAX)).bind(f.offset).fetch_all(p).await
        })?;
        Ok(rows)
    }

    /// Children missing now (an open episode), newest first, in an authority if given.
    pub async fn currently_missing(&self, authority: Option<&str>) -> Result<Vec<MissingChild>, StoreError> {
        let rows: Vec<MissingChild> = with_db!(self.db(), p => {
            sqlx::query_as(
                "SELECT c.id AS child_id, c.given_name, c.family_name, c.date_of_birth, c.status, c.responsible_authority, c.living_in, \
                 e.episode, e.started_at, e.category, e.risk, e.owner_worker, e.owner_team \
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
            sqlx::query_as(
                "SELECT episode, started_at, returned_at, category, risk, owner_worker, owner_team, owner_since, owner_reason \
                 FROM episodes WHERE child_id = $1 ORDER BY started_at",
            )
                .bind(child_id)
                .fetch_all(p)
                .await
        })?;
        Ok(rows)
    }
}
