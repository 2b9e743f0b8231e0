//! Single sign-on with OpenID Connect, against an identity provider played
//! by this test on a loopback port: discovery, published keys, and a token
//! endpoint that checks the client secret and the PKCE verifier, and signs
//! ID tokens with a test-only RSA key (tests/fixtures/sso-test-key-*.pem,
//! made for these tests and used nowhere else). Runs on SQLite and, when
//! the test command provides it, PostgreSQL.
#![cfg(feature = "oidc")]

mod support;

use axum::http::{HeaderMap, StatusCode};
use homeward_server::auth::oidc::openidconnect as oidc;
use homeward_server::auth::sso::SsoConfig;
use homeward_server::{Clock, ManualClock};
use oidc::core::{
    CoreIdToken, CoreIdTokenClaims, CoreJsonWebKeySet, CoreJwsSigningAlgorithm, CoreProviderMetadata, CoreResponseType, CoreRsaPrivateSigningKey,
    CoreSubjectIdentifierType,
};
use oidc::{
    Audience, AuthUrl, EmptyAdditionalClaims, EmptyAdditionalProviderMetadata, EndUserEmail, IssuerUrl, JsonWebKeyId, JsonWebKeySetUrl, Nonce,
    PrivateSigningKey, ResponseTypes, StandardClaims, SubjectIdentifier, TokenUrl,
};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

const CLIENT_ID: &str = "homeward-test";
const CLIENT_SECRET: &str = "a-test-client-secret";
const KEYS: [&str; 2] = [include_str!("fixtures/sso-test-key-1.pem"), include_str!("fixtures/sso-test-key-2.pem")];

/// What the person at the provider is, as the test decides when it "logs in".
#[derive(Clone)]
struct Person {
    subject: String,
    email: Option<(String, bool)>,
}

/// A code the provider handed out, with what it was issued for.
struct Issued {
    person: Person,
    nonce: String,
    challenge: String,
    redirect_uri: String,
}

/// How the provider misbehaves, for the refusal tests.
#[derive(Clone, Copy, Default, PartialEq)]
enum Trick {
    #[default]
    None,
    /// The ID token's payload is changed after signing.
    Tamper,
    /// The ID token carries a nonce of its own.
    OtherNonce,
    /// The ID token is for another client.
    OtherAudience,
}

struct IdpState {
    issuer: String,
    clock: Arc<ManualClock>,
    key: usize,
    trick: Trick,
    codes: HashMap<String, Issued>,
    discoveries: usize,
}

#[derive(Clone)]
struct Idp(Arc<Mutex<IdpState>>);

