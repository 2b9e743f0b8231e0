//! Read-side queries over the projections.

use crate::access::Visibility;
use crate::model::{DutyFilter, DutyRecord, EpisodeRow, MissingChild};
use crate::sql::{Param, Sql};
use crate::{Store, StoreError, secs, with_db};
use jiff::Timestamp;

impl Store {
    /// Duties, filtered, ordered by due then id. Done, excepted and lapsed
    /// ones only with `include_closed`.
    ///
    /// The SQL names only the filters given, so the indexes on open duties
    /// (authority, role, due) serve "my overdue duties" directly. Every value
    /// is a bound parameter; only fixed fragments are joined.
    pub async fn duties(&self, f: &DutyFilter, now: Timestamp) -> Result<Vec<DutyRecord>, StoreError> {
        let now_s = secs(now);
        let mut sql = Sql::new(concat!("SELECT ", crate::duty_columns!(), " FROM duties"));
        let mut first = true;
        let mut and = |sql: &mut Sql| {
            sql.text(if first { " WHERE " } else { " AND " });
            first = false;
        };
        if let Some(a) = &f.authority {
            and(&mut sql);
            sql.text("authority = ");
            sql.param(Param::Text(a.clone()));
        }
        if let Some(c) = &f.child {
            and(&mut sql);
            sql.text("child_id = ");
            sql.param(Param::Text(c.clone()));
        }
        if let Some(k) = &f.kind {
            and(&mut sql);
            sql.text("kind = ");
            sql.param(Param::Text(k.clone()));
        }
        if let Some(r) = &f.by_role {
            and(&mut sql);
            sql.text("by_role = ");
            sql.param(Param::Text(r.clone()));
        }
        if let Some(w) = &f.owner {
            and(&mut sql);
            sql.text("EXISTS (SELECT 1 FROM episodes o WHERE o.child_id = duties.child_id AND o.episode = duties.episode AND o.owner_worker = ");
            sql.param(Param::Text(w.clone()));
            sql.text(")");
        }
        if let Some(t) = &f.team {
            and(&mut sql);
            sql.text("EXISTS (SELECT 1 FROM episodes o WHERE o.child_id = duties.child_id AND o.episode = duties.episode AND o.owner_team = ");
            sql.param(Param::Text(t.clone()));
            sql.text(")");
        }
        if f.to_consider {
            and(&mut sql);
            sql.text("state = 'to_consider'");
        } else if !f.include_closed || f.overdue || f.due_within_hours.is_some() {
            and(&mut sql);
            sql.text("state IN ('due', 'overdue', 'upcoming')");
        }
        if f.overdue {
            and(&mut sql);
            sql.text("due < ");
            sql.param(Param::Int(now_s));
            sql.text(" AND triggered_at <= ");
            sql.param(Param::Int(now_s));
        }
        if let Some(h) = f.due_within_hours {
            and(&mut sql);
            sql.text("due >= ");
            sql.param(Param::Int(now_s));
            sql.text(" AND due <= ");
            sql.param(Param::Int(now_s + h * 3600));
        }
        if let Some(v) = &f.visible {
            // Correlated, so a list in due order checks only the children of
            // the duties it reads until it has enough, not every child first.
            and(&mut sql);
            sql.text("EXISTS (SELECT 1 FROM children c WHERE c.id = duties.child_id AND ");
            v.push(&mut sql);
            sql.text(")");
        }
        sql.text(" ORDER BY due, id LIMIT ");
        sql.param(Param::Int(f.limit.unwrap_or(i64::MAX)));
        sql.text(" OFFSET ");
        sql.param(Param::Int(f.offset));
        let (text, params) = sql.parts();
        let rows: Vec<DutyRecord> = with_db!(self.db(), p => {
            crate::bind_all!(sqlx::query_as(sqlx::AssertSqlSafe(text.clone())), params).fetch_all(p).await
        })?;
        Ok(rows)
    }

