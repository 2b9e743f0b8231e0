//! The account administration pages (`/admin/…`): who may use them comes
//! from the policy's administration grants (the partnership's administrator
//! for every agency, a council's for its own), every form names each
//! problem and writes nothing on error, and every page and action is one
//! audit entry naming the account and the grant.

use super::*;

const NEW_PASSWORD: &str = "a temporary passphrase";

/// A day when the policy's version 2 (with its administration grants) is in force.
const IN_FORCE: &str = "2026-12-10T10:00:00Z";

struct Admin {
    state: AppState,
    /// The social worker's API token.
    sw_token: String,
}

/// The partnership's administrator (every agency), Bolton children's
/// services' administrator (their own), a Bolton social worker and a York one.
async fn admin_world(url: &str) -> Admin {
    let clock = Arc::new(ManualClock::new(IN_FORCE.parse().unwrap()));
    let state = support::app_state(url, clock, "ui-admin").await;
    person(&state, "psp", "partnership", &["bolton", "york"], "psp.admin", "system_administrator").await;
    person(&state, "bolton-cs", "childrens_services", &["bolton"], "cs.admin", "system_administrator").await;
    let sw_token = person(&state, "bolton-cs", "childrens_services", &["bolton"], "sw", "social_worker").await;
    person(&state, "york-cs", "childrens_services", &["york"], "york.sw", "social_worker").await;
    Admin { state, sw_token }
}

async fn user_id(state: &AppState, username: &str) -> String {
    state.store.identity_by_username(username).await.unwrap().unwrap().user.id
}

async fn logged_in(state: &AppState, username: &str) -> (Browser, String) {
    let mut b = Browser::new(state);
    let done = b.log_in(username, PASSWORD, "/").await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{username} logs in: {}", done.html);
    let csrf = b.get("/").await.csrf();
    (b, csrf)
}

async fn api_session(state: &AppState, token: &str) -> StatusCode {
    let auth = format!("Bearer {token}");
    support::request(state, "GET", "/api/v1/session", &[("authorization", auth.as_str())], None).await.0
}

#[tokio::test]
async fn the_administrator_adds_an_agency_and_a_person_who_then_logs_in() {
    for url in support::fresh_databases("ui-admin-add").await {
        let w = admin_world(&url).await;
        let (mut admin, csrf) = logged_in(&w.state, "psp.admin").await;
        assert!(admin.get("/").await.html.contains("<a href=\"/admin/accounts\">Accounts</a>"), "the header links to the accounts");
        let me = admin.get("/me").await.html;
        assert!(me.contains("every agency&#39;s accounts") && me.contains("partnership-administers-accounts"), "{me}");

        let form = admin.get("/admin/agencies/new").await;
        assert_eq!(form.status, StatusCode::OK, "{}", form.html);
        let added = admin
            .post(
                "/admin/agencies/new",
                &[("csrf_token", &csrf), ("id", "gmp"), ("name", "Greater Manchester Police"), ("kind", "police"), ("authorities", "bolton\r\nwigan")],
            )
            .await;
        assert_eq!((added.status, added.location.as_deref()), (StatusCode::SEE_OTHER, Some("/admin/agencies?done=agency")), "{}", added.html);
        let agencies = admin.get("/admin/agencies?done=agency").await;
        assert!(agencies.html.contains("The agency has been added") && agencies.html.contains("Greater Manchester Police"));
        let gmp = w.state.store.agency("gmp").await.unwrap().expect("the agency");
        assert_eq!((gmp.kind.as_str(), gmp.authority_list()), ("police", vec!["bolton".to_string(), "wigan".to_string()]));

        assert_eq!(admin.get("/admin/accounts/new?agency=gmp").await.status, StatusCode::OK);
        let made = admin
            .post(
                "/admin/accounts/new",
                &[
                    ("csrf_token", &csrf),
                    ("display_name", "Priya Constable"),
                    ("username", "Priya.Constable"),
                    ("email", "priya@gmp.example"),
                    ("agency", "gmp"),
                    ("role", "police_mpc"),
                    ("team", "Missing from home"),
                    ("password", NEW_PASSWORD),
                ],
            )
            .await;
        assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.html);
        let id = user_id(&w.state, "priya.constable").await;
        assert_eq!(made.location, Some(format!("/admin/accounts/{id}?done=created")));
        let page = admin.get(made.location.as_deref().unwrap()).await;
        assert_eq!(page.status, StatusCode::OK);
        for shown in ["The account has been made", "Priya Constable", "priya.constable", "Police missing person co-ordinator", "Missing from home", "Never"] {
            assert!(page.html.contains(shown), "{shown}: {}", page.html);
        }
        // In the list of accounts, with the role by its name.
        let list = admin.get("/admin/accounts?agency=gmp").await;
        assert!(list.html.contains(&format!("/admin/accounts/{id}")) && list.html.contains("Police missing person co-ordinator"));
        assert!(!list.html.contains("york.sw"), "the filter shows one agency");

        let mut priya = Browser::new(&w.state);
        let done = priya.log_in("priya.constable", NEW_PASSWORD, "/").await;
        assert_eq!((done.status, done.location.as_deref()), (StatusCode::SEE_OTHER, Some("/")));
        assert!(!priya.get("/").await.html.contains("/admin/accounts"), "no Accounts link for a police officer");
        // Their last login shows.
        assert!(!admin.get(&format!("/admin/accounts/{id}")).await.html.contains("<dd>Never</dd>"));
    }
}

