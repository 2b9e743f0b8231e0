//! Email over SMTP, or (when no SMTP server is configured) as `.eml` files in
//! an outbox directory, which is how the demo runs without sending mail.

use homeward_store::Delivery;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::PathBuf;

#[derive(Clone)]
pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// The folder the messages are written to, one private `.eml` file each.
    Outbox(PathBuf),
}

impl Mailer {
    /// `smtp://host:port` (plain, or `?tls=required` for STARTTLS),
    /// `smtps://host:port` (implicit TLS), with optional `user:password@`.
    pub fn smtp(url: &str) -> Result<Mailer, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|e| format!("SMTP URL: {e}"))?;
        Ok(Mailer::Smtp(transport.timeout(Some(std::time::Duration::from_secs(30))).build()))
    }

    /// Writes each message as a file in `dir` (created if missing), which
    /// only the service's account can read (they carry children's names).
    pub fn outbox(dir: PathBuf) -> Result<Mailer, String> {
        crate::private_files::private_dir(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        Ok(Mailer::Outbox(dir))
    }

    pub fn describe(&self) -> String {
        match self {
            Mailer::Smtp(_) => "smtp".to_string(),
            Mailer::Outbox(dir) => format!("outbox directory {}", dir.display()),
        }
    }

    pub async fn send(&self, from: &Mailbox, d: &Delivery) -> Result<(), String> {
        let message = compose(from, d)?;
        match self {
            Mailer::Smtp(t) => t.send(message).await.map(|_| ()).map_err(|e| e.to_string()),
            Mailer::Outbox(dir) => {
                let path = dir.join(format!("{}.eml", d.id));
                let bytes = message.formatted();
                tokio::task::spawn_blocking(move || crate::private_files::write_private(&path, &bytes))
                    .await
                    .map_err(|e| e.to_string())?
                    .map_err(|e| format!("writing to the outbox: {e}"))
            }
        }
    }
}

/// The message for one delivery. Its Message-ID is the delivery id, so a
/// mail system can discard a repeat of an attempt that did in fact arrive.
pub fn compose(from: &Mailbox, d: &Delivery) -> Result<Message, String> {
    let to: Mailbox = d.target.parse().map_err(|e| format!("address {}: {e}", d.target))?;
    let n = &d.notification;
    let builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(n.subject.clone())
        .message_id(Some(format!("<{}@homeward>", d.id)))
        .user_agent("Homeward".to_string());
    let text = SinglePart::plain(n.body.clone());
    let message = match &n.calendar {
        Some(ics) => {
            let content_type = ContentType::parse("text/calendar; charset=utf-8; method=PUBLISH").map_err(|e| e.to_string())?;
            builder.multipart(MultiPart::mixed().singlepart(text).singlepart(Attachment::new("meeting.ics".to_string()).body(ics.clone(), content_type)))
        }
        None => builder.singlepart(text),
    };
    message.map_err(|e| e.to_string())
}
