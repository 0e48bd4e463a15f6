//! Request bodies that stop arriving: a client that sends headers and then nothing, or
//! stalls in the middle of an upload, would hold a connection (and an upload's temporary
//! file) for ever. Each body here ends with an error once no byte has arrived for
//! `body_idle_timeout_secs` while the server was waiting for it; a slow upload that keeps
//! moving is never cut off, nor one the server is slow to read (backpressure).

use super::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http_body::{Body as HttpBody, Frame, SizeHint};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::{Instant, Sleep};

pub async fn limit(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let idle = Duration::from_secs(s.config.body_idle_timeout_secs.max(1));
    let (parts, body) = req.into_parts();
    let body = Body::new(IdleBody { inner: body, idle, deadline: None });
    next.run(Request::from_parts(parts, body)).await
}

struct IdleBody {
    inner: Body,
    idle: Duration,
    /// Armed when the server starts waiting for bytes, disarmed when some arrive: only
    /// time spent waiting on the client counts.
    deadline: Option<Pin<Box<Sleep>>>,
}

impl HttpBody for IdleBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                self.deadline = None;
                Poll::Ready(frame)
            }
            Poll::Pending => {
                let idle = self.idle;
                let deadline =
                    self.deadline.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(Instant::now() + idle)));
                match deadline.as_mut().poll(cx) {
                    Poll::Ready(()) => {
                        let secs = idle.as_secs();
                        let e =
                            std::io::Error::new(std::io::ErrorKind::TimedOut, format!("no bytes arrived for {secs} s"));
                        Poll::Ready(Some(Err(axum::Error::new(e))))
                    }
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