#[tokio::test]
async fn every_problem_is_named_at_once_and_nothing_is_written() {
    for url in support::fresh_databases("ui-admin-problems").await {
        let w = admin_world(&url).await;
        let (mut admin, csrf) = logged_in(&w.state, "psp.admin").await;
        let users = w.state.store.users().await.unwrap().len();
        // A police role in children's services, a bad email, no name, a short password, a taken username.
        let refused = admin
            .post(
                "/admin/accounts/new",
                &[
                    ("csrf_token", &csrf),
                    ("display_name", " "),
                    ("username", "sw"),
                    ("email", "not an address"),
                    ("agency", "bolton-cs"),
                    ("role", "police_mpc"),
                    ("password", "short"),
                ],
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        for (field, words) in [
            ("role", "Police missing person co-ordinator is not a role of a children&#39;s services agency"),
            ("email", "Enter an email address"),
            ("display_name", "Enter the person&#39;s full name"),
            ("password", "at least 12 characters"),
            ("username", "is taken"),
        ] {
            assert!(refused.html.contains(&format!("href=\"#{field}\"")), "{field} is linked from the summary");
            assert!(refused.html.contains(words), "{words}: {}", refused.html);
        }
        assert!(!refused.html.contains("value=\"short\""), "the password is not sent back");
        assert!(refused.html.contains("value=\"not an address\""), "what was typed is kept");
        assert_eq!(w.state.store.users().await.unwrap().len(), users, "nothing written");

        // An agency of a kind the policy has no roles for, serving an unknown authority, with a taken id.
        let agencies = w.state.store.agencies().await.unwrap().len();
        let refused = admin
            .post("/admin/agencies/new", &[("csrf_token", &csrf), ("id", "york-cs"), ("name", ""), ("kind", "national"), ("authorities", "bolton, atlantis")])
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        for field in ["id", "name", "kind", "authorities"] {
            assert!(refused.html.contains(&format!("href=\"#{field}\"")), "{field}: {}", refused.html);
        }
        assert!(refused.html.contains("atlantis"));
        assert_eq!(w.state.store.agencies().await.unwrap().len(), agencies, "nothing written");

        // Changing a role to one of another kind of agency: named, and nothing changes.
        let sw = user_id(&w.state, "sw").await;
        let refused = admin.post(&format!("/admin/accounts/{sw}/role"), &[("csrf_token", &csrf), ("role", "placement_manager"), ("team", "Team A")]).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.html.contains("href=\"#role\"") && refused.html.contains("Placement manager"));
        let after = w.state.store.identity_by_id(&sw).await.unwrap().unwrap().user;
        assert_eq!((after.role.as_str(), after.team), ("social_worker", None));
        // A good one is made, and shown by its name.
        let changed = admin.post(&format!("/admin/accounts/{sw}/role"), &[("csrf_token", &csrf), ("role", "team_manager"), ("team", "Team A")]).await;
        assert_eq!(changed.location, Some(format!("/admin/accounts/{sw}?done=role")));
        let after = w.state.store.identity_by_id(&sw).await.unwrap().unwrap().user;
        assert_eq!((after.role.as_str(), after.team.as_deref()), ("team_manager", Some("Team A")));
        assert!(admin.get(&format!("/admin/accounts/{sw}?done=role")).await.html.contains("<dd>Team manager</dd>"));
    }
}

