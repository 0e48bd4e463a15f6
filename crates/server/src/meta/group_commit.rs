//! Group commit of uploads on SQLite: concurrent upload commits share one write
//! transaction, so a burst of small uploads pays for one `BEGIN IMMEDIATE` and one WAL
//! fsync together instead of one each, one after another, behind SQLite's single write
//! lock.
//!
//! One task takes the commits that queued while the previous group was being written
//! and runs each in its own savepoint: an upload that fails (a full quota, a taken path)
//! is rolled back alone and answered at once; the others commit together. Nobody is
//! answered success before the shared `COMMIT` has returned, so every acknowledged
//! upload is durable, and a crash before it loses the whole group, none of which was
//! acknowledged. Nothing waits on purpose: a lone upload commits at once.
//!
//! PostgreSQL commits concurrent transactions side by side (and groups their WAL
//! flushes itself), so it does not go through here.

use super::files::{Tx, commit_in_tx};
use super::{CommittedUpload, Retention, StagedUpload};
use crate::error::{Error, Result};
use sqlx::AnyPool;
use tokio::sync::{mpsc, oneshot};

/// The most uploads one group takes (each may be a batch of files).
const MAX_GROUP: usize = 64;

struct Job {
    owner: String,
    keep: Retention,
    uploads: Vec<StagedUpload>,
    reply: oneshot::Sender<Result<Vec<CommittedUpload>>>,
}

/// The queue of upload commits waiting for the next group.
pub(super) struct GroupCommitter {
    jobs: mpsc::UnboundedSender<Job>,
}

impl GroupCommitter {
    /// Starts the committing task on the current runtime.
    pub(super) fn start(pool: AnyPool) -> Self {
        let (jobs, queue) = mpsc::unbounded_channel();
        tokio::spawn(run(pool, queue));
        GroupCommitter { jobs }
    }

    /// Commits `uploads` for `owner` in the next group; returns once that group is
    /// durable (or this upload was refused).
    pub(super) async fn commit(
        &self,
        owner: &str,
        keep: Retention,
        uploads: Vec<StagedUpload>,
    ) -> Result<Vec<CommittedUpload>> {
        let (reply, answer) = oneshot::channel();
        let job = Job { owner: owner.to_string(), keep, uploads, reply };
        self.jobs.send(job).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn stopped() -> Error {
    Error::Internal(anyhow::anyhow!("the upload committer has stopped"))
}

async fn run(pool: AnyPool, mut queue: mpsc::UnboundedReceiver<Job>) {
    while let Some(first) = queue.recv().await {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match queue.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        metrics::histogram!("nimbus_upload_commit_group_size").record(group.len() as f64);
        commit_group(&pool, group).await;
    }
}

/// Commits one group; every job is answered.
async fn commit_group(pool: &AnyPool, group: Vec<Job>) {
    let mut tx = match pool.begin_with("BEGIN IMMEDIATE").await {
        Ok(tx) => tx,
        Err(e) => return fail_all(group.into_iter().map(|j| j.reply).collect(), Error::from(e)),
    };
    let mut committed = Vec::with_capacity(group.len());
    for Job { owner, keep, uploads, reply } in group {
        match in_savepoint(&mut tx, &owner, keep, uploads).await {
            Ok(Ok(files)) => committed.push((reply, files)),
            // Rolled back to its savepoint: the rest of the group goes on.
            Ok(Err(refused)) => {
                let _ = reply.send(Err(refused));
            }
            // The transaction itself is gone (SQLite rolls back the whole of it on a
            // full disk, say): nothing of the group can commit.
            Err(e) => {
                let mut replies: Vec<_> = committed.into_iter().map(|(reply, _)| reply).collect();
                replies.push(reply);
                return fail_all(replies, e);
            }
        }
    }
    match tx.commit().await {
        Ok(()) => {
            for (reply, files) in committed {
                let _ = reply.send(Ok(files));
            }
        }
        Err(e) => fail_all(committed.into_iter().map(|(reply, _)| reply).collect(), Error::from(e)),
    }
}

/// Runs one job's commit in a savepoint. The outer `Err` means the transaction cannot
/// go on; the inner one is this job's own refusal, already rolled back.
async fn in_savepoint(
    tx: &mut Tx,
    owner: &str,
    keep: Retention,
    uploads: Vec<StagedUpload>,
) -> Result<Result<Vec<CommittedUpload>>> {
    sqlx::query("SAVEPOINT upload").execute(&mut **tx).await?;
    match commit_in_tx(tx, owner, keep, uploads).await {
        Ok(files) => {
            sqlx::query("RELEASE SAVEPOINT upload").execute(&mut **tx).await?;
            Ok(Ok(files))
        }
        Err(refused) => {
            sqlx::query("ROLLBACK TO SAVEPOINT upload").execute(&mut **tx).await?;
            sqlx::query("RELEASE SAVEPOINT upload").execute(&mut **tx).await?;
            Ok(Err(refused))
        }
    }
}

/// Answers every member of a failed group alike: a full disk stays 507, anything else
/// is internal (its cause logged once, here).
fn fail_all(replies: Vec<oneshot::Sender<Result<Vec<CommittedUpload>>>>, e: Error) {
    if !matches!(e, Error::InsufficientStorage) {
        tracing::error!(error = %e, uploads = replies.len(), "a group of upload commits failed");
    }
    for reply in replies {
        let copy = match &e {
            Error::InsufficientStorage => Error::InsufficientStorage,
            _ => Error::Internal(anyhow::anyhow!("committing a group of uploads failed")),
        };
        let _ = reply.send(Err(copy));
    }
}
