//! Single sign-on settings: the OpenID Connect identity providers a
//! deployment trusts, read from a TOML file and checked before the service
//! starts. The login flow itself is in `oidc` (cargo feature `oidc`).
//!
//! ```toml
//! [[provider]]
//! id = "lancashire"                       # in URLs and account links
//! label = "Lancashire County Council"     # on the login page
//! issuer = "https://login.example.gov.uk/tenant/v2.0"
//! client_id = "homeward"
//! client_secret_env = "HOMEWARD_SSO_LANCASHIRE_SECRET"
//! redirect_url = "https://homeward.example.org/auth/sso/lancashire/callback"
//! match = "subject"                       # or "email"
//! agencies = ["lancashire-cs"]            # accounts this provider may log in
//! ```

use serde::Deserialize;
use std::collections::BTreeSet;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum SsoConfigError {
    #[error("single sign-on settings {path}: {message}")]
    Read { path: String, message: String },
    #[error("single sign-on provider {provider}: field '{field}' {message}")]
    Field { provider: String, field: &'static str, message: String },
}

/// How a person at the provider is matched to a Homeward account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Match {
    /// The provider's `sub` claim, linked to an account beforehand
    /// (`homeward accounts link-sso`). The default: `sub` never changes.
    Subject,
    /// The account whose email address equals the verified `email` claim.
    Email,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    pub id: String,
    pub label: String,
    pub issuer: String,
    pub client_id: String,
    /// The environment variable holding the client secret; secrets are not
    /// written in the settings file.
    pub client_secret_env: String,
    pub redirect_url: String,
    #[serde(default = "default_match", rename = "match")]
    pub matching: Match,
    /// Only accounts of these agencies may log in through this provider: a
    /// council's provider cannot log anyone in as a police officer.
    pub agencies: Vec<String>,
    /// Scopes asked for besides `openid` (`email` is added for email matching).
    #[serde(default)]
    pub scopes: Vec<String>,
}

fn default_match() -> Match {
    Match::Subject
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SsoConfig {
    #[serde(default, rename = "provider")]
    pub providers: Vec<ProviderConfig>,
}

impl SsoConfig {
    pub fn load(path: &str) -> Result<SsoConfig, SsoConfigError> {
        let read = |message: String| SsoConfigError::Read { path: path.to_string(), message };
        let text = std::fs::read_to_string(path).map_err(|e| read(e.to_string()))?;
        let config = SsoConfig::parse(&text).map_err(|e| match e {
            SsoConfigError::Read { message, .. } => read(message),
            other => other,
        })?;
        Ok(config)
    }

    pub fn parse(text: &str) -> Result<SsoConfig, SsoConfigError> {
        let config: SsoConfig = toml::from_str(text).map_err(|e| SsoConfigError::Read { path: String::new(), message: e.to_string() })?;
        config.check()?;
        Ok(config)
    }

    pub fn provider(&self, id: &str) -> Option<&ProviderConfig> {
        self.providers.iter().find(|p| p.id == id)
    }

    fn check(&self) -> Result<(), SsoConfigError> {
        let mut seen = BTreeSet::new();
        for p in &self.providers {
            let field = |field: &'static str, message: &str| SsoConfigError::Field { provider: p.id.clone(), field, message: message.to_string() };
            homeward_core::vocab::check_id(&p.id, "provider id").map_err(|m| field("id", &m))?;
            if !seen.insert(p.id.clone()) {
                return Err(field("id", "is given to two providers"));
            }
            if p.label.trim().is_empty() {
                return Err(field("label", "is required"));
            }
            if p.client_id.trim().is_empty() {
                return Err(field("client_id", "is required"));
            }
            if p.client_secret_env.trim().is_empty() {
                return Err(field("client_secret_env", "is required"));
            }
            for (name, url) in [("issuer", &p.issuer), ("redirect_url", &p.redirect_url)] {
                if !(url.starts_with("https://") || url.starts_with("http://")) {
                    return Err(field(name, "must be an http(s) URL"));
                }
            }
            let callback = format!("/auth/sso/{}/callback", p.id);
            if !p.redirect_url.ends_with(&callback) {
                return Err(field("redirect_url", &format!("must end with {callback}")));
            }
            if p.agencies.is_empty() {
                return Err(field("agencies", "must name at least one agency whose accounts may use this provider"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: &str = r#"
[[provider]]
id = "lancashire"
label = "Lancashire County Council"
issuer = "https://login.example.gov.uk/tenant"
client_id = "homeward"
client_secret_env = "SECRET"
redirect_url = "https://homeward.example.org/auth/sso/lancashire/callback"
agencies = ["lancashire-cs"]
"#;

    #[test]
    fn a_provider_is_read_with_subject_matching_by_default() {
        let config = SsoConfig::parse(ONE).unwrap();
        let p = config.provider("lancashire").unwrap();
        assert_eq!(p.matching, Match::Subject);
        assert_eq!(p.agencies, vec!["lancashire-cs"]);
    }

    #[test]
    fn errors_name_the_provider_and_field() {
        let cases = [
            (ONE.replace("agencies = [\"lancashire-cs\"]", "agencies = []"), "field 'agencies'"),
            (ONE.replace("/auth/sso/lancashire/callback", "/callback"), "field 'redirect_url'"),
            (ONE.replace("https://login.example.gov.uk/tenant", "login.example"), "field 'issuer'"),
            (ONE.replace("client_id = \"homeward\"", "client_id = \" \""), "field 'client_id'"),
            (format!("{ONE}{ONE}"), "field 'id' is given to two providers"),
            (ONE.replace("id = \"lancashire\"", "id = \"Lanc ashire\""), "field 'id'"),
        ];
        for (text, expected) in cases {
            let err = SsoConfig::parse(&text).unwrap_err().to_string();
            assert!(err.contains(expected), "{err} should contain {expected}");
        }
    }

    #[test]
    fn unknown_settings_are_refused() {
        let err = SsoConfig::parse(&ONE.replace("client_id =", "client_ident =")).unwrap_err().to_string();
        assert!(err.contains("client_ident"), "{err}");
    }
}
