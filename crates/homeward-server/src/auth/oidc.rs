//! Logging in through an OpenID Connect identity provider (cargo feature
//! `oidc`): the authorization code flow with PKCE, a nonce and a one-time
//! `state`, for the providers in the single sign-on settings ([`super::sso`]).
//!
//! 1. `GET /auth/sso/{provider}/login` remembers a new login in the database
//!    (so the provider may send the browser back to any instance) and
//!    redirects to the provider.
//! 2. `GET /auth/sso/{provider}/callback` takes that login (once), exchanges
//!    the code with the PKCE verifier and the client secret, checks the ID
//!    token (signature against the provider's published keys, issuer,
//!    audience, expiry, nonce), finds the Homeward account, checks that the
//!    provider may log in accounts of its agency, and starts the same session
//!    a password login would.
//!
//! The provider proves who the person is; Homeward still decides what they
//! may see: the account's agency and role are Homeward's, never the
//! provider's claims.

use super::sso::{Match, ProviderConfig, SsoConfig, SsoConfigError};
use super::{random_token, token_hash};
use crate::AppState;
use crate::audit::AuditSlot;
use crate::error::ApiError;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use homeward_store::{Identity, PendingSsoLogin};
use openidconnect::AsyncHttpClient;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, HttpRequest, HttpResponse, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
};
use serde::Deserialize;

/// For tests that play the identity provider.
#[doc(hidden)]
pub use openidconnect;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::RwLock;

/// How long a login may take at the provider (seconds).
const LOGIN_WINDOW: i64 = 10 * 60;
/// How long a provider's published settings and keys are kept before they
/// are fetched again (seconds). They are also fetched again when an ID token
/// is signed with a key not yet seen (the provider rotated its keys).
const METADATA_TTL: i64 = 3600;

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HttpError(String);

/// Our HTTP client (rustls with ring; no redirects followed), as the OpenID
/// Connect library wants one. Its futures are `Send`, so handlers that use
/// it can run on the multi-threaded runtime.
struct Http(reqwest::Client);

impl<'c> AsyncHttpClient<'c> for Http {
    type Error = HttpError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, HttpError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(send(&self.0, request))
    }
}

async fn send(http: &reqwest::Client, request: HttpRequest) -> Result<HttpResponse, HttpError> {
    let (parts, body) = request.into_parts();
    let response = http.request(parts.method, parts.uri.to_string()).headers(parts.headers).body(body).send().await.map_err(|e| HttpError(e.to_string()))?;
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.map_err(|e| HttpError(e.to_string()))?;
    let mut out = HttpResponse::new(bytes.to_vec());
    *out.status_mut() = status;
    *out.headers_mut() = headers;
    Ok(out)
}

struct Provider {
    config: ProviderConfig,
    secret: String,
    /// The provider's discovery document and keys, and when they were fetched.
    metadata: RwLock<Option<(CoreProviderMetadata, i64)>>,
}

/// The identity providers this deployment trusts, ready to use.
pub struct Providers {
    http: Http,
    list: Vec<Provider>,
}

impl Providers {
    /// Reads each provider's client secret with `secret`, given the name of
    /// the environment variable the settings name (`std::env::var` in
    /// the service). Providers are contacted on first use, not here, so the
    /// service starts even while a provider is down.
    pub fn new(config: SsoConfig, secret: impl Fn(&str) -> Option<String>) -> Result<Providers, SsoConfigError> {
        crate::notify::install_crypto();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            // Following redirects would let a provider's response send us elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("Homeward")
            .build()
            .map_err(|e| SsoConfigError::Read { path: String::new(), message: format!("HTTP client: {e}") })?;
        let mut list = Vec::new();
        for config in config.providers {
            let secret = secret(&config.client_secret_env).ok_or_else(|| SsoConfigError::Field {
                provider: config.id.clone(),
                field: "client_secret_env",
                message: format!("names {}, which is not set", config.client_secret_env),
            })?;
            list.push(Provider { config, secret, metadata: RwLock::new(None) });
        }
        Ok(Providers { http: Http(http), list })
    }

    /// Each provider's id and label, for the login page.
    pub fn labels(&self) -> Vec<(String, String)> {
        self.list.iter().map(|p| (p.config.id.clone(), p.config.label.clone())).collect()
    }

