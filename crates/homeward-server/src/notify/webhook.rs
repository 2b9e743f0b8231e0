//! Signed webhooks.
//!
//! Each POST carries a JSON body and three headers:
//!
//! - `Idempotency-Key`: the delivery id (the same on every retry of it);
//! - `X-Homeward-Timestamp`: seconds since the Unix epoch when it was sent;
//! - `X-Homeward-Signature`: `v1=` and the hex HMAC-SHA256, keyed with the
//!   inbox's shared secret, of `TIMESTAMP.BODY`.
//!
//! A receiver recomputes the signature, rejects a timestamp more than five
//! minutes old (replays), and ignores a key it has seen. Any 2xx is success;
//! anything else, or no answer within 10 seconds, is retried with backoff.

use hmac::{Hmac, KeyInit, Mac};
use homeward_store::Delivery;
use serde::Serialize;
use sha2::Sha256;

/// The signature header's value for `body` sent at `timestamp`.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    let mut hex = String::with_capacity(3 + bytes.len() * 2);
    hex.push_str("v1=");
    for b in bytes.iter() {
        hex.push_str(&format!("{b:02x}"));
    }
    hex
}

/// Checks a signature as a receiver should (constant-time comparison).
pub fn verify(secret: &[u8], timestamp: i64, body: &[u8], signature: &str) -> bool {
    let expected = sign(secret, timestamp, body);
    expected.len() == signature.len() && expected.bytes().zip(signature.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

#[derive(Serialize)]
pub struct Payload<'a> {
    pub delivery: &'a str,
    pub notification: &'a str,
    pub duty: &'a str,
    pub stage: &'a str,
    pub child: &'a str,
    pub authority: &'a str,
    pub protocol: &'a str,
    pub role: &'a str,
    pub level: i64,
    pub subject: &'a str,
    pub body: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calendar: Option<&'a str>,
    pub acknowledge_by: String,
    pub acknowledge_url: String,
}

pub async fn send(client: &reqwest::Client, secret: &[u8], d: &Delivery, public_url: &str, now: i64) -> Result<(), String> {
    let n = &d.notification;
    let payload = Payload {
        delivery: &d.id,
        notification: &n.id,
        duty: &n.duty_id,
        stage: &n.stage,
        child: &n.child_id,
        authority: &n.authority,
        protocol: &n.protocol,
        role: &n.role,
        level: n.level,
        subject: &n.subject,
        body: &n.body,
        calendar: n.calendar.as_deref(),
        acknowledge_by: jiff::Timestamp::from_second(n.ack_due_at).map(|t| t.to_string()).unwrap_or_default(),
        acknowledge_url: format!("{}/api/v1/notifications/{}/acknowledge", public_url.trim_end_matches('/'), n.id),
    };
    let body = serde_json::to_vec(&payload).map_err(|e| e.to_string())?;
    let response = client
        .post(&d.target)
        .header("content-type", "application/json")
        .header("idempotency-key", &d.id)
        .header("x-homeward-timestamp", now.to_string())
        .header("x-homeward-signature", sign(secret, now, &body))
        .body(body)
        .send()
        .await
        .map_err(|e| format!("webhook: {e}"))?;
    let status = response.status();
    if status.is_success() { Ok(()) } else { Err(format!("webhook answered HTTP {}", status.as_u16())) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_covers_timestamp_and_body() {
        let s = sign(b"0123456789abcdef", 1_700_000_000, b"{}");
        assert!(s.starts_with("v1=") && s.len() == 3 + 64);
        assert!(verify(b"0123456789abcdef", 1_700_000_000, b"{}", &s));
        assert!(!verify(b"0123456789abcdef", 1_700_000_001, b"{}", &s));
        assert!(!verify(b"0123456789abcdef", 1_700_000_000, b"{ }", &s));
        assert!(!verify(b"another-secret-xx", 1_700_000_000, b"{}", &s));
    }

    #[test]
    fn known_vector() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?"
        // split here as timestamp-less input is not possible, so check the
        // HMAC primitive through the same code path with an empty prefix.
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }
}
