//! The child's profile (versioned), photographs, and the associates and
//! places linked to children: service data about the child that the engine
//! never reads. The service checks every field and the policy; the store
//! keeps versions whole and writes a version only when something changed.

use crate::sql::{Param, Sql};
use crate::{Actor, Child, LOCK_CHILD_PG, Store, StoreError, Visibility, secs, with_db};
use jiff::Timestamp;
use serde_json::Value;

/// One version of a child's profile.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProfileVersion {
    pub child_id: String,
    pub version: i64,
    /// The profile, a JSON object.
    pub body: String,
    /// JSON array of the top-level fields that differ from the version before.
    pub changed_fields: String,
    pub changed_by: String,
    pub changed_agency: String,
    pub changed_at: i64,
}

impl ProfileVersion {
    pub fn body_json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    pub fn changed(&self) -> Vec<String> {
        serde_json::from_str(&self.changed_fields).unwrap_or_default()
    }
}

/// A photograph, without its bytes.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PhotoMeta {
    pub id: String,
    pub child_id: String,
    pub content_type: String,
    pub taken_on: String,
    pub consent_investigation: i64,
    pub consent_media: i64,
    pub child_agreed: i64,
    pub uploaded_by: String,
    pub uploaded_agency: String,
    pub uploaded_at: i64,
}

/// A photograph to keep; the service has checked its type and size.
#[derive(Debug, Clone)]
pub struct NewPhoto {
    pub content_type: String,
    pub bytes: Vec<u8>,
    pub taken_on: String,
    pub consent_investigation: bool,
    pub consent_media: bool,
    pub child_agreed: bool,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Associate {
    pub id: String,
    pub name: String,
    pub description: String,
    /// JSON array of markers (CAWN, S2, S49, …).
    pub markers: String,
    pub created_by: String,
    pub created_agency: String,
    pub created_at: i64,
}

impl Associate {
    pub fn marker_list(&self) -> Vec<String> {
        serde_json::from_str(&self.markers).unwrap_or_default()
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Place {
    pub id: String,
    pub name: String,
    pub postcode: String,
    pub kind: String,
    pub description: String,
    pub created_by: String,
    pub created_agency: String,
    pub created_at: i64,
}

/// A link between a child and an associate or a place, with why and who made it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Link {
    pub child_id: String,
    /// The associate's or place's id.
    pub other_id: String,
    pub reason: String,
    pub linked_by: String,
    pub linked_agency: String,
    pub linked_at: i64,
}

#[derive(Debug, Clone)]
pub struct NewAssociate {
    pub name: String,
    pub description: String,
    pub markers: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct NewPlace {
    pub name: String,
    pub postcode: String,
    pub kind: String,
    pub description: String,
}

/// Which links: a child's associates or places.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    Associate,
    Place,
}

impl LinkKind {
    fn table(self) -> &'static str {
        match self {
            LinkKind::Associate => "child_associates",
            LinkKind::Place => "child_places",
        }
    }

    fn column(self) -> &'static str {
        match self {
            LinkKind::Associate => "associate_id",
            LinkKind::Place => "place_id",
        }
    }
}

/// The top-level fields whose values differ between two JSON objects.
pub fn changed_fields(before: &Value, after: &Value) -> Vec<String> {
    let empty = serde_json::Map::new();
    let b = before.as_object().unwrap_or(&empty);
    let a = after.as_object().unwrap_or(&empty);
    let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter().filter(|k| b.get(*k) != a.get(*k)).cloned().collect()
}

const PROFILE_COLUMNS: &str = "child_id, version, body, changed_fields, changed_by, changed_agency, changed_at";
const PHOTO_COLUMNS: &str =
    "id, child_id, content_type, taken_on, consent_investigation, consent_media, child_agreed, uploaded_by, uploaded_agency, uploaded_at";

