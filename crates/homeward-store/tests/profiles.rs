//! Migration 0011 on SQLite and, when `HOMEWARD_TEST_PG_URL` names a server,
//! on PostgreSQL: profile versions (none written when nothing changed),
//! photograph bytes kept exactly, and the children linked to an associate
//! filtered by the policy's visibility in the query.

use homeward_access::{Clause, Filter, Principal, Relation};
use homeward_core::Registry;
use homeward_store::{Actor, Db, LinkKind, NewAssociate, NewChild, NewPhoto, Store, Visibility};
use serde_json::json;
use std::sync::Arc;

async fn stores() -> Vec<Store> {
    let dir = std::env::temp_dir().join(format!("homeward-profiles-{}-{}", std::process::id(), uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).expect("scratch folder");
    let mut urls = vec![format!("sqlite://{}", dir.join("profiles.sqlite3").display())];
    if let Ok(admin) = std::env::var("HOMEWARD_TEST_PG_URL") {
        let name = format!("hw_profiles_{}", uuid::Uuid::now_v7().simple());
        let db = Db::connect(&admin).await.expect("connect to the test PostgreSQL");
        if let Db::Pg(pool) = &db {
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(pool).await.expect("create database");
        }
        db.close().await;
        let (base, _) = admin.rsplit_once('/').expect("a database URL ends with /name");
        urls.push(format!("{base}/{name}"));
    }
    let registry = Arc::new(Registry::builtin().expect("built-in protocols"));
    let mut out = Vec::new();
    for url in urls {
        let db = Db::connect(&url).await.expect("connect");
        db.migrate().await.expect("migrate");
        out.push(Store::new(db, registry.clone()));
    }
    out
}

fn child(family: &str, authority: &str) -> NewChild {
    NewChild {
        given_name: "Sam".into(),
        family_name: family.into(),
        date_of_birth: "2011-01-01".into(),
        status: "looked_after".into(),
        responsible_authority: authority.into(),
        living_in: None,
        flags: Vec::new(),
        allocated_worker: None,
        team: None,
        photo_ref: None,
    }
}

#[tokio::test]
async fn profiles_photographs_and_links_are_kept_on_both_databases() {
    let now: jiff::Timestamp = "2026-03-03T06:00:00Z".parse().unwrap();
    let actor = Actor { user: "sw".into(), agency: "bolton-cs".into() };
    for store in stores().await {
        let bolton = store.create_child(&child("Ours", "bolton"), &actor, now, true, None).await.unwrap();
        let york = store.create_child(&child("Theirs", "york"), &actor, now, true, None).await.unwrap();

        let blank = json!({"height": "", "eyes": ""});
        let first = store.save_profile(&bolton.id, &json!({"height": "150 cm", "eyes": ""}), &blank, &actor, now).await.unwrap().unwrap();
        assert_eq!((first.version, first.changed()), (1, vec!["height".to_string()]));
        assert!(store.save_profile(&bolton.id, &json!({"height": "150 cm", "eyes": ""}), &blank, &actor, now).await.unwrap().is_none());
        let second = store.save_profile(&bolton.id, &json!({"height": "150 cm", "eyes": "brown"}), &blank, &actor, now).await.unwrap().unwrap();
        assert_eq!((second.version, second.changed()), (2, vec!["eyes".to_string()]));
        assert_eq!(store.profile_versions(&bolton.id).await.unwrap().len(), 2);
        assert_eq!(store.current_profile(&bolton.id).await.unwrap().unwrap().body_json()["eyes"], "brown");
        assert!(store.save_profile("no-such-child", &json!({}), &blank, &actor, now).await.is_err());

        let bytes: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
        let photo = NewPhoto {
            content_type: "image/png".into(),
            bytes: bytes.clone(),
            taken_on: "2026-02-01".into(),
            consent_investigation: true,
            consent_media: false,
            child_agreed: true,
        };
        let meta = store.add_photo(&bolton.id, &photo, &actor, now).await.unwrap();
        let (got, kept) = store.photo(&bolton.id, &meta.id).await.unwrap().unwrap();
        assert_eq!(kept, bytes, "every byte kept");
        assert_eq!((got.consent_investigation, got.consent_media, got.child_agreed), (1, 0, 1));
        assert!(store.photo(&york.id, &meta.id).await.unwrap().is_none(), "a photograph belongs to its child");

        let a =
            store.create_associate(&NewAssociate { name: "Dean".into(), description: String::new(), markers: vec!["cawn".into()] }, &actor, now).await.unwrap();
        store.link(LinkKind::Associate, &bolton.id, &a.id, "seen together", &actor, now).await.unwrap();
        store.link(LinkKind::Associate, &york.id, &a.id, "seen together", &actor, now).await.unwrap();
        store.link(LinkKind::Associate, &york.id, &a.id, "linked twice", &actor, now).await.unwrap();
        let bolton_only = Visibility {
            filter: Filter { clauses: vec![Clause { rule: "test".into(), relation: Relation::Responsible, unless_flags: Vec::new() }] },
            principal: Principal {
                user_id: "u".into(),
                agency_id: "bolton-cs".into(),
                agency_kind: "childrens_services".into(),
                authorities: vec!["bolton".into()],
                role: "social_worker".into(),
            },
            now: now.as_second(),
        };
        let seen = store.linked_children(LinkKind::Associate, &a.id, &bolton_only).await.unwrap();
        assert_eq!(seen.iter().map(|(c, _)| c.id.as_str()).collect::<Vec<_>>(), vec![bolton.id.as_str()], "the York child is filtered out in the query");
        assert_eq!(store.known_links(LinkKind::Associate, &bolton_only).await.unwrap(), vec![(a.id.clone(), "Dean".to_string())]);
        let none = Visibility { filter: Filter::default(), ..bolton_only };
        assert!(store.linked_children(LinkKind::Associate, &a.id, &none).await.unwrap().is_empty());
        let york_links = store.links_of_child(LinkKind::Associate, &york.id).await.unwrap();
        assert_eq!(york_links.len(), 1);
        assert_eq!(york_links[0].reason, "seen together", "linking twice keeps the first link");
    }
}