#[tokio::test]
async fn disabling_ends_the_persons_sessions_and_they_cannot_log_in_until_enabled() {
    for url in support::fresh_databases("ui-admin-disable").await {
        let w = admin_world(&url).await;
        let (mut admin, csrf) = logged_in(&w.state, "psp.admin").await;
        let (mut sw, _) = logged_in(&w.state, "sw").await;
        let id = user_id(&w.state, "sw").await;

        let confirm = admin.get(&format!("/admin/accounts/{id}/disable")).await;
        assert_eq!(confirm.status, StatusCode::OK);
        assert!(confirm.html.contains("Yes, disable the account"));
        // Without the form's token nothing happens.
        let forged = admin.post(&format!("/admin/accounts/{id}/disable"), &[("csrf_token", "wrong")]).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        assert_eq!(sw.get("/").await.status, StatusCode::OK, "still logged in");

        let done = admin.post(&format!("/admin/accounts/{id}/disable"), &[("csrf_token", &csrf)]).await;
        assert_eq!(done.location, Some(format!("/admin/accounts/{id}?done=disabled")));
        let page = admin.get(done.location.as_deref().unwrap()).await;
        assert!(page.html.contains("The account is disabled") && page.html.contains("Enable the account again"));
        assert_eq!(sw.get("/").await.status, StatusCode::SEE_OTHER, "their session has ended");
        assert_eq!(Browser::new(&w.state).log_in("sw", PASSWORD, "/").await.status, StatusCode::UNAUTHORIZED);
        assert_eq!(api_session(&w.state, &w.sw_token).await, StatusCode::UNAUTHORIZED, "their API token is refused");

        let enabled = admin.post(&format!("/admin/accounts/{id}/enable"), &[("csrf_token", &csrf)]).await;
        assert_eq!(enabled.location, Some(format!("/admin/accounts/{id}?done=enabled")));
        assert_eq!(Browser::new(&w.state).log_in("sw", PASSWORD, "/").await.status, StatusCode::SEE_OTHER);
        assert_eq!(api_session(&w.state, &w.sw_token).await, StatusCode::OK);
    }
}

