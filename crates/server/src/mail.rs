//! Outgoing mail: SMTP through lettre when `smtp_url` is set, else the server log (so
//! the embedded default can still reset passwords: the operator reads the code there).

use anyhow::Context;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

#[derive(Clone)]
pub enum Mailer {
    Smtp { transport: AsyncSmtpTransport<Tokio1Executor>, from: Mailbox },
    Log { from: Mailbox },
}

impl Mailer {
    /// `smtp_url`: `smtp://host:port` (plain), `smtp://user:pass@host:port?tls=required`
    /// (STARTTLS) or `smtps://user:pass@host:port` (TLS); `None` writes mail to the log.
    pub fn new(smtp_url: Option<&str>, from: &str) -> anyhow::Result<Mailer> {
        let from: Mailbox = from.parse().with_context(|| format!("mail_from {from:?} is not a mail address"))?;
        Ok(match smtp_url {
            None => Mailer::Log { from },
            Some(url) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .context("smtp_url is not a valid SMTP URL")?
                    .timeout(Some(std::time::Duration::from_secs(30)))
                    .build();
                Mailer::Smtp { transport, from }
            }
        })
    }

    pub async fn send(&self, to: &str, subject: &str, body: &str) -> anyhow::Result<()> {
        match self {
            Mailer::Log { from } => {
                // Deliberate: with no SMTP server configured, the log is the mailbox.
                tracing::warn!(target: "nimbus::mail", %from, %to, %subject, %body, "SMTP is not configured; mail written to the log");
                Ok(())
            }
            Mailer::Smtp { transport, from } => {
                let to: Mailbox = to.parse().with_context(|| format!("recipient {to:?}"))?;
                let message = Message::builder()
                    .from(from.clone())
                    .to(to)
                    .subject(subject)
                    .header(lettre::message::header::ContentType::TEXT_PLAIN)
                    .body(body.to_string())
                    .context("building the mail")?;
                transport.send(message).await.context("sending mail over SMTP")?;
                Ok(())
            }
        }
    }
}