    /// Children missing now (an open episode), newest first, in an authority
    /// if given, among those `visible` allows.
    pub async fn currently_missing(&self, authority: Option<&str>, visible: Option<&Visibility>) -> Result<Vec<MissingChild>, StoreError> {
        let mut sql = Sql::new(
            "SELECT c.id AS child_id, c.given_name, c.family_name, c.date_of_birth, c.status, c.responsible_authority, c.living_in, \
             e.episode, e.started_at, e.category, e.risk, e.owner_worker, e.owner_team \
             FROM episodes e JOIN children c ON c.id = e.child_id WHERE e.returned_at IS NULL",
        );
        if let Some(a) = authority {
            sql.text(" AND (c.living_in = ");
            sql.param(Param::Text(a.to_string()));
            sql.text(" OR c.responsible_authority = ");
            sql.param(Param::Text(a.to_string()));
            sql.text(")");
        }
        if let Some(v) = visible {
            sql.text(" AND ");
            v.push(&mut sql);
        }
        sql.text(" ORDER BY e.started_at DESC, c.id");
        let (text, params) = sql.parts();
        let rows: Vec<MissingChild> = with_db!(self.db(), p => {
            crate::bind_all!(sqlx::query_as(sqlx::AssertSqlSafe(text.clone())), params).fetch_all(p).await
        })?;
        Ok(rows)
    }

    /// The risk grade of every episode of `children` whose child `visible`
    /// lets through, in one query: (child, episode, risk).
    pub async fn episode_risks(&self, children: &[String], visible: Option<&Visibility>) -> Result<Vec<(String, String, String)>, StoreError> {
        if children.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new("SELECT e.child_id, e.episode, e.risk FROM episodes e JOIN children c ON c.id = e.child_id WHERE c.id IN (");
        for (i, id) in children.iter().enumerate() {
            if i > 0 {
                sql.text(", ");
            }
            sql.param(Param::Text(id.clone()));
        }
        sql.text(")");
        if let Some(v) = visible {
            sql.text(" AND ");
            v.push(&mut sql);
        }
        let (text, params) = sql.parts();
        let rows: Vec<(String, String, String)> = with_db!(self.db(), p => {
            crate::bind_all!(sqlx::query_as(sqlx::AssertSqlSafe(text.clone())), params).fetch_all(p).await
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

    /// Episodes of the children `visible` allows, started since `since`,
    /// with the child's facts but no names (for pseudonymised reports).
    pub async fn pseudonymous_episodes(&self, visible: &Visibility, since: i64, limit: i64, offset: i64) -> Result<Vec<EpisodeFacts>, StoreError> {
        let mut sql = Sql::new(
            "SELECT c.id AS child_id, c.date_of_birth, c.status, c.responsible_authority, c.living_in, c.flags, \
             e.episode, e.started_at, e.returned_at, e.category, e.risk \
             FROM episodes e JOIN children c ON c.id = e.child_id WHERE e.started_at >= ",
        );
        sql.param(Param::Int(since));
        sql.text(" AND ");
        visible.push(&mut sql);
        sql.text(" ORDER BY e.started_at, c.id, e.episode LIMIT ");
        sql.param(Param::Int(limit));
        sql.text(" OFFSET ");
        sql.param(Param::Int(offset));
        let (text, params) = sql.parts();
        let rows: Vec<EpisodeFacts> = with_db!(self.db(), p => {
            crate::bind_all!(sqlx::query_as(sqlx::AssertSqlSafe(text.clone())), params).fetch_all(p).await
        })?;
        Ok(rows)
    }

    /// A named setting, set to `value` the first time it is asked for (so
    /// every instance agrees on it from then on).
    pub async fn setting_or_init(&self, name: &str, value: &str) -> Result<String, StoreError> {
        with_db!(self.db(), p => {
            sqlx::query("INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING").bind(name).bind(value).execute(p).await.map(|_| ())
        })?;
        let stored: String = with_db!(self.db(), p => sqlx::query_scalar("SELECT value FROM settings WHERE name = $1").bind(name).fetch_one(p).await)?;
        Ok(stored)
    }
}

/// An episode with its child's facts but no names, for reports.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct EpisodeFacts {
    pub child_id: String,
    pub date_of_birth: String,
    pub status: String,
    pub responsible_authority: String,
    pub living_in: String,
    pub flags: String,
    pub episode: String,
    pub started_at: i64,
    pub returned_at: Option<i64>,
    pub category: String,
    pub risk: String,
}