impl Store {
    /// Every version of the child's profile, oldest first.
    pub async fn profile_versions(&self, child_id: &str) -> Result<Vec<ProfileVersion>, StoreError> {
        let sql = format!("SELECT {PROFILE_COLUMNS} FROM profile_versions WHERE child_id = $1 ORDER BY version");
        let rows: Vec<ProfileVersion> = with_db!(&self.db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(child_id).fetch_all(p).await)?;
        Ok(rows)
    }

    /// The current version of the child's profile, if any.
    pub async fn current_profile(&self, child_id: &str) -> Result<Option<ProfileVersion>, StoreError> {
        let sql = format!("SELECT {PROFILE_COLUMNS} FROM profile_versions WHERE child_id = $1 ORDER BY version DESC LIMIT 1");
        let row: Option<ProfileVersion> = with_db!(&self.db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(child_id).fetch_optional(p).await)?;
        Ok(row)
    }

    /// Writes `body` as the child's next profile version, naming the fields
    /// that differ from the current one (from `blank`, the profile with
    /// nothing recorded, for the first version), unless nothing differs (then
    /// nothing is written and `None` returned). One transaction, with the
    /// child locked, so two saves never take the same number.
    pub async fn save_profile(&self, child_id: &str, body: &Value, blank: &Value, actor: &Actor, now: Timestamp) -> Result<Option<ProfileVersion>, StoreError> {
        if !body.is_object() {
            return Err(StoreError::invalid("", "the profile must be a JSON object"));
        }
        let text = serde_json::to_string(body).map_err(|e| StoreError::Internal(e.to_string()))?;
        let store = self.clone();
        let read = format!("SELECT {PROFILE_COLUMNS} FROM profile_versions WHERE child_id = $1 ORDER BY version DESC LIMIT 1");
        let saved = with_db!(&self.db, p => {
            let mut tx = p.begin_with(store.db.begin_statement()).await?;
            let child: Option<Child> = crate::lock_child!(tx, store, child_id);
            if child.is_none() {
                return Err(StoreError::NotFound("child"));
            }
            let current: Option<ProfileVersion> = sqlx::query_as(sqlx::AssertSqlSafe(read.clone())).bind(child_id).fetch_optional(&mut *tx).await?;
            let before = current.as_ref().map(ProfileVersion::body_json).unwrap_or_else(|| blank.clone());
            let changed = changed_fields(&before, body);
            if changed.is_empty() {
                tx.rollback().await?;
                return Ok(None);
            }
            let version = current.map(|c| c.version + 1).unwrap_or(1);
            let changed_text = serde_json::to_string(&changed).map_err(|e| StoreError::Internal(e.to_string()))?;
            sqlx::query(
                "INSERT INTO profile_versions (child_id, version, body, changed_fields, changed_by, changed_agency, changed_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(child_id)
            .bind(version)
            .bind(&text)
            .bind(&changed_text)
            .bind(&actor.user)
            .bind(&actor.agency)
            .bind(secs(now))
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok::<Option<ProfileVersion>, StoreError>(Some(ProfileVersion {
                child_id: child_id.to_string(),
                version,
                body: text.clone(),
                changed_fields: changed_text,
                changed_by: actor.user.clone(),
                changed_agency: actor.agency.clone(),
                changed_at: secs(now),
            }))
        })?;
        Ok(saved)
    }

    // ------------------------------------------------------------ photographs

    pub async fn add_photo(&self, child_id: &str, photo: &NewPhoto, actor: &Actor, now: Timestamp) -> Result<PhotoMeta, StoreError> {
        let id = uuid::Uuid::now_v7().to_string();
        with_db!(&self.db, p => {
            sqlx::query(
                "INSERT INTO child_photos (id, child_id, content_type, bytes, taken_on, consent_investigation, consent_media, child_agreed, uploaded_by, uploaded_agency, uploaded_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(&id)
            .bind(child_id)
            .bind(&photo.content_type)
            .bind(&photo.bytes)
            .bind(&photo.taken_on)
            .bind(i64::from(photo.consent_investigation))
            .bind(i64::from(photo.consent_media))
            .bind(i64::from(photo.child_agreed))
            .bind(&actor.user)
            .bind(&actor.agency)
            .bind(secs(now))
            .execute(p)
            .await
            .map(|_| ())
        })?;
        self.photos(child_id).await?.into_iter().find(|p| p.id == id).ok_or(StoreError::NotFound("photo"))
    }

    /// The child's photographs, newest first.
    pub async fn photos(&self, child_id: &str) -> Result<Vec<PhotoMeta>, StoreError> {
        let sql = format!("SELECT {PHOTO_COLUMNS} FROM child_photos WHERE child_id = $1 ORDER BY uploaded_at DESC, id DESC");
        let rows: Vec<PhotoMeta> = with_db!(&self.db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(child_id).fetch_all(p).await)?;
        Ok(rows)
    }

    /// One photograph of the child and its bytes.
    pub async fn photo(&self, child_id: &str, photo_id: &str) -> Result<Option<(PhotoMeta, Vec<u8>)>, StoreError> {
        let sql = format!("SELECT {PHOTO_COLUMNS} FROM child_photos WHERE child_id = $1 AND id = $2");
        let meta: Option<PhotoMeta> =
            with_db!(&self.db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(child_id).bind(photo_id).fetch_optional(p).await)?;
        let Some(meta) = meta else { return Ok(None) };
        let bytes: Vec<u8> = with_db!(&self.db, p => {
            sqlx::query_scalar("SELECT bytes FROM child_photos WHERE id = $1").bind(photo_id).fetch_one(p).await
        })?;
        Ok(Some((meta, bytes)))
    }

    // ------------------------------------------------------------ associates and places

    pub async fn create_associate(&self, new: &NewAssociate, actor: &Actor, now: Timestamp) -> Result<Associate, StoreError> {
        let id = uuid::Uuid::now_v7().to_string();
        let markers = serde_json::to_string(&new.markers).map_err(|e| StoreError::Internal(e.to_string()))?;
        with_db!(&self.db, p => {
            sqlx::query(
                "INSERT INTO associates (id, name, description, markers, created_by, created_agency, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&id).bind(&new.name).bind(&new.description).bind(&markers).bind(&actor.user).bind(&actor.agency).bind(secs(now))
            .execute(p)
            .await
            .map(|_| ())
        })?;
        self.associate(&id).await?.ok_or(StoreError::NotFound("associate"))
    }

    pub async fn associate(&self, id: &str) -> Result<Option<Associate>, StoreError> {
        let row: Option<Associate> = with_db!(&self.db, p => {
            sqlx::query_as("SELECT id, name, description, markers, created_by, created_agency, created_at FROM associates WHERE id = $1")
                .bind(id)
                .fetch_optional(p)
                .await
        })?;
        Ok(row)
    }

    pub async fn create_place(&self, new: &NewPlace, actor: &Actor, now: Timestamp) -> Result<Place, StoreError> {
        let id = uuid::Uuid::now_v7().to_string();
        with_db!(&self.db, p => {
            sqlx::query(
                "INSERT INTO places (id, name, postcode, kind, description, created_by, created_agency, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&id).bind(&new.name).bind(&new.postcode).bind(&new.kind).bind(&new.description).bind(&actor.user).bind(&actor.agency).bind(secs(now))
            .execute(p)
            .await
            .map(|_| ())
        })?;
        self.place(&id).await?.ok_or(StoreError::NotFound("place"))
    }

    pub async fn place(&self, id: &str) -> Result<Option<Place>, StoreError> {
        let row: Option<Place> = with_db!(&self.db, p => {
            sqlx::query_as("SELECT id, name, postcode, kind, description, created_by, created_agency, created_at FROM places WHERE id = $1")
                .bind(id)
                .fetch_optional(p)
                .await
        })?;
        Ok(row)
    }

    /// Links the child to an associate or a place; linking twice keeps the first link.
    pub async fn link(&self, kind: LinkKind, child_id: &str, other_id: &str, reason: &str, actor: &Actor, now: Timestamp) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO {} (child_id, {}, reason, linked_by, linked_agency, linked_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (child_id, {}) DO NOTHING",
            kind.table(),
            kind.column(),
            kind.column()
        );
        with_db!(&self.db, p => {
            sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(child_id).bind(other_id).bind(reason).bind(&actor.user).bind(&actor.agency).bind(secs(now))
                .execute(p)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }

    /// The child's links of one kind, oldest first.
    pub async fn links_of_child(&self, kind: LinkKind, child_id: &str) -> Result<Vec<Link>, StoreError> {
        let sql = format!(
            "SELECT child_id, {} AS other_id, reason, linked_by, linked_agency, linked_at FROM {} WHERE child_id = $1 ORDER BY linked_at, {}",
            kind.column(),
            kind.table(),
            kind.column()
        );
        let rows: Vec<Link> = with_db!(&self.db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(child_id).fetch_all(p).await)?;
        Ok(rows)
    }

    /// The children linked to an associate or a place, among those `visible`
    /// allows (applied in the query: hidden children are neither returned
    /// nor counted), with their links.
    pub async fn linked_children(&self, kind: LinkKind, other_id: &str, visible: &Visibility) -> Result<Vec<(Child, Link)>, StoreError> {
        let mut sql = Sql::new(&format!("SELECT c.id FROM children c JOIN {} l ON l.child_id = c.id WHERE l.{} = ", kind.table(), kind.column()));
        sql.param(Param::Text(other_id.to_string()));
        sql.text(" AND ");
        visible.push(&mut sql);
        sql.text(" ORDER BY c.family_name, c.given_name, c.id");
        let (text, params) = sql.parts();
        let ids: Vec<String> = with_db!(&self.db, p => {
            crate::bind_all!(sqlx::query_scalar(sqlx::AssertSqlSafe(text.clone())), params).fetch_all(p).await
        })?;
        let mut out = Vec::new();
        for id in ids {
            let Some(child) = self.child(&id).await? else { continue };
            if let Some(link) = self.links_of_child(kind, &id).await?.into_iter().find(|l| l.other_id == other_id) {
                out.push((child, link));
            }
        }
        Ok(out)
    }

    /// The associates or places linked to at least one child `visible`
    /// allows: (id, name), by name. What a person may link another child to.
    pub async fn known_links(&self, kind: LinkKind, visible: &Visibility) -> Result<Vec<(String, String)>, StoreError> {
        let (table, column) = match kind {
            LinkKind::Associate => ("associates", "associate_id"),
            LinkKind::Place => ("places", "place_id"),
        };
        let mut sql = Sql::new(&format!(
            "SELECT DISTINCT o.id, o.name FROM {table} o JOIN {} l ON l.{column} = o.id JOIN children c ON c.id = l.child_id WHERE ",
            kind.table()
        ));
        visible.push(&mut sql);
        sql.text(" ORDER BY o.name, o.id LIMIT 500");
        let (text, params) = sql.parts();
        let rows: Vec<(String, String)> = with_db!(&self.db, p => {
            crate::bind_all!(sqlx::query_as(sqlx::AssertSqlSafe(text.clone())), params).fetch_all(p).await
        })?;
        Ok(rows)
    }

    /// The flags the protocols give the child now (frequent or repeat
    /// missing…), from the engine's replay of the child's history.
    pub async fn protocol_flags(&self, child_id: &str, now: Timestamp) -> Result<Vec<homeward_core::engine::Flag>, StoreError> {
        let Some(child) = self.child(child_id).await? else { return Ok(Vec::new()) };
        let history = self.events(child_id).await?;
        let evaluated = self.evaluate_bodies(&child, crate::effective_bodies(&history, None), now, None)?;
        Ok(evaluated.replay.flags)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_the_fields_that_differ_are_named() {
        let before = json!({"height": "150cm", "build": "slim", "phones": []});
        let after = json!({"height": "152cm", "build": "slim", "phones": [{"number": "07700"}], "eyes": "brown"});
        assert_eq!(changed_fields(&before, &after), vec!["eyes", "height", "phones"]);
        assert!(changed_fields(&after, &after).is_empty());
    }
}