#[tokio::test]
async fn a_reset_password_works_and_ends_every_old_session() {
    for url in support::fresh_databases("ui-admin-password").await {
        let w = admin_world(&url).await;
        let (mut admin, csrf) = logged_in(&w.state, "psp.admin").await;
        let (mut sw, _) = logged_in(&w.state, "sw").await;
        let id = user_id(&w.state, "sw").await;
        let hash = w.state.store.identity_by_id(&id).await.unwrap().unwrap().user.password_hash;

        let short = admin.post(&format!("/admin/accounts/{id}/password"), &[("csrf_token", &csrf), ("password", "too short")]).await;
        assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(short.html.contains("href=\"#password\"") && short.html.contains("at least 12 characters"));
        assert_eq!(w.state.store.identity_by_id(&id).await.unwrap().unwrap().user.password_hash, hash, "nothing written");
        assert_eq!(sw.get("/").await.status, StatusCode::OK);

        let done = admin.post(&format!("/admin/accounts/{id}/password"), &[("csrf_token", &csrf), ("password", NEW_PASSWORD)]).await;
        assert_eq!(done.location, Some(format!("/admin/accounts/{id}?done=password")));
        assert_eq!(sw.get("/").await.status, StatusCode::SEE_OTHER, "the old session has ended");
        assert_eq!(Browser::new(&w.state).log_in("sw", PASSWORD, "/").await.status, StatusCode::UNAUTHORIZED, "the old password no longer works");
        assert_eq!(Browser::new(&w.state).log_in("sw", NEW_PASSWORD, "/").await.status, StatusCode::SEE_OTHER);
        assert_eq!(admin.get("/").await.status, StatusCode::OK, "the administrator's own session goes on");
    }
}

#[tokio::test]
async fn a_revoked_token_no_longer_works_on_the_api() {
    for url in support::fresh_databases("ui-admin-token").await {
        let w = admin_world(&url).await;
        let (mut admin, csrf) = logged_in(&w.state, "psp.admin").await;
        let id = user_id(&w.state, "sw").await;
        assert_eq!(api_session(&w.state, &w.sw_token).await, StatusCode::OK);
        let token = w.state.store.tokens_of(&id).await.unwrap().pop().expect("the social worker's token");

        let page = admin.get(&format!("/admin/accounts/{id}")).await;
        let action = format!("/admin/accounts/{id}/tokens/{}/revoke", token.id);
        assert!(page.html.contains(&action), "the token is listed with a Revoke button");
        assert!(!page.html.contains(&w.sw_token), "never the token itself");

        // Another person's token cannot be revoked through this person's page.
        let other = user_id(&w.state, "york.sw").await;
        let wrong = admin.post(&format!("/admin/accounts/{other}/tokens/{}/revoke", token.id), &[("csrf_token", &csrf)]).await;
        assert_eq!(wrong.status, StatusCode::NOT_FOUND);
        assert_eq!(api_session(&w.state, &w.sw_token).await, StatusCode::OK);

        let done = admin.post(&action, &[("csrf_token", &csrf)]).await;
        assert_eq!(done.location, Some(format!("/admin/accounts/{id}?done=revoked#tokens")));
        assert_eq!(api_session(&w.state, &w.sw_token).await, StatusCode::UNAUTHORIZED);
        assert!(admin.get(&format!("/admin/accounts/{id}?done=revoked")).await.html.contains("Revoked "));
    }
}