    async fn metadata(&self, provider: &Provider, now: i64, refresh: bool) -> Result<CoreProviderMetadata, ApiError> {
        if !refresh {
            if let Some((m, at)) = provider.metadata.read().await.as_ref() {
                if now - at < METADATA_TTL {
                    return Ok(m.clone());
                }
            }
        }
        let issuer = IssuerUrl::new(provider.config.issuer.clone()).map_err(|e| unavailable(&provider.config, e))?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &self.http).await.map_err(|e| unavailable(&provider.config, e))?;
        *provider.metadata.write().await = Some((metadata.clone(), now));
        Ok(metadata)
    }
}

fn unavailable(provider: &ProviderConfig, e: impl std::fmt::Display) -> ApiError {
    tracing::warn!(provider = %provider.id, error = %e, "identity provider unavailable");
    ApiError::new(
        StatusCode::BAD_GATEWAY,
        "sso_unavailable",
        format!("{} cannot be reached just now; try again, or log in with a password", provider.label),
        None,
    )
}

fn refused(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", message, None)
}

/// What both steps start with: the audit entry names the login and the
/// provider, and the provider must be configured.
fn provider_for(state: &AppState, audit: &AuditSlot, id: &str) -> Result<(Arc<Providers>, usize), ApiError> {
    audit.set_action("login");
    audit.set_record("sso_provider", id);
    let not_found = || ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no single sign-on provider '{id}'"), Some("provider"));
    let all = state.sso.clone().ok_or_else(not_found)?;
    let index = all.list.iter().position(|p| p.config.id == id).ok_or_else(not_found)?;
    Ok((all, index))
}

/// The client type `from_provider_metadata` builds.
type MetadataClient = openidconnect::Client<
    openidconnect::EmptyAdditionalClaims,
    openidconnect::core::CoreAuthDisplay,
    openidconnect::core::CoreGenderClaim,
    openidconnect::core::CoreJweContentEncryptionAlgorithm,
    openidconnect::core::CoreJsonWebKey,
    openidconnect::core::CoreAuthPrompt,
    openidconnect::StandardErrorResponse<openidconnect::core::CoreErrorResponseType>,
    openidconnect::core::CoreTokenResponse,
    openidconnect::core::CoreTokenIntrospectionResponse,
    openidconnect::core::CoreRevocableToken,
    openidconnect::core::CoreRevocationErrorResponse,
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

fn client(provider: &Provider, metadata: CoreProviderMetadata) -> Result<MetadataClient, ApiError> {
    let redirect = RedirectUrl::new(provider.config.redirect_url.clone()).map_err(|e| unavailable(&provider.config, e))?;
    Ok(CoreClient::from_provider_metadata(metadata, ClientId::new(provider.config.client_id.clone()), Some(ClientSecret::new(provider.secret.clone())))
        .set_redirect_uri(redirect))
}

/// Step 1: send the browser to the provider.
pub async fn login(State(state): State<AppState>, Extension(audit): Extension<AuditSlot>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let (all, index) = provider_for(&state, &audit, &id)?;
    let provider = &all.list[index];
    let now = state.clock.now().as_second();
    let metadata = all.metadata(provider, now, false).await?;
    let client = client(provider, metadata)?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let state_value = random_token();
    let nonce = random_token();
    let mut request = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            {
                let s = state_value.clone();
                move || CsrfToken::new(s)
            },
            {
                let n = nonce.clone();
                move || Nonce::new(n)
            },
        )
        .set_pkce_challenge(challenge);
    let mut scopes: Vec<String> = provider.config.scopes.clone();
    if provider.config.matching == Match::Email && !scopes.iter().any(|s| s == "email") {
        scopes.push("email".to_string());
    }
    for scope in scopes {
        request = request.add_scope(Scope::new(scope));
    }
    let (url, _, _) = request.url();
    let pending = PendingSsoLogin { provider: id.clone(), nonce, pkce_verifier: verifier.secret().clone(), expires_at: now + LOGIN_WINDOW };
    state.store.begin_sso_login(&token_hash(&state_value), &pending, now).await?;
    redirect(url.as_str())
}

fn redirect(to: &str) -> Result<Response, ApiError> {
    let location = HeaderValue::from_str(to).map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string(), None))?;
    let mut response = StatusCode::SEE_OTHER.into_response();
    response.headers_mut().insert(header::LOCATION, location);
    Ok(response)
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    state: Option<String>,
    code: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// Step 2: the provider sends the browser back with a code.