fn b64(bytes: &[u8], url: bool) -> String {
    let table: &[u8; 64] = if url {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    } else {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    };
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(table[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
        if !url {
            out.push_str(&"=".repeat(3 - chunk.len()));
        }
    }
    out
}

fn signing_key(index: usize) -> CoreRsaPrivateSigningKey {
    CoreRsaPrivateSigningKey::from_pem(KEYS[index], Some(JsonWebKeyId::new(format!("key-{index}")))).unwrap()
}

fn query_of(url: &str) -> HashMap<String, String> {
    let parsed = oidc::url::Url::parse(url).unwrap();
    parsed.query_pairs().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

impl Idp {
    async fn start(clock: Arc<ManualClock>) -> Idp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let idp = Idp(Arc::new(Mutex::new(IdpState { issuer, clock, key: 0, trick: Trick::None, codes: HashMap::new(), discoveries: 0 })));
        let (d, j, t) = (idp.clone(), idp.clone(), idp.clone());
        let app = axum::Router::new()
            .route("/.well-known/openid-configuration", axum::routing::get(move || async move { d.discovery() }))
            .route("/jwks", axum::routing::get(move || async move { j.jwks() }))
            .route(
                "/token",
                axum::routing::post(move |headers: HeaderMap, form: axum::Form<HashMap<String, String>>| async move { t.token(&headers, form.0) }),
            );
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        idp
    }

    fn issuer(&self) -> String {
        self.0.lock().unwrap().issuer.clone()
    }

    fn discovery(&self) -> axum::Json<serde_json::Value> {
        let mut s = self.0.lock().unwrap();
        s.discoveries += 1;
        let issuer = s.issuer.clone();
        let metadata = CoreProviderMetadata::new(
            IssuerUrl::new(issuer.clone()).unwrap(),
            AuthUrl::new(format!("{issuer}/authorize")).unwrap(),
            JsonWebKeySetUrl::new(format!("{issuer}/jwks")).unwrap(),
            vec![ResponseTypes::new(vec![CoreResponseType::Code])],
            vec![CoreSubjectIdentifierType::Public],
            vec![CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256],
            EmptyAdditionalProviderMetadata {},
        )
        .set_token_endpoint(Some(TokenUrl::new(format!("{issuer}/token")).unwrap()));
        axum::Json(serde_json::to_value(metadata).unwrap())
    }

    fn jwks(&self) -> axum::Json<serde_json::Value> {
        let key = self.0.lock().unwrap().key;
        axum::Json(serde_json::to_value(CoreJsonWebKeySet::new(vec![signing_key(key).as_verification_key()])).unwrap())
    }

    /// The person logs in at the provider, which sends them back with a code.
    fn authorize(&self, auth_url: &str, person: Person) -> HashMap<String, String> {
        let q = query_of(auth_url);
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["client_id"], CLIENT_ID);
        assert_eq!(q["code_challenge_method"], "S256");
        assert!(q["scope"].split(' ').any(|s| s == "openid"), "{}", q["scope"]);
        let code = homeward_server::auth::random_token();
        let issued = Issued { person, nonce: q["nonce"].clone(), challenge: q["code_challenge"].clone(), redirect_uri: q["redirect_uri"].clone() };
        self.0.lock().unwrap().codes.insert(code.clone(), issued);
        HashMap::from([("code".to_string(), code), ("state".to_string(), q["state"].clone())])
    }

    fn token(&self, headers: &HeaderMap, form: HashMap<String, String>) -> (StatusCode, axum::Json<serde_json::Value>) {
        let bad = |error: &str| (StatusCode::BAD_REQUEST, axum::Json(serde_json::json!({ "error": error })));
        let expected = format!("Basic {}", b64(format!("{CLIENT_ID}:{CLIENT_SECRET}").as_bytes(), false));
        if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
            return (StatusCode::UNAUTHORIZED, axum::Json(serde_json::json!({ "error": "invalid_client" })));
        }
        let mut s = self.0.lock().unwrap();
        let Some(issued) = form.get("code").and_then(|c| s.codes.remove(c)) else { return bad("invalid_grant") };
        let verifier = form.get("code_verifier").cloned().unwrap_or_default();
        if b64(&Sha256::digest(verifier.as_bytes()), true) != issued.challenge {
            return bad("invalid_grant");
        }
        if form.get("redirect_uri") != Some(&issued.redirect_uri) || form.get("grant_type").map(String::as_str) != Some("authorization_code") {
            return bad("invalid_request");
        }
        let now = chrono::DateTime::from_timestamp(s.clock.now().as_second(), 0).unwrap();
        let audience = if s.trick == Trick::OtherAudience { "someone-else" } else { CLIENT_ID };
        let nonce = if s.trick == Trick::OtherNonce { "not-the-nonce".to_string() } else { issued.nonce };
        let mut standard = StandardClaims::new(SubjectIdentifier::new(issued.person.subject.clone()));
        if let Some((email, verified)) = &issued.person.email {
            standard = standard.set_email(Some(EndUserEmail::new(email.clone()))).set_email_verified(Some(*verified));
        }
        let claims = CoreIdTokenClaims::new(
            IssuerUrl::new(s.issuer.clone()).unwrap(),
            vec![Audience::new(audience.to_string())],
            now + chrono::Duration::minutes(5),
            now,
            standard,
            EmptyAdditionalClaims {},
        )
        .set_nonce(Some(Nonce::new(nonce)));
        let token = CoreIdToken::new(claims, &signing_key(s.key), CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256, None, None).unwrap();
        let mut text = token.to_string();
        if s.trick == Trick::Tamper {
            let parts: Vec<&str> = text.split('.').collect();
            let payload = b64(
                serde_json::json!({ "iss": s.issuer, "aud": [CLIENT_ID], "sub": "someone-else", "exp": now.timestamp() + 300, "iat": now.timestamp(), "nonce": "x" })
                    .to_string()
                    .as_bytes(),
                true,
            );
            text = format!("{}.{}.{}", parts[0], payload, parts[2]);
        }
        s.trick = Trick::None;
        (StatusCode::OK, axum::Json(serde_json::json!({ "access_token": "at", "token_type": "Bearer", "expires_in": 300, "id_token": text })))
    }
}