/// A request: method, address, form fields.
type Sent = (&'static str, String, Vec<(&'static str, &'static str)>);

/// Every administration page and form, for `id`'s account and token.
fn every_admin_request(id: &str, token: &str) -> Vec<Sent> {
    vec![
        ("GET", "/admin/accounts".into(), vec![]),
        ("GET", "/admin/accounts?agency=bolton-cs".into(), vec![]),
        ("GET", "/admin/accounts/new".into(), vec![]),
        ("GET", format!("/admin/accounts/{id}"), vec![]),
        ("GET", format!("/admin/accounts/{id}/disable"), vec![]),
        ("GET", "/admin/agencies".into(), vec![]),
        ("GET", "/admin/agencies/new".into(), vec![]),
        (
            "POST",
            "/admin/accounts/new".into(),
            vec![("display_name", "Someone New"), ("username", "someone.new"), ("agency", "bolton-cs"), ("role", "social_worker"), ("password", NEW_PASSWORD)],
        ),
        ("POST", format!("/admin/accounts/{id}/role"), vec![("role", "team_manager"), ("team", "")]),
        ("POST", format!("/admin/accounts/{id}/password"), vec![("password", NEW_PASSWORD)]),
        ("POST", format!("/admin/accounts/{id}/disable"), vec![]),
        ("POST", format!("/admin/accounts/{id}/enable"), vec![]),
        ("POST", format!("/admin/accounts/{id}/tokens/{token}/revoke"), vec![]),
        ("POST", "/admin/agencies/new".into(), vec![("id", "new-agency"), ("name", "A new agency"), ("kind", "health"), ("authorities", "bolton")]),
    ]
}

#[tokio::test]
async fn a_social_worker_is_refused_every_admin_page_and_form_and_nothing_changes() {
    for url in support::fresh_databases("ui-admin-refused").await {
        let w = admin_world(&url).await;
        let (mut sw, csrf) = logged_in(&w.state, "sw").await;
        assert!(!sw.get("/").await.html.contains("/admin/accounts"), "no Accounts link for a social worker");
        let target = user_id(&w.state, "york.sw").await;
        let token = w.state.store.tokens_of(&target).await.unwrap().pop().unwrap().id;
        let (users, agencies) = (w.state.store.users().await.unwrap().len(), w.state.store.agencies().await.unwrap().len());
        for (method, uri, mut fields) in every_admin_request(&target, &token) {
            fields.push(("csrf_token", csrf.as_str()));
            let page = sw.send(method, &uri, (method == "POST").then_some(fields.as_slice())).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{method} {uri}: {}", page.html);
            assert!(page.html.contains("You may not see this") && page.html.contains("default-deny"), "{method} {uri}");
            let entry = w.state.store.audit_entries(0, 100_000).await.unwrap().pop().unwrap().entry;
            assert_eq!((entry.outcome.as_str(), entry.rule.as_deref()), ("denied", Some("default-deny")), "{method} {uri}");
        }
        assert_eq!(w.state.store.users().await.unwrap().len(), users);
        assert_eq!(w.state.store.agencies().await.unwrap().len(), agencies);
        let york = w.state.store.identity_by_id(&target).await.unwrap().unwrap().user;
        assert_eq!((york.disabled, york.role.as_str()), (0, "social_worker"));
        assert!(w.state.store.tokens_of(&target).await.unwrap().iter().all(|t| t.revoked_at.is_none()));
    }
}

#[tokio::test]
async fn an_own_agency_administrator_manages_only_their_agencys_people() {
    for url in support::fresh_databases("ui-admin-own").await {
        let w = admin_world(&url).await;
        let (mut admin, csrf) = logged_in(&w.state, "cs.admin").await;
        let york = user_id(&w.state, "york.sw").await;
        let sw = user_id(&w.state, "sw").await;

        let list = admin.get("/admin/accounts").await;
        assert_eq!(list.status, StatusCode::OK);
        assert!(list.html.contains(&format!("/admin/accounts/{sw}")) && !list.html.contains(&york) && !list.html.contains("psp.admin"));
        assert_eq!(admin.get("/admin/accounts?agency=york-cs").await.status, StatusCode::NOT_FOUND);
        let agencies = admin.get("/admin/agencies").await;
        assert!(agencies.html.contains("bolton-cs") && !agencies.html.contains("york-cs") && !agencies.html.contains("Add an agency"));

        // Another agency's person: as if there were none, and nothing done.
        for (method, uri, mut fields) in every_admin_request(&york, "any") {
            if !uri.contains(&york) {
                continue;
            }
            fields.push(("csrf_token", csrf.as_str()));
            let page = admin.send(method, &uri, (method == "POST").then_some(fields.as_slice())).await;
            assert_eq!(page.status, StatusCode::NOT_FOUND, "{method} {uri}: {}", page.html);
        }
        let still = w.state.store.identity_by_id(&york).await.unwrap().unwrap().user;
        assert_eq!((still.disabled, still.role.as_str()), (0, "social_worker"));
        // Nor may they add people to it, or add agencies.
        let refused = admin
            .post(
                "/admin/accounts/new",
                &[("csrf_token", &csrf), ("display_name", "Yorkie"), ("username", "yorkie"), ("agency", "york-cs"), ("role", "social_worker")],
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.html.contains("href=\"#agency\"") && refused.html.contains("Choose one of the agencies you administer"));
        assert!(w.state.store.identity_by_username("yorkie").await.unwrap().is_none());
        assert_eq!(admin.get("/admin/agencies/new").await.status, StatusCode::FORBIDDEN);
        let forged = admin.post("/admin/agencies/new", &[("csrf_token", &csrf), ("id", "mine"), ("name", "Mine"), ("kind", "police")]).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        assert!(w.state.store.agency("mine").await.unwrap().is_none());

        // Their own agency's people they manage, under the own-agency grant.
        let done = admin.post(&format!("/admin/accounts/{sw}/disable"), &[("csrf_token", &csrf)]).await;
        assert_eq!(done.location, Some(format!("/admin/accounts/{sw}?done=disabled")));
        let entry = w.state.store.audit_entries(0, 100_000).await.unwrap().pop().unwrap().entry;
        assert_eq!(entry.rule.as_deref(), Some("agency-administers-own-accounts"));
    }
}

#[tokio::test]
async fn an_administrator_cannot_disable_themself_nor_take_away_their_own_administration() {
    for url in support::fresh_databases("ui-admin-self").await {
        let w = admin_world(&url).await;
        let (mut admin, csrf) = logged_in(&w.state, "cs.admin").await;
        let me = user_id(&w.state, "cs.admin").await;
        let page = admin.get(&format!("/admin/accounts/{me}")).await;
        assert!(page.html.contains("You cannot disable it") && !page.html.contains(&format!("/admin/accounts/{me}/disable\"")));
        let refused = admin.post(&format!("/admin/accounts/{me}/disable"), &[("csrf_token", &csrf)]).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.html.contains("You cannot disable your own account"));
        let refused = admin.post(&format!("/admin/accounts/{me}/role"), &[("csrf_token", &csrf), ("role", "social_worker"), ("team", "")]).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.html.contains("href=\"#role\"") && refused.html.contains("You cannot take away your own administration"));
        let still = w.state.store.identity_by_id(&me).await.unwrap().unwrap().user;
        assert_eq!((still.disabled, still.role.as_str()), (0, "system_administrator"));
        assert_eq!(admin.get("/admin/accounts").await.status, StatusCode::OK, "still logged in and administering");
        // Their team they may change.
        let done = admin.post(&format!("/admin/accounts/{me}/role"), &[("csrf_token", &csrf), ("role", "system_administrator"), ("team", "Systems")]).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER);
    }
}

