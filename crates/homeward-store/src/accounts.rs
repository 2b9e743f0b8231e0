//! Agencies, user accounts, sessions, API tokens and login attempts.
//!
//! The store keeps hashes only: passwords are Argon2id PHC strings made by
//! the service, and session and API tokens are stored as the SHA-256 of the
//! random value the client holds.

use crate::{Store, StoreError, with_db};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Agency {
    pub id: String,
    pub name: String,
    pub kind: String,
    /// JSON array of authority ids.
    pub authorities: String,
    pub created_at: i64,
}

impl Agency {
    pub fn authority_list(&self) -> Vec<String> {
        serde_json::from_str(&self.authorities).unwrap_or_default()
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct User {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub agency_id: String,
    pub role: String,
    pub team: Option<String>,
    #[serde(skip)]
    pub password_hash: Option<String>,
    pub disabled: i64,
    pub created_at: i64,
}

/// A user with their agency: everything needed to decide what they may see.
#[derive(Debug, Clone)]
pub struct Identity {
    pub user: User,
    pub agency: Agency,
}

#[derive(Debug, Clone)]
pub struct NewAgency {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub authorities: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub agency_id: String,
    pub role: String,
    pub team: Option<String>,
    pub password_hash: Option<String>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct SessionRow {
    #[serde(skip)]
    pub token_hash: String,
    pub user_id: String,
    #[serde(skip)]
    pub csrf_token: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub ended_at: Option<i64>,
    pub source: Option<String>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct TokenRow {
    pub id: String,
    #[serde(skip)]
    pub token_hash: String,
    pub user_id: String,
    pub name: String,
    /// JSON array: "read", "write".
    pub scopes: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

impl TokenRow {
    pub fn scope_list(&self) -> Vec<String> {
        serde_json::from_str(&self.scopes).unwrap_or_default()
    }
}

const USER_COLUMNS: &str = "u.id, u.username, u.display_name, u.email, u.agency_id, u.role, u.team, u.password_hash, u.disabled, u.created_at";

/// A user's and their agency's columns, as `identity_from` reads them.
pub(crate) const IDENTITY_COLUMNS: &str = "u.id, u.username, u.display_name, u.email, u.agency_id, u.role, u.team, u.password_hash, u.disabled, u.created_at, \
    a.id AS a_id, a.name AS a_name, a.kind AS a_kind, a.authorities AS a_authorities, a.created_at AS a_created_at";

pub(crate) fn identity_sql(condition: &str) -> String {
    format!("SELECT {IDENTITY_COLUMNS} FROM users u JOIN agencies a ON a.id = u.agency_id WHERE {condition}")
}

pub(crate) fn identity_from<R: sqlx::Row>(row: &R) -> Result<Identity, sqlx::Error>
where
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> &'r str: sqlx::ColumnIndex<R>,
{
    Ok(Identity {
        user: User {
            id: row.try_get("id")?,
            username: row.try_get("username")?,
            display_name: row.try_get("display_name")?,
            email: row.try_get("email")?,
            agency_id: row.try_get("agency_id")?,
            role: row.try_get("role")?,
            team: row.try_get("team")?,
            password_hash: row.try_get("password_hash")?,
            disabled: row.try_get("disabled")?,
            created_at: row.try_get("created_at")?,
        },
        agency: Agency {
            id: row.try_get("a_id")?,
            name: row.try_get("a_name")?,
            kind: row.try_get("a_kind")?,
            authorities: row.try_get("a_authorities")?,
            created_at: row.try_get("a_created_at")?,
        },
    })
}

impl Store {
    // ------------------------------------------------------------ agencies

    pub async fn create_agency(&self, new: &NewAgency, now: i64) -> Result<Agency, StoreError> {
        homeward_core::vocab::check_id(&new.id, "agency id").map_err(|m| StoreError::invalid("id", m))?;
        homeward_core::vocab::Agency::parse(&new.kind).map_err(|m| StoreError::invalid("kind", m))?;
        if new.name.trim().is_empty() {
            return Err(StoreError::invalid("name", "is required"));
        }
        for a in &new.authorities {
            homeward_core::vocab::check_id(a, "authority id").map_err(|m| StoreError::invalid("authorities", m))?;
        }
        let authorities = serde_json::to_string(&new.authorities).map_err(|e| StoreError::Internal(e.to_string()))?;
        let done = with_db!(self.db(), p => {
            sqlx::query("INSERT INTO agencies (id, name, kind, authorities, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING")
                .bind(&new.id).bind(&new.name).bind(&new.kind).bind(&authorities).bind(now)
                .execute(p).await.map(|r| r.rows_affected())
        })?;
        if done == 0 {
            return Err(StoreError::Conflict(format!("agency '{}' already exists", new.id)));
        }
        self.agency(&new.id).await?.ok_or(StoreError::NotFound("agency"))
    }

    pub async fn agency(&self, id: &str) -> Result<Option<Agency>, StoreError> {
        Ok(with_db!(self.db(), p => {
            sqlx::query_as("SELECT id, name, kind, authorities, created_at FROM agencies WHERE id = $1").bind(id).fetch_optional(p).await
        })?)
    }

    pub async fn agencies(&self) -> Result<Vec<Agency>, StoreError> {
        Ok(with_db!(self.db(), p => {
            sqlx::query_as("SELECT id, name, kind, authorities, created_at FROM agencies ORDER BY id").fetch_all(p).await
        })?)
    }

    // ------------------------------------------------------------ users

    pub async fn create_user(&self, new: &NewUser, now: i64) -> Result<User, StoreError> {
        let username = new.username.trim().to_lowercase();
        if username.is_empty() || username.len() > 100 || username.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(StoreError::invalid("username", "must be 1 to 100 characters without spaces"));
        }
        if new.display_name.trim().is_empty() {
            return Err(StoreError::invalid("display_name", "is required"));
        }
        if self.agency(&new.agency_id).await?.is_none() {
            return Err(StoreError::invalid("agency", format!("no agency '{}'", new.agency_id)));
        }
        let id = uuid::Uuid::now_v7().to_string();
        let done = with_db!(self.db(), p => {
            sqlx::query(
                "INSERT INTO users (id, username, display_name, email, agency_id, role, team, password_hash, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (username) DO NOTHING",
            )
            .bind(&id).bind(&username).bind(&new.display_name).bind(&new.email).bind(&new.agency_id)
            .bind(&new.role).bind(&new.team).bind(&new.password_hash).bind(now)
            .execute(p).await.map(|r| r.rows_affected())
        })?;
        if done == 0 {
            return Err(StoreError::Conflict(format!("user '{username}' already exists")));
        }
        Ok(self.identity_by_id(&id).await?.ok_or(StoreError::NotFound("user"))?.user)
    }

    pub async fn identity_by_username(&self, username: &str) -> Result<Option<Identity>, StoreError> {
        let sql = identity_sql("u.username = $1");
        let name = username.trim().to_lowercase();
        Ok(with_db!(self.db(), p => {
            match sqlx::query(sqlx::AssertSqlSafe(sql)).bind(&name).fetch_optional(p).await? {
                Some(row) => Some(identity_from(&row)?),
                None => None,
            }
        }))
    }

    pub async fn identity_by_id(&self, id: &str) -> Result<Option<Identity>, StoreError> {
        let sql = identity_sql("u.id = $1");
        Ok(with_db!(self.db(), p => {
            match sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(p).await? {
                Some(row) => Some(identity_from(&row)?),
                None => None,
            }
        }))
    }

    pub async fn users(&self) -> Result<Vec<User>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u ORDER BY u.username");
        Ok(with_db!(self.db(), p => sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(p).await)?)
    }

    pub async fn set_password(&self, user_id: &str, hash: &str) -> Result<(), StoreError> {
        let n = with_db!(self.db(), p => {
            sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
                .bind(user_id).bind(hash).execute(p).await.map(|r| r.rows_affected())
        })?;
        if n == 0 { Err(StoreError::NotFound("user")) } else { Ok(()) }
    }

    /// Disables or re-enables an account. Disabling ends every session of
    /// the account in the same transaction (its API tokens are refused
    /// while it is disabled).
    pub async fn set_disabled(&self, user_id: &str, disabled: bool, now: i64) -> Result<(), StoreError> {
        let n = with_db!(self.db(), p => {
            let mut tx = p.begin_with(self.db().begin_statement()).await?;
            let n = sqlx::query("UPDATE users SET disabled = $2 WHERE id = $1").bind(user_id).bind(disabled as i64).execute(&mut *tx).await?.rows_affected();
            if n == 1 && disabled {
                sqlx::query("UPDATE sessions SET ended_at = $2 WHERE user_id = $1 AND ended_at IS NULL").bind(user_id).bind(now).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok::<u64, sqlx::Error>(n)
        })?;
        if n == 0 { Err(StoreError::NotFound("user")) } else { Ok(()) }
    }

    /// Sets a new password hash and ends every session of the account, in
    /// one transaction: whoever knew the old password is logged out.
    pub async fn reset_password(&self, user_id: &str, hash: &str, now: i64) -> Result<(), StoreError> {
        let n = with_db!(self.db(), p => {
            let mut tx = p.begin_with(self.db().begin_statement()).await?;
            let n = sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1").bind(user_id).bind(hash).execute(&mut *tx).await?.rows_affected();
            if n == 1 {
                sqlx::query("UPDATE sessions SET ended_at = $2 WHERE user_id = $1 AND ended_at IS NULL").bind(user_id).bind(now).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok::<u64, sqlx::Error>(n)
        })?;
        if n == 0 { Err(StoreError::NotFound("user")) } else { Ok(()) }
    }

    /// Changes an account's role and team (the caller checks the role
    /// against the policy). It takes effect at the account's next request.
    pub async fn set_role_and_team(&self, user_id: &str, role: &str, team: Option<&str>) -> Result<(), StoreError> {
        if role.trim().is_empty() {
            return Err(StoreError::invalid("role", "is required"));
        }
        let n = with_db!(self.db(), p => {
            sqlx::query("UPDATE users SET role = $2, team = $3 WHERE id = $1").bind(user_id).bind(role).bind(team).execute(p).await.map(|r| r.rows_affected())
        })?;
        if n == 0 { Err(StoreError::NotFound("user")) } else { Ok(()) }
    }

    /// When each account last started a session (a login, with a password
    /// or through single sign-on): (user id, seconds).
    pub async fn last_logins(&self) -> Result<Vec<(String, i64)>, StoreError> {
        Ok(with_db!(self.db(), p => {
            sqlx::query_as("SELECT user_id, MAX(created_at) FROM sessions GROUP BY user_id").fetch_all(p).await
        })?)
    }

    pub async fn record_login_attempt(&self, username: &str, source: &str, at: i64, succeeded: bool) -> Result<(), StoreError> {
        with_db!(self.db(), p => {
            sqlx::query("INSERT INTO login_attempts (username, source, at, succeeded) VALUES ($1, $2, $3, $4)")
                .bind(username).bind(source).bind(at).bind(succeeded as i64).execute(p).await.map(|_| ())
        })?;
        Ok(())
    }

    /// Failed logins for a username since `since` and since its last
    /// successful login (unknown usernames count the same, so a lockout
    /// does not reveal whether an account exists).
    pub async fn failed_logins_of(&self, username: &str, since: i64) -> Result<i64, StoreError> {
        Ok(with_db!(self.db(), p => {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM login_attempts WHERE username = $1 AND succeeded = 0 AND at >= $2 \
                 AND at >= COALESCE((SELECT MAX(at) FROM login_attempts WHERE username = $1 AND succeeded = 1), 0)",
            )
            .bind(username).bind(since).fetch_one(p).await
        })?)
    }

    /// Failed login attempts from one address since `since`.
    pub async fn failed_logins_from(&self, source: &str, since: i64) -> Result<i64, StoreError> {
        Ok(with_db!(self.db(), p => {
            sqlx::query_scalar("SELECT COUNT(*) FROM login_attempts WHERE source = $1 AND at >= $2 AND succeeded = 0")
                .bind(source).bind(since).fetch_one(p).await
        })?)
    }

    // ------------------------------------------------------------ sessions

    #[allow(clippy::too_many_arguments)]
    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: &str,
        csrf_token: &str,
        now: i64,
        expires_at: i64,
        source: Option<&str>,
    ) -> Result<(), StoreError> {
        with_db!(self.db(), p => {
            sqlx::query(
                "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at, source) \
                 VALUES ($1, $2, $3, $4, $4, $5, $6)",
            )
            .bind(token_hash).bind(user_id).bind(csrf_token).bind(now).bind(expires_at).bind(source)
            .execute(p).await.map(|_| ())
        })?;
        Ok(())
    }

    /// A session that has not ended, with its user (disabled users included:
    /// the caller decides). One query: this runs on every request.
    pub async fn session(&self, token_hash: &str) -> Result<Option<(SessionRow, Identity)>, StoreError> {
        let sql = format!(
            "SELECT s.token_hash AS s_token_hash, s.csrf_token AS s_csrf_token, s.created_at AS s_created_at, s.last_seen_at AS s_last_seen_at, \
             s.expires_at AS s_expires_at, s.ended_at AS s_ended_at, s.source AS s_source, {} \
             FROM sessions s JOIN users u ON u.id = s.user_id JOIN agencies a ON a.id = u.agency_id \
             WHERE s.token_hash = $1 AND s.ended_at IS NULL",
            IDENTITY_COLUMNS
        );
        Ok(with_db!(self.db(), p => {
            match sqlx::query(sqlx::AssertSqlSafe(sql)).bind(token_hash).fetch_optional(p).await? {
                Some(row) => {
                    use sqlx::Row;
                    let identity = identity_from(&row)?;
                    let session = SessionRow {
                        token_hash: row.try_get("s_token_hash")?,
                        user_id: identity.user.id.clone(),
                        csrf_token: row.try_get("s_csrf_token")?,
                        created_at: row.try_get("s_created_at")?,
                        last_seen_at: row.try_get("s_last_seen_at")?,
                        expires_at: row.try_get("s_expires_at")?,
                        ended_at: row.try_get("s_ended_at")?,
                        source: row.try_get("s_source")?,
                    };
                    Some((session, identity))
                }
                None => None,
            }
        }))
    }

    pub async fn touch_session(&self, token_hash: &str, now: i64) -> Result<(), StoreError> {
        with_db!(self.db(), p => {
            sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1 AND ended_at IS NULL").bind(token_hash).bind(now).execute(p).await.map(|_| ())
        })?;
        Ok(())
    }

    pub async fn end_session(&self, token_hash: &str, now: i64) -> Result<(), StoreError> {
        with_db!(self.db(), p => {
            sqlx::query("UPDATE sessions SET ended_at = $2 WHERE token_hash = $1 AND ended_at IS NULL").bind(token_hash).bind(now).execute(p).await.map(|_| ())
        })?;
        Ok(())
    }

    pub async fn end_sessions_of(&self, user_id: &str, now: i64) -> Result<u64, StoreError> {
        Ok(with_db!(self.db(), p => {
            sqlx::query("UPDATE sessions SET ended_at = $2 WHERE user_id = $1 AND ended_at IS NULL")
                .bind(user_id).bind(now).execute(p).await.map(|r| r.rows_affected())
        })?)
    }

    // ------------------------------------------------------------ API tokens

    pub async fn create_token(
        &self,
        token_hash: &str,
        user_id: &str,
        name: &str,
        scopes: &[String],
        now: i64,
        expires_at: Option<i64>,
    ) -> Result<TokenRow, StoreError> {
        if name.trim().is_empty() {
            return Err(StoreError::invalid("name", "say what the token is for"));
        }
        homeward_core::text::one_line(name, 100).map_err(|m| StoreError::invalid("name", m))?;
        for (i, s) in scopes.iter().enumerate() {
            if s != "read" && s != "write" {
                return Err(StoreError::invalid("scopes", format!("'{s}' is not a scope (read, write)")));
            }
            if scopes[..i].contains(s) {
                return Err(StoreError::invalid("scopes", format!("'{s}' is listed twice")));
            }
        }
        if scopes.is_empty() {
            return Err(StoreError::invalid("scopes", "give at least one scope (read, write)"));
        }
        let id = uuid::Uuid::now_v7().to_string();
        let scopes_json = serde_json::to_string(scopes).map_err(|e| StoreError::Internal(e.to_string()))?;
        with_db!(self.db(), p => {
            sqlx::query(
                "INSERT INTO api_tokens (id, token_hash, user_id, name, scopes, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&id).bind(token_hash).bind(user_id).bind(name).bind(&scopes_json).bind(now).bind(expires_at)
            .execute(p).await.map(|_| ())
        })?;
        let tokens = self.tokens_of(user_id).await?;
        tokens.into_iter().find(|t| t.id == id).ok_or(StoreError::NotFound("token"))
    }

    /// A token that is not revoked, with its user. One query: this runs on
    /// every request made with a token.
    pub async fn token(&self, token_hash: &str) -> Result<Option<(TokenRow, Identity)>, StoreError> {
        let sql = format!(
            "SELECT t.id AS t_id, t.token_hash AS t_token_hash, t.name AS t_name, t.scopes AS t_scopes, t.created_at AS t_created_at, \
             t.expires_at AS t_expires_at, t.revoked_at AS t_revoked_at, t.last_used_at AS t_last_used_at, {} \
             FROM api_tokens t JOIN users u ON u.id = t.user_id JOIN agencies a ON a.id = u.agency_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL",
            IDENTITY_COLUMNS
        );
        Ok(with_db!(self.db(), p => {
            match sqlx::query(sqlx::AssertSqlSafe(sql)).bind(token_hash).fetch_optional(p).await? {
                Some(row) => {
                    use sqlx::Row;
                    let identity = identity_from(&row)?;
                    let token = TokenRow {
                        id: row.try_get("t_id")?,
                        token_hash: row.try_get("t_token_hash")?,
                        user_id: identity.user.id.clone(),
                        name: row.try_get("t_name")?,
                        scopes: row.try_get("t_scopes")?,
                        created_at: row.try_get("t_created_at")?,
                        expires_at: row.try_get("t_expires_at")?,
                        revoked_at: row.try_get("t_revoked_at")?,
                        last_used_at: row.try_get("t_last_used_at")?,
                    };
                    Some((token, identity))
                }
                None => None,
            }
        }))
    }

    pub async fn tokens_of(&self, user_id: &str) -> Result<Vec<TokenRow>, StoreError> {
        Ok(with_db!(self.db(), p => {
            sqlx::query_as(
                "SELECT id, token_hash, user_id, name, scopes, created_at, expires_at, revoked_at, last_used_at \
                 FROM api_tokens WHERE user_id = $1 ORDER BY created_at, id",
            )
            .bind(user_id).fetch_all(p).await
        })?)
    }

    pub async fn token_used(&self, id: &str, now: i64) -> Result<(), StoreError> {
        with_db!(self.db(), p => sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1").bind(id).bind(now).execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Revokes one of the user's tokens; revoking twice is not an error.
    pub async fn revoke_token(&self, id: &str, user_id: &str, now: i64) -> Result<(), StoreError> {
        let n = with_db!(self.db(), p => {
            sqlx::query("UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $3) WHERE id = $1 AND user_id = $2")
                .bind(id).bind(user_id).bind(now).execute(p).await.map(|r| r.rows_affected())
        })?;
        if n == 0 { Err(StoreError::NotFound("token")) } else { Ok(()) }
    }
}