/// A response's status, headers and body text.
async fn send(state: &homeward_server::AppState, uri: &str, cookie: Option<&str>) -> (StatusCode, HeaderMap, String) {
    use tower::ServiceExt;
    let mut req = axum::http::Request::builder().method("GET").uri(uri);
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    let res = homeward_server::app(state.clone()).oneshot(req.body(axum::body::Body::empty()).unwrap()).await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap();
    (status, headers, String::from_utf8_lossy(&bytes).to_string())
}

struct World {
    state: homeward_server::AppState,
    clock: Arc<ManualClock>,
    idp: Idp,
}

async fn world(url: &str) -> World {
    let clock = Arc::new(ManualClock::new("2026-11-23T03:00:00Z".parse().unwrap()));
    let idp = Idp::start(clock.clone()).await;
    let issuer = idp.issuer();
    let settings = format!(
        r#"
[[provider]]
id = "council"
label = "Bolton Council"
issuer = "{issuer}"
client_id = "{CLIENT_ID}"
client_secret_env = "COUNCIL_SECRET"
redirect_url = "https://homeward.test/auth/sso/council/callback"
agencies = ["bolton-cs"]

[[provider]]
id = "council-email"
label = "Bolton Council (email)"
issuer = "{issuer}"
client_id = "{CLIENT_ID}"
client_secret_env = "COUNCIL_SECRET"
redirect_url = "https://homeward.test/auth/sso/council-email/callback"
match = "email"
agencies = ["bolton-cs"]
"#
    );
    let config = SsoConfig::parse(&settings).unwrap();
    let state = support::app_state(url, clock.clone(), "sso-test")
        .await
        .with_sso(config, |name| (name == "COUNCIL_SECRET").then(|| CLIENT_SECRET.to_string()))
        .unwrap();
    support::account(&state.store, "bolton-cs", "childrens_services", &["bolton"], "sw.bolton", "social_worker").await;
    support::account(&state.store, "bolton-police", "police", &["bolton"], "mpc.bolton", "police_mpc").await;
    World { state, clock, idp }
}

impl World {
    async fn user_id(&self, username: &str) -> String {
        self.state.store.identity_by_username(username).await.unwrap().unwrap().user.id
    }

    async fn link(&self, username: &str, subject: &str) {
        let id = self.user_id(username).await;
        self.state.store.link_sso("council", subject, &id, 0).await.unwrap();
    }

    /// Starts a login at Homeward; returns the provider's URL.
    async fn begin(&self, provider: &str) -> String {
        let (status, headers, body) = send(&self.state, &format!("/auth/sso/{provider}/login"), None).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
        headers["location"].to_str().unwrap().to_string()
    }

    async fn finish(&self, provider: &str, reply: &HashMap<String, String>) -> (StatusCode, HeaderMap, String) {
        let query: Vec<String> = reply.iter().map(|(k, v)| format!("{k}={v}")).collect();
        send(&self.state, &format!("/auth/sso/{provider}/callback?{}", query.join("&")), None).await
    }

    /// A whole login as `person` through `provider`.
    async fn login(&self, provider: &str, person: Person) -> (StatusCode, HeaderMap, String) {
        let url = self.begin(provider).await;
        let reply = self.idp.authorize(&url, person);
        self.finish(provider, &reply).await
    }
}

