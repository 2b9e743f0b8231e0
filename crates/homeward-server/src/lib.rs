//! Homeward's HTTP service.
//!
//! Request → validate → record event → engine → store → respond: the JSON
//! handlers (`api`) and the pages (`ui`) parse input and call one function
//! of `service` per operation, which applies the policy and notes the audit
//! entry; the store appends the event and re-evaluates the
//! child with the engine in one transaction, and the response carries the
//! child's duties as stored. The timer worker re-evaluates children whose
//! duties change state with time.

pub mod access;
pub mod api;
pub mod audit;
pub mod auth;
pub mod clock;
mod demo;
mod error;
pub mod guard;
pub mod http;
pub mod import;
pub mod metrics;
pub mod notify;
pub mod private_files;
pub mod service;
pub mod ui;
pub mod worker;

pub use clock::{Clock, ManualClock, SystemClock};
pub use demo::{DEMO_PASSWORD, demo_accounts, demo_home, load_synthetic};
pub use error::ApiError;

use axum::Router;
use homeward_access::{Policies, PolicyError};
use homeward_store::Store;
use std::sync::Arc;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    /// This instance's name, recorded on what it does (timer claims).
    pub instance: String,
    pub metrics: Arc<metrics::Metrics>,
    /// The need-to-know policy, every version.
    pub policies: Arc<Policies>,
    pub auth: auth::AuthConfig,
    /// Loaded from the database on first use; see [`access::pseudonym_key`].
    pub pseudonym_key: Arc<tokio::sync::OnceCell<String>>,
    /// Signs login-form tokens; loaded from the database on first use.
    pub login_key: Arc<tokio::sync::OnceCell<String>>,
    /// Started on the first request (it needs the runtime).
    pub audit_writer: Arc<std::sync::OnceLock<audit::AuditWriter>>,
    /// Single sign-on providers, when configured.
    #[cfg(feature = "oidc")]
    pub sso: Option<Arc<auth::oidc::Providers>>,
}

impl AppState {
    /// A state with the built-in policy and default session settings.
    pub fn new(store: Store, clock: Arc<dyn Clock>, instance: impl Into<String>) -> Result<Self, PolicyError> {
        Ok(AppState {
            store,
            clock,
            instance: instance.into(),
            metrics: Arc::new(metrics::Metrics::default()),
            policies: Arc::new(Policies::built_in()?),
            auth: auth::AuthConfig::default(),
            pseudonym_key: Arc::new(tokio::sync::OnceCell::new()),
            login_key: Arc::new(tokio::sync::OnceCell::new()),
            audit_writer: Arc::new(std::sync::OnceLock::new()),
            #[cfg(feature = "oidc")]
            sso: None,
        })
    }

    pub fn with_policies(mut self, policies: Policies) -> Self {
        self.policies = Arc::new(policies);
        self
    }

    pub fn with_auth(mut self, auth: auth::AuthConfig) -> Self {
        self.auth = auth;
        self
    }

    /// Trusts the identity providers in `config` for logging in; their
    /// client secrets are read with `secret` (given the variable's name).
    #[cfg(feature = "oidc")]
    pub fn with_sso(mut self, config: auth::sso::SsoConfig, secret: impl Fn(&str) -> Option<String>) -> Result<Self, auth::sso::SsoConfigError> {
        self.sso = Some(Arc::new(auth::oidc::Providers::new(config, secret)?));
        Ok(self)
    }

    /// Each single sign-on provider's id and label (none without the `oidc` feature).
    pub fn sso_providers(&self) -> Vec<(String, String)> {
        #[cfg(feature = "oidc")]
        if let Some(p) = &self.sso {
            return p.labels();
        }
        Vec::new()
    }
}

/// The whole application: API routes (with their OpenAPI document) and
/// operational endpoints, with request ids, limits, security headers and a
/// log line per request ([`guard`]).
pub fn app(state: AppState) -> Router {
    let (api_router, openapi) = api::router().split_for_parts();
    let openapi = Arc::new(openapi);
    let request_id = axum::http::HeaderName::from_static("x-request-id");
    #[cfg(feature = "oidc")]
    let api_router = api_router.merge(auth::oidc::routes());
    let api_router = api_router.merge(ui::routes());
    api_router
        .route(
            "/api/openapi.json",
            axum::routing::get(move || {
                let doc = openapi.clone();
                async move { axum::Json(doc.as_ref().clone()) }
            }),
        )
        .route("/healthz", axum::routing::get(|| async { "ok" }))
        .route("/readyz", axum::routing::get(api::ready))
        .route("/metrics", axum::routing::get(metrics::render_for_caller))
        .layer(axum::middleware::from_fn(guard::same_origin))
        .layer(axum::middleware::from_fn_with_state(state.clone(), audit::record))
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::track))
        .with_state(state)
        .layer(RequestBodyLimitLayer::new(8 * 1024 * 1024))
        .layer(CatchPanicLayer::new())
        .layer(axum::middleware::from_fn(guard::respond))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .layer(axum::middleware::from_fn(guard::request_id))
}

/// Only the metrics, without a login: for a separate listening address that
/// only the operators' scraper can reach (`serve --metrics-listen`).
pub fn metrics_app(state: AppState) -> Router {
    Router::new().route("/metrics", axum::routing::get(metrics::render)).with_state(state)
}
