//! What the CLI says when something goes wrong, and the exit codes scripts can rely on:
//! 0 ok, 1 error, 2 usage, 3 not found, 4 not signed in or refused. The server's own
//! message is shown, never a stack trace.

use nimbus_client::ClientError;
use reqwest::StatusCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    Error = 1,
    Usage = 2,
    NotFound = 3,
    Auth = 4,
}

#[derive(Debug)]
pub struct CliError {
    pub failure: Failure,
    pub message: String,
}

impl CliError {
    pub fn new(failure: Failure, message: impl Into<String>) -> Self {
        CliError { failure, message: message.into() }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        CliError::new(Failure::Usage, message)
    }

    pub fn not_found(what: &str) -> Self {
        CliError::new(Failure::NotFound, format!("{what}: not found"))
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<ClientError> for CliError {
    fn from(e: ClientError) -> Self {
        let failure = match e.status() {
            Some(StatusCode::NOT_FOUND) => Failure::NotFound,
            Some(StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) => Failure::Auth,
            _ => Failure::Error,
        };
        let message = match &e {
            ClientError::Api { status, body } => match status.as_u16() {
                507 => format!("not enough space: {}", body.error.message),
                _ => body.error.message.clone(),
            },
            ClientError::Unexpected { status, text } => format!("the server answered {status}: {}", text.trim()),
            ClientError::Http(e) if e.is_connect() => format!("cannot reach the server: {e}"),
            ClientError::Http(e) => format!("request failed: {e}"),
        };
        CliError { failure, message }
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        let failure = if e.kind() == std::io::ErrorKind::NotFound { Failure::NotFound } else { Failure::Error };
        CliError::new(failure, e.to_string())
    }
}

pub type CliResult<T> = Result<T, CliError>;

/// Whether a failed step may be tried again: the connection broke, or the server was
/// busy or failing (never a 4xx: that answer would not change).
pub fn retryable(e: &ClientError) -> bool {
    match e {
        ClientError::Http(h) => h.is_connect() || h.is_timeout() || h.is_request() || h.is_body(),
        _ => e.status().is_some_and(|s| s.is_server_error() || s == StatusCode::TOO_MANY_REQUESTS),
    }
}

/// Runs an idempotent step up to four times, with growing pauses, while it fails in a
/// way that may pass.
pub async fn with_retries<T, F, Fut>(mut step: F) -> Result<T, ClientError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, ClientError>>,
{
    let mut delay = std::time::Duration::from_millis(200);
    for _ in 0..3 {
        match step().await {
            Err(e) if retryable(&e) => {
                tokio::time::sleep(delay).await;
                delay *= 3;
            }
            other => return other,
        }
    }
    step().await
}