fn person(subject: &str) -> Person {
    Person { subject: subject.to_string(), email: None }
}

fn session_cookie(headers: &HeaderMap) -> Option<String> {
    let set = headers.get("set-cookie")?.to_str().ok()?;
    Some(set.split(';').next()?.to_string())
}

fn assert_refused(result: &(StatusCode, HeaderMap, String), says: &str) {
    assert_eq!(result.0, StatusCode::UNAUTHORIZED, "{}", result.2);
    assert!(result.2.contains(says), "{} should say {says}", result.2);
    assert!(result.1.get("set-cookie").is_none(), "a refused login must not start a session");
}

#[tokio::test]
async fn a_linked_account_logs_in_once_per_reply_and_the_login_is_audited() {
    for url in support::fresh_databases("sso-linked").await {
        let w = world(&url).await;
        w.link("sw.bolton", "person-123").await;
        let url_at_provider = w.begin("council").await;
        assert!(url_at_provider.starts_with(&format!("{}/authorize?", w.idp.issuer())), "{url_at_provider}");
        assert_eq!(query_of(&url_at_provider)["redirect_uri"], "https://homeward.test/auth/sso/council/callback");
        let reply = w.idp.authorize(&url_at_provider, person("person-123"));
        let (status, headers, body) = w.finish("council", &reply).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
        assert_eq!(headers["location"], "/");
        let cookie = session_cookie(&headers).expect("a session cookie");
        let set = headers["set-cookie"].to_str().unwrap();
        assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax") && set.contains("Secure"), "{set}");

        let (status, _, body) = send(&w.state, "/api/v1/session", Some(&cookie)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let me: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(me["user"], "sw.bolton");
        assert_eq!(me["role"], "social_worker");

        // The same reply again (a replayed or bookmarked URL) is refused.
        assert_refused(&w.finish("council", &reply).await, "expired or was already used");

        let user = w.user_id("sw.bolton").await;
        let entries = w.state.store.audit_entries(0, 1000).await.unwrap();
        let logins: Vec<_> = entries.iter().map(|r| &r.entry).filter(|e| e.operation == "GET /auth/sso/{provider}/callback").collect();
        assert_eq!(logins.len(), 2, "one entry per callback");
        assert_eq!(logins[0].user_id.as_deref(), Some(user.as_str()));
        assert_eq!((logins[0].action.as_str(), logins[0].outcome.as_str()), ("login", "allowed"));
        assert_eq!(logins[1].outcome, "denied");
        assert!(entries.iter().any(|r| r.entry.operation == "GET /auth/sso/{provider}/login"));
        assert!(w.state.store.audit_verify().await.unwrap().broken.is_none());
    }
}

#[tokio::test]
async fn a_person_without_a_linked_account_is_refused() {
    for url in support::fresh_databases("sso-unlinked").await {
        let w = world(&url).await;
        let result = w.login("council", person("nobody")).await;
        assert_refused(&result, "no Homeward account is linked");
        let entries = w.state.store.audit_entries(0, 1000).await.unwrap();
        let last = &entries.last().unwrap().entry;
        assert_eq!(last.user_id.as_deref(), Some("username:sso:council:nobody"));
        assert_eq!(last.outcome, "denied");
    }
}

#[tokio::test]
async fn a_provider_logs_in_only_accounts_of_its_agencies_and_never_disabled_ones() {
    for url in support::fresh_databases("sso-agency").await {
        let w = world(&url).await;
        w.link("mpc.bolton", "officer-9").await;
        assert_refused(&w.login("council", person("officer-9")).await, "may not log in accounts of");

        w.link("sw.bolton", "person-123").await;
        w.state.store.set_disabled(&w.user_id("sw.bolton").await, true, 0).await.unwrap();
        assert_refused(&w.login("council", person("person-123")).await, "disabled");
    }
}

#[tokio::test]
async fn id_tokens_that_do_not_check_out_are_refused() {
    for url in support::fresh_databases("sso-tokens").await {
        let w = world(&url).await;
        w.link("sw.bolton", "person-123").await;
        for (trick, says) in [(Trick::Tamper, "not valid"), (Trick::OtherNonce, "not valid"), (Trick::OtherAudience, "not valid")] {
            w.idp.0.lock().unwrap().trick = trick;
            assert_refused(&w.login("council", person("person-123")).await, says);
        }
        // After all that, an honest login still works.
        assert_eq!(w.login("council", person("person-123")).await.0, StatusCode::SEE_OTHER);
    }
}

#[tokio::test]
async fn a_login_must_come_back_within_ten_minutes() {
    for url in support::fresh_databases("sso-expiry").await {
        let w = world(&url).await;
        w.link("sw.bolton", "person-123").await;
        let at_provider = w.begin("council").await;
        let reply = w.idp.authorize(&at_provider, person("person-123"));
        w.clock.advance(jiff::SignedDuration::from_mins(11));
        assert_refused(&w.finish("council", &reply).await, "expired or was already used");
    }
}

#[tokio::test]
async fn an_error_from_the_provider_is_shown_and_uses_up_the_login() {
    for url in support::fresh_databases("sso-error").await {
        let w = world(&url).await;
        let at_provider = w.begin("council").await;
        let state = query_of(&at_provider)["state"].clone();
        let reply = HashMap::from([
            ("state".to_string(), state),
            ("error".to_string(), "access_denied".to_string()),
            ("error_description".to_string(), "cancelled".to_string()),
        ]);
        assert_refused(&w.finish("council", &reply).await, "did not log you in (access_denied: cancelled)");
        assert_refused(&w.finish("council", &reply).await, "expired or was already used");
    }
}

#[tokio::test]
async fn keys_the_provider_rotates_are_fetched_again() {
    for url in support::fresh_databases("sso-rotation").await {
        let w = world(&url).await;
        w.link("sw.bolton", "person-123").await;
        assert_eq!(w.login("council", person("person-123")).await.0, StatusCode::SEE_OTHER);
        let before = w.idp.0.lock().unwrap().discoveries;
        w.idp.0.lock().unwrap().key = 1;
        let (status, _, body) = w.login("council", person("person-123")).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
        assert_eq!(w.idp.0.lock().unwrap().discoveries, before + 1, "the keys were fetched again once");
    }
}

#[tokio::test]
async fn email_matching_needs_an_address_the_provider_has_verified() {
    for url in support::fresh_databases("sso-email").await {
        let w = world(&url).await;
        let agency = w.state.store.agency("bolton-cs").await.unwrap().unwrap();
        let new = homeward_store::NewUser {
            username: "dsl.jones".into(),
            display_name: "A. Jones".into(),
            email: Some("A.Jones@Bolton.example".into()),
            agency_id: agency.id,
            role: "team_manager".into(),
            team: None,
            password_hash: None,
        };
        w.state.store.create_user(&new, 0).await.unwrap();
        let unverified = Person { subject: "x1".into(), email: Some(("a.jones@bolton.example".into(), false)) };
        assert_refused(&w.login("council-email", unverified).await, "verified");
        let verified = Person { subject: "x1".into(), email: Some(("a.jones@bolton.example".into(), true)) };
        let (status, headers, body) = w.login("council-email", verified).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
        let (_, _, body) = send(&w.state, "/api/v1/session", session_cookie(&headers).as_deref()).await;
        assert!(body.contains("\"user\":\"dsl.jones\""), "{body}");
    }
}

#[tokio::test]
async fn an_unknown_provider_is_not_found() {
    for url in support::fresh_databases("sso-unknown").await {
        let w = world(&url).await;
        let (status, _, body) = send(&w.state, "/auth/sso/elsewhere/login", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    }
}

#[tokio::test]
async fn the_login_page_offers_each_provider() {
    for url in support::fresh_databases("sso-page").await {
        let w = world(&url).await;
        let (status, _, html) = send(&w.state, "/login", None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains(r#"href="/auth/sso/council/login">Bolton Council</a>"#), "{html}");
        assert!(html.contains(r#"href="/auth/sso/council-email/login">Bolton Council (email)</a>"#), "{html}");
    }
}
