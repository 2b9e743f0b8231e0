//! The facts need-to-know access rests on (agencies' involvements with a
//! child, break-glass grants), and the policy's list filter as SQL.
//!
//! [`Visibility`] turns a [`homeward_access::Filter`] into a condition on
//! the `children` table (alias `c`), so that lists, counts and searches
//! return exactly the records [`homeward_access::Policy::decide`] allows:
//! hidden records never reach the service, so nothing about them can leak
//! through paging, counts or errors.

use crate::sql::{Param, Sql};
use crate::{Store, StoreError, with_db};
use homeward_access::{Filter, Principal, RecordFacts, Relation};
use serde::Serialize;

/// A list filter for one principal at one instant.
#[derive(Debug, Clone)]
pub struct Visibility {
    pub filter: Filter,
    pub principal: Principal,
    pub now: i64,
}

impl Visibility {
    /// Appends the condition (on alias `c`) to `sql`, binding every value.
    pub fn push(&self, sql: &mut Sql) {
        if self.filter.is_empty() {
            sql.text("1 = 0");
            return;
        }
        sql.text("(");
        for (i, clause) in self.filter.clauses.iter().enumerate() {
            if i > 0 {
                sql.text(" OR ");
            }
            sql.text("(");
            match clause.relation {
                Relation::Any => sql.text("1 = 1"),
                Relation::Responsible | Relation::Host => {
                    let column = if clause.relation == Relation::Responsible { "c.responsible_authority" } else { "c.living_in" };
                    if self.principal.authorities.is_empty() {
                        sql.text("1 = 0");
                    } else {
                        sql.text(column);
                        sql.text(" IN (");
                        for (j, a) in self.principal.authorities.iter().enumerate() {
                            if j > 0 {
                                sql.text(", ");
                            }
                            sql.param(Param::Text(a.clone()));
                        }
                        sql.text(")");
                    }
                }
                Relation::BreakGlass => {
                    sql.text("EXISTS (SELECT 1 FROM access_grants g WHERE g.child_id = c.id AND g.user_id = ");
                    sql.param(Param::Text(self.principal.user_id.clone()));
                    sql.text(" AND g.expires_at > ");
                    sql.param(Param::Int(self.now));
                    sql.text(")");
                }
                involvement => {
                    sql.text("EXISTS (SELECT 1 FROM involvements i WHERE i.child_id = c.id AND i.agency_id = ");
                    sql.param(Param::Text(self.principal.agency_id.clone()));
                    sql.text(" AND i.relation = ");
                    sql.param(Param::Text(involvement.as_str().to_string()));
                    sql.text(" AND (i.ended_at IS NULL OR i.ended_at > ");
                    sql.param(Param::Int(self.now));
                    sql.text("))");
                }
            }
            for flag in &clause.unless_flags {
                // Flags are stored as a JSON array of plain identifiers.
                sql.text(" AND c.flags NOT LIKE ");
                sql.param(Param::Text(format!("%\"{flag}\"%")));
            }
            sql.text(")");
        }
        sql.text(")");
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Involvement {
    pub id: String,
    pub child_id: String,
    pub agency_id: String,
    pub relation: String,
    #[serde(skip)]
    pub address: Option<String>,
    pub reason: Option<String>,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub recorded_by: String,
    pub ended_by: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewInvolvement {
    pub agency_id: String,
    pub relation: String,
    pub address: Option<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AccessGrant {
    pub id: String,
    pub user_id: String,
    pub child_id: String,
    pub reason: String,
    pub granted_at: i64,
    pub expires_at: i64,
}

const INVOLVEMENT_COLUMNS: &str = "id, child_id, agency_id, relation, address, reason, started_at, ended_at, recorded_by, ended_by";

impl Store {
    /// What the policy needs to decide about `child_id` for `who` at `now`,
    /// or `None` when there is no such child.
    pub async fn record_facts(&self, child_id: &str, who: &Principal, now: i64) -> Result<Option<RecordFacts>, StoreError> {
        let Some(child) = self.child(child_id).await? else { return Ok(None) };
        let relations: Vec<String> = with_db!(self.db(), p => {
            sqlx::query_scalar(
                "SELECT relation FROM involvements WHERE child_id = $1 AND agency_id = $2 AND (ended_at IS NULL OR ended_at > $3)",
            )
            .bind(child_id).bind(&who.agency_id).bind(now).fetch_all(p).await
        })?;
        let grants: i64 = with_db!(self.db(), p => {
            sqlx::query_scalar("SELECT COUNT(*) FROM access_grants WHERE child_id = $1 AND user_id = $2 AND expires_at > $3")
                .bind(child_id).bind(&who.user_id).bind(now).fetch_one(p).await
        })?;
        Ok(Some(RecordFacts {
            flags: child.flag_list(),
            responsible_authority: child.responsible_authority,
            living_in: child.living_in,
            involvements: relations.iter().filter_map(|r| Relation::parse(r)).collect(),
            break_glass: grants > 0,
        }))
    }

    /// Ids of the children among `ids` that pass `visibility` (the same SQL
    /// condition every list uses).
    pub async fn visible_ids(&self, visibility: &Visibility, ids: &[String]) -> Result<Vec<String>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new("SELECT c.id FROM children c WHERE c.id IN (");
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                sql.text(", ");
            }
            sql.param(Param::Text(id.clone()));
        }
        sql.text(") AND ");
        visibility.push(&mut sql);
        sql.text(" ORDER BY c.id");
        Ok(with_db!(self.db(), p => {
            let (text, params) = sql.parts();
            let mut q = sqlx::query_scalar(sqlx::AssertSqlSafe(text));
            for v in params {
                q = match v {
                    Param::Text(t) => q.bind(t.as_str()),
                    Param::Int(i) => q.bind(*i),
                };
            }
            q.fetch_all(p).await
        })?)
    }

    pub async fn add_involvement(&self, child_id: &str, new: &NewInvolvement, recorded_by: &str, now: i64) -> Result<Involvement, StoreError> {
        let Some(relation) = Relation::parse(&new.relation).filter(|r| r.is_involvement()) else {
            let names: Vec<&str> = Relation::INVOLVEMENTS.iter().map(|r| r.as_str()).collect();
            return Err(StoreError::invalid("relation", format!("'{}' is not an involvement (expected one of: {})", new.relation, names.join(", "))));
        };
        let Some(agency) = self.agency(&new.agency_id).await? else {
            return Err(StoreError::invalid("agency", format!("no agency '{}'", new.agency_id)));
        };
        let kinds = relation.involvement_agencies();
        if !kinds.contains(&agency.kind.as_str()) {
            return Err(StoreError::invalid(
                "relation",
                format!("'{}' is a {} agency; a {} involvement is for a {} agency", agency.id, agency.kind, relation, kinds.join(" or ")),
            ));
        }
        if new.address.is_some() && relation != Relation::Placement {
            return Err(StoreError::invalid("address", "only a placement has an address"));
        }
        if let Some(address) = &new.address {
            homeward_core::text::multi_line(address, 500).map_err(|m| StoreError::invalid("address", m))?;
        }
        if let Some(reason) = &new.reason {
            homeward_core::text::multi_line(reason, 2000).map_err(|m| StoreError::invalid("reason", m))?;
        }
        if self.child(child_id).await?.is_none() {
            return Err(StoreError::NotFound("child"));
        }
        let id = uuid::Uuid::now_v7().to_string();
        with_db!(self.db(), p => {
            sqlx::query(
                "INSERT INTO involvements (id, child_id, agency_id, relation, address, reason, started_at, recorded_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&id).bind(child_id).bind(&new.agency_id).bind(relation.as_str()).bind(&new.address).bind(&new.reason).bind(now).bind(recorded_by)
            .execute(p).await.map(|_| ())
        })?;
        self.involvement(&id).await?.ok_or(StoreError::NotFound("involvement"))
    }

    pub async fn involvement(&self, id: &str) -> Result<Option<Involvement>, StoreError> {
        let sql = format!("SELECT {INVOLVEMENT_COLUMNS} FROM involvements WHERE id = $1");
        Ok(with_db!(self.db(), p => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(p).await)?)
    }

    /// Every involvement with the child, current and ended, oldest first.
    pub async fn involvements(&self, child_id: &str) -> Result<Vec<Involvement>, StoreError> {
        let sql = format!("SELECT {INVOLVEMENT_COLUMNS} FROM involvements WHERE child_id = $1 ORDER BY started_at, id");
        Ok(with_db!(self.db(), p => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(child_id).fetch_all(p).await)?)
    }

    /// Ends an involvement (it is kept, with who ended it and when).
    pub async fn end_involvement(&self, child_id: &str, id: &str, ended_by: &str, now: i64) -> Result<Involvement, StoreError> {
        let n = with_db!(self.db(), p => {
            sqlx::query("UPDATE involvements SET ended_at = $3, ended_by = $4 WHERE id = $1 AND child_id = $2 AND ended_at IS NULL")
                .bind(id).bind(child_id).bind(now).bind(ended_by).execute(p).await.map(|r| r.rows_affected())
        })?;
        let found = self.involvement(id).await?.filter(|i| i.child_id == child_id).ok_or(StoreError::NotFound("involvement"))?;
        if n == 0 {
            return Err(StoreError::Conflict("the involvement has already ended".into()));
        }
        Ok(found)
    }

    pub async fn grant_access(&self, user_id: &str, child_id: &str, reason: &str, now: i64, expires_at: i64) -> Result<AccessGrant, StoreError> {
        if reason.trim().len() < 10 {
            return Err(StoreError::invalid("reason", "say why you need this record now (at least 10 characters)"));
        }
        let id = uuid::Uuid::now_v7().to_string();
        with_db!(self.db(), p => {
            sqlx::query("INSERT INTO access_grants (id, user_id, child_id, reason, granted_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(&id).bind(user_id).bind(child_id).bind(reason.trim()).bind(now).bind(expires_at).execute(p).await.map(|_| ())
        })?;
        Ok(AccessGrant { id, user_id: user_id.into(), child_id: child_id.into(), reason: reason.trim().into(), granted_at: now, expires_at })
    }
}