#[tokio::test]
async fn every_admin_page_and_action_is_one_audit_entry_naming_the_account_and_the_grant() {
    for url in support::fresh_databases("ui-admin-audit").await {
        let w = admin_world(&url).await;
        let (mut admin, csrf) = logged_in(&w.state, "psp.admin").await;
        let id = user_id(&w.state, "sw").await;
        let token = w.state.store.tokens_of(&id).await.unwrap().pop().unwrap().id;
        for (method, uri, mut fields) in every_admin_request(&id, &token) {
            fields.push(("csrf_token", csrf.as_str()));
            let before = w.state.store.audit_entries(0, 100_000).await.unwrap().len();
            let page = admin.send(method, &uri, (method == "POST").then_some(fields.as_slice())).await;
            assert!(page.status == StatusCode::OK || page.status == StatusCode::SEE_OTHER, "{method} {uri}: {} {}", page.status, page.html);
            let entries = w.state.store.audit_entries(0, 100_000).await.unwrap();
            assert_eq!(entries.len(), before + 1, "{method} {uri} is one entry");
            let e = &entries.last().unwrap().entry;
            assert_eq!(e.rule.as_deref(), Some("partnership-administers-accounts"), "{method} {uri}");
            assert!(e.fields.iter().any(|f| f == "accounts"), "{method} {uri}: {:?}", e.fields);
            let named = match uri.as_str() {
                "/admin/accounts" => ("users", "all".to_string()),
                "/admin/accounts?agency=bolton-cs" => ("users", "bolton-cs".to_string()),
                "/admin/accounts/new" if method == "GET" => ("user", "new".to_string()),
                "/admin/accounts/new" => ("user", user_id(&w.state, "someone.new").await),
                "/admin/agencies" => ("agencies", "all".to_string()),
                "/admin/agencies/new" if method == "GET" => ("agency", "new".to_string()),
                "/admin/agencies/new" => ("agency", "new-agency".to_string()),
                _ => ("user", id.clone()),
            };
            assert_eq!((e.record_type.as_deref(), e.record_id.as_deref()), (Some(named.0), Some(named.1.as_str())), "{method} {uri}");
        }
        assert!(w.state.store.audit_verify().await.unwrap().broken.is_none());
    }
}