pub async fn callback(
    State(state): State<AppState>,
    Extension(audit): Extension<AuditSlot>,
    Path(id): Path<String>,
    Query(query): Query<CallbackQuery>,
) -> Result<Response, ApiError> {
    let (all, index) = provider_for(&state, &audit, &id)?;
    let provider = &all.list[index];
    let now = state.clock.now().as_second();
    let missing = |field: &str| ApiError::new(StatusCode::BAD_REQUEST, "invalid", format!("the provider's reply has no {field}"), Some(field));
    let state_value = query.state.as_deref().ok_or_else(|| missing("state"))?;
    // Taken before anything else, so a reply is used at most once, even when
    // the provider reports an error.
    let pending = state.store.take_sso_login(&token_hash(state_value)).await?;
    let pending = match pending {
        Some(p) if p.provider == id && p.expires_at > now => p,
        _ => return Err(refused("this login has expired or was already used; start again")),
    };
    if let Some(error) = query.error {
        let detail = query.error_description.map(|d| format!(": {d}")).unwrap_or_default();
        return Err(refused(format!("{} did not log you in ({error}{detail})", provider.config.label)));
    }
    let code = query.code.ok_or_else(|| missing("code"))?;

    let metadata = all.metadata(provider, now, false).await?;
    let oidc = client(provider, metadata)?;
    let tokens = oidc
        .exchange_code(AuthorizationCode::new(code))
        .map_err(|e| unavailable(&provider.config, e))?
        .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
        .request_async(&all.http)
        .await
        .map_err(|e| refused(format!("{} did not accept the login: {e}", provider.config.label)))?;
    use openidconnect::TokenResponse;
    let id_token = tokens.id_token().ok_or_else(|| refused(format!("{} sent no ID token", provider.config.label)))?;
    let nonce = Nonce::new(pending.nonce.clone());
    let clock = state.clock.clone();
    let now_fn = move || {
        let s = clock.now().as_second();
        chrono::DateTime::<chrono::Utc>::from_timestamp(s, 0).unwrap_or_default()
    };
    let checked = {
        let verifier = oidc.id_token_verifier().set_time_fn(now_fn.clone());
        id_token.claims(&verifier, &nonce).cloned()
    };
    let claims = match checked {
        Ok(c) => c,
        // A key we have not seen: the provider may have rotated its keys.
        Err(openidconnect::ClaimsVerificationError::SignatureVerification(_)) => {
            let fresh = client(provider, all.metadata(provider, now, true).await?)?;
            let verifier = fresh.id_token_verifier().set_time_fn(now_fn);
            id_token.claims(&verifier, &nonce).cloned().map_err(|e| refused(format!("the ID token is not valid: {e}")))?
        }
        Err(e) => return Err(refused(format!("the ID token is not valid: {e}"))),
    };

    let subject = claims.subject().as_str().to_string();
    audit.set_attempted_user(&format!("sso:{id}:{subject}"));
    let identity = match provider.config.matching {
        Match::Subject => state.store.identity_by_sso(&id, &subject).await?,
        Match::Email => {
            let email = claims.email().map(|e| e.as_str().to_string());
            if claims.email_verified() != Some(true) {
                return Err(refused(format!("{} did not say your email address is verified", provider.config.label)));
            }
            let mut found = match email {
                Some(email) => state.store.identities_by_email(&email).await?,
                None => Vec::new(),
            };
            if found.len() > 1 {
                return Err(refused("more than one Homeward account has your email address; ask an administrator"));
            }
            found.pop()
        }
    };
    let identity = identity.ok_or_else(|| refused(format!("no Homeward account is linked to your {} login; ask an administrator", provider.config.label)))?;
    may_use(&provider.config, &identity)?;

    let source = audit.source().unwrap_or_else(|| "unknown".to_string());
    state.store.record_login_attempt(&identity.user.username, &source, now, true).await?;
    audit.set_who(&identity);
    audit.set_record("user", &identity.user.id);
    let session = super::session::start_session(&state, &identity, &source).await?;
    let mut response = redirect("/")?;
    response.headers_mut().insert(header::SET_COOKIE, session.cookie);
    Ok(response)
}

/// The account must be enabled and belong to an agency the provider serves.
fn may_use(provider: &ProviderConfig, identity: &Identity) -> Result<(), ApiError> {
    if identity.user.disabled != 0 {
        return Err(refused("the account is disabled"));
    }
    if !provider.agencies.contains(&identity.agency.id) {
        return Err(refused(format!("{} may not log in accounts of {}", provider.label, identity.agency.name)));
    }
    Ok(())
}

/// The routes, when single sign-on is configured.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new().route("/auth/sso/{provider}/login", axum::routing::get(login)).route("/auth/sso/{provider}/callback", axum::routing::get(callback))
}
