//! Single sign-on: which person at an identity provider is which account,
//! and the logins sent to a provider that have not yet come back.

use crate::accounts::{identity_from, identity_sql};
use crate::{Identity, Store, StoreError, with_db};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct SsoLink {
    pub provider: String,
    pub subject: String,
    pub user_id: String,
    pub created_at: i64,
}

/// A login waiting for the identity provider to send the browser back.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendingSsoLogin {
    pub provider: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub expires_at: i64,
}

impl Store {
    /// Links `subject` at `provider` to a user. One subject is one account.
    pub async fn link_sso(&self, provider: &str, subject: &str, user_id: &str, now: i64) -> Result<SsoLink, StoreError> {
        if provider.trim().is_empty() {
            return Err(StoreError::invalid("provider", "is required"));
        }
        if subject.trim().is_empty() {
            return Err(StoreError::invalid("subject", "is required"));
        }
        let done = with_db!(self.db(), p => {
            sqlx::query("INSERT INTO sso_links (provider, subject, user_id, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (provider, subject) DO NOTHING")
                .bind(provider).bind(subject).bind(user_id).bind(now)
                .execute(p).await.map(|r| r.rows_affected())
        })?;
        if done == 0 {
            return Err(StoreError::Conflict(format!("subject '{subject}' of provider '{provider}' is already linked to an account")));
        }
        Ok(SsoLink { provider: provider.to_string(), subject: subject.to_string(), user_id: user_id.to_string(), created_at: now })
    }

    /// Removes a user's link to `provider`; the number of links removed.
    pub async fn unlink_sso(&self, provider: &str, user_id: &str) -> Result<u64, StoreError> {
        Ok(with_db!(self.db(), p => {
            sqlx::query("DELETE FROM sso_links WHERE provider = $1 AND user_id = $2").bind(provider).bind(user_id).execute(p).await.map(|r| r.rows_affected())
        })?)
    }

    pub async fn sso_links_of(&self, user_id: &str) -> Result<Vec<SsoLink>, StoreError> {
        Ok(with_db!(self.db(), p => {
            sqlx::query_as("SELECT provider, subject, user_id, created_at FROM sso_links WHERE user_id = $1 ORDER BY provider, subject")
                .bind(user_id).fetch_all(p).await
        })?)
    }

    /// The account linked to `subject` at `provider`.
    pub async fn identity_by_sso(&self, provider: &str, subject: &str) -> Result<Option<Identity>, StoreError> {
        let sql = identity_sql("u.id = (SELECT user_id FROM sso_links WHERE provider = $1 AND subject = $2)");
        Ok(with_db!(self.db(), p => {
            match sqlx::query(sqlx::AssertSqlSafe(sql)).bind(provider).bind(subject).fetch_optional(p).await? {
                Some(row) => Some(identity_from(&row)?),
                None => None,
            }
        }))
    }

    /// Every account whose email address is `email` (compared without case).
    pub async fn identities_by_email(&self, email: &str) -> Result<Vec<Identity>, StoreError> {
        let sql = identity_sql("LOWER(u.email) = $1");
        let email = email.trim().to_lowercase();
        Ok(with_db!(self.db(), p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(&email).fetch_all(p).await?;
            rows.iter().map(identity_from).collect::<Result<Vec<_>, _>>()?
        }))
    }

    /// Remembers a login sent to a provider, and forgets any that expired.
    pub async fn begin_sso_login(&self, state_hash: &str, login: &PendingSsoLogin, now: i64) -> Result<(), StoreError> {
        with_db!(self.db(), p => {
            sqlx::query("DELETE FROM sso_logins WHERE expires_at < $1").bind(now).execute(p).await?;
            sqlx::query(
                "INSERT INTO sso_logins (state_hash, provider, nonce, pkce_verifier, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(state_hash).bind(&login.provider).bind(&login.nonce).bind(&login.pkce_verifier).bind(now).bind(login.expires_at)
            .execute(p).await.map(|_| ())
        })?;
        Ok(())
    }

    /// Takes the login sent with `state_hash`: it is deleted in the same
    /// statement, so only one request (on any instance) ever gets it.
    pub async fn take_sso_login(&self, state_hash: &str) -> Result<Option<PendingSsoLogin>, StoreError> {
        Ok(with_db!(self.db(), p => {
            sqlx::query_as("DELETE FROM sso_logins WHERE state_hash = $1 RETURNING provider, nonce, pkce_verifier, expires_at")
                .bind(state_hash).fetch_optional(p).await
        })?)
    }
}