#[tokio::test]
async fn before_version_2_nobody_administers_accounts_over_the_web() {
    for url in support::fresh_databases("ui-admin-v1").await {
        let w = admin_world(&url).await;
        let clock = Arc::new(ManualClock::new("2026-03-03T06:00:00Z".parse().unwrap()));
        let state = AppState { clock, ..w.state.clone() };
        let (mut admin, _) = logged_in(&state, "psp.admin").await;
        assert!(!admin.get("/").await.html.contains("/admin/accounts"));
        assert_eq!(admin.get("/admin/accounts").await.status, StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn the_api_administers_accounts_for_a_logged_in_administrator_and_never_with_a_token() {
    for url in support::fresh_databases("ui-admin-api").await {
        let w = admin_world(&url).await;
        let (admin, csrf) = logged_in(&w.state, "psp.admin").await;
        let cookie = format!("homeward_session={}", admin.cookies["homeward_session"]);
        let as_admin = [("cookie", cookie.as_str()), ("x-csrf-token", csrf.as_str())];
        let call = |method: &'static str, uri: String, body: Option<serde_json::Value>| {
            let state = w.state.clone();
            let headers = as_admin;
            async move { support::request(&state, method, &uri, &headers, body).await }
        };

        let (status, people) = call("GET", "/api/v1/users?agency=bolton-cs".into(), None).await;
        assert_eq!(status, StatusCode::OK, "{people}");
        let sw = people.as_array().unwrap().iter().find(|p| p["username"] == "sw").expect("the social worker");
        assert_eq!((sw["role_name"].as_str(), sw["disabled"].as_bool()), (Some("Social worker"), Some(false)));
        let (status, e) = call("GET", "/api/v1/users?agencies=x".into(), None).await;
        assert_eq!((status, e["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("agencies")));

        let person = json!({"username": "api.person", "display_name": "Api Person", "agency": "bolton-cs", "role": "police_mpc", "password": NEW_PASSWORD});
        let (status, e) = call("POST", "/api/v1/users".into(), Some(person.clone())).await;
        assert_eq!((status, e["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("role")), "{e}");
        assert!(w.state.store.identity_by_username("api.person").await.unwrap().is_none());
        let mut person = person;
        person["role"] = json!("missing_coordinator");
        let (status, made) = call("POST", "/api/v1/users".into(), Some(person)).await;
        assert_eq!(status, StatusCode::CREATED, "{made}");
        assert_eq!(made["role_name"], "Missing coordinator");
        let id = made["id"].as_str().unwrap().to_string();
        let (status, _) = call("PUT", format!("/api/v1/users/{id}/disabled"), Some(json!({"disabled": true}))).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert_eq!(w.state.store.identity_by_id(&id).await.unwrap().unwrap().user.disabled, 1);
        let entry = w.state.store.audit_entries(0, 100_000).await.unwrap().pop().unwrap().entry;
        assert_eq!((entry.record_id.as_deref(), entry.rule.as_deref()), (Some(id.as_str()), Some("partnership-administers-accounts")));

        // Never with an API token, the administrator's own included; nor by a social worker.
        let admin_token = support::account(&w.state.store, "psp", "partnership", &[], "psp.admin", "system_administrator").await;
        for token in [admin_token, w.sw_token.clone()] {
            let auth = format!("Bearer {token}");
            let h = [("authorization", auth.as_str())];
            let (status, _) = support::request(&w.state, "GET", "/api/v1/users", &h, None).await;
            assert_eq!(status, StatusCode::FORBIDDEN);
            let (status, _) = support::request(&w.state, "PUT", &format!("/api/v1/users/{id}/disabled"), &h, Some(json!({"disabled": false}))).await;
            assert_eq!(status, StatusCode::FORBIDDEN);
        }
        assert_eq!(w.state.store.identity_by_id(&id).await.unwrap().unwrap().user.disabled, 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_chromium_the_administration_pages_pass_the_accessibility_checks() {
    use fantoccini::Locator::{Css, LinkText};
    let Some(url) = support::fresh_databases("ui-browser-admin").await.into_iter().next() else { return };
    let w = admin_world(&url).await;
    let base = serve(&w.state).await;
    let Some(c) = chromium().await else { return };
    c.goto(&format!("{base}/admin/accounts")).await.unwrap();
    log_in_with_the_form(&c, "psp.admin").await;
    assert_eq!(c.current_url().await.unwrap().path(), "/admin/accounts");
    assert_eq!(text(&c, "h1").await, "Accounts");
    check_page(&c, "admin-accounts").await;

    click_through(&c, LinkText("Add a person")).await;
    check_page(&c, "admin-add-person").await;
    click_through(&c, Css("form[action='/admin/accounts/new'] button[type=submit]")).await;
    assert!(text(&c, ".error-summary").await.contains("Enter the person's full name"));
    check_page(&c, "admin-add-person-errors").await;
    c.find(Css("#display_name")).await.unwrap().send_keys("Dee Duty").await.unwrap();
    c.find(Css("#username")).await.unwrap().send_keys("dee.duty").await.unwrap();
    c.find(Css("#agency option[value='bolton-cs']")).await.unwrap().click().await.unwrap();
    c.find(Css("#role option[value='emergency_duty_worker']")).await.unwrap().click().await.unwrap();
    c.find(Css("#password")).await.unwrap().send_keys(NEW_PASSWORD).await.unwrap();
    click_through(&c, Css("form[action='/admin/accounts/new'] button[type=submit]")).await;
    assert_eq!(text(&c, "h1").await, "Dee Duty");
    assert!(text(&c, ".banner-success").await.contains("The account has been made"));
    check_page(&c, "admin-person").await;
    click_through(&c, LinkText("Disable the account")).await;
    check_page(&c, "admin-disable").await;
    click_through(&c, Css("form[action$='/disable'] button")).await;
    assert!(text(&c, ".banner-success").await.contains("The account is disabled"));

    c.goto(&format!("{base}/admin/accounts/{}", user_id(&w.state, "sw").await)).await.unwrap();
    check_page(&c, "admin-person-with-token").await;
    click_through(&c, Css("form[action$='/password'] button")).await;
    assert!(text(&c, ".error-summary").await.contains("Enter a temporary password"));
    check_page(&c, "admin-person-errors").await;

    c.goto(&format!("{base}/admin/agencies")).await.unwrap();
    check_page(&c, "admin-agencies").await;
    click_through(&c, LinkText("Add an agency")).await;
    check_page(&c, "admin-add-agency").await;
    click_through(&c, Css("form[action='/admin/agencies/new'] button[type=submit]")).await;
    assert!(text(&c, ".error-summary").await.contains("Enter the agency's name"));
    check_page(&c, "admin-add-agency-errors").await;
    c.close().await.unwrap();
}
