//! The single writer: group commit on one dedicated OS thread.
//!
//! redb allows one write transaction at a time and each durable commit costs an fsync. Rather
//! than have every request wait for its own fsync, requests queue commands; the writer takes
//! everything queued (up to [`MAX_BATCH`]), applies it in one transaction, commits once with
//! `Durability::Immediate`, and only then answers each command. Under load one fsync serves
//! hundreds of requests; when idle a lone command commits at once (no timer, no added latency).
//!
//! The writer is a `std::thread`, not a tokio task, because a commit blocks on disk I/O and
//! must not occupy an async worker.
//!
//! A command that fails poisons only itself: the transaction is aborted and the batch re-run
//! without it, so the others still commit, once. Commands are therefore `FnMut` and must be
//! safe to run more than once (their effects on the transaction are discarded on re-run).

use crate::store::WriteTx;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;

use redb::{Database, Durability};
use tokio::sync::{mpsc, oneshot};

use super::damage::{self, Damage};
use super::disk::Disk;
use super::error::StoreError;

/// Most commands applied in one transaction; bounds a batch's memory and the latency of the
/// first command in it.
pub const MAX_BATCH: usize = 256;

/// Queued commands before `write` waits for room: backpressure instead of unbounded memory.
const QUEUE_CAPACITY: usize = 16 * MAX_BATCH;

/// A queued write: runs against the batch's transaction, then reports the batch's outcome.
trait Job: Send {
    /// `Err(CommandFailed)` leaves this command out of the batch; the command's own error
    /// stays inside the job and is what its caller receives.
    fn run(&mut self, txn: &WriteTx) -> Result<(), CommandFailed>;
    /// `Ok` once the batch committed (or this command failed on its own); `Err` when the batch
    /// as a whole failed (commit error, writer gone, the command panicked).
    fn finish(self: Box<Self>, outcome: Result<(), StoreError>);
}

struct CommandFailed;

/// Keeps the command's typed result until the commit decides whether it may be delivered.
struct TypedJob<F, R, E> {
    command: F,
    result: Option<Result<R, E>>,
    reply: oneshot::Sender<Result<R, E>>,
}

impl<F, R, E> Job for TypedJob<F, R, E>
where
    F: FnMut(&WriteTx) -> Result<R, E> + Send,
    R: Send,
    E: From<StoreError> + Send,
{
    fn run(&mut self, txn: &WriteTx) -> Result<(), CommandFailed> {
        let result = (self.command)(txn);
        let failed = result.is_err();
        self.result = Some(result);
        if failed { Err(CommandFailed) } else { Ok(()) }
    }

    fn finish(mut self: Box<Self>, outcome: Result<(), StoreError>) {
        let answer = match outcome {
            Ok(()) => self.result.take().unwrap_or_else(|| {
                Err(E::from(StoreError::Internal(
                    "committed command has no output".into(),
                )))
            }),
            Err(e) => Err(E::from(e)),
        };
        // The requester may have given up (its future was dropped); the write stands anyway.
        let _ = self.reply.send(answer);
    }
}

enum Msg {
    Job(Box<dyn Job>),
    Shutdown(oneshot::Sender<()>),
}

/// Handle to the writer thread. Dropping it lets the thread finish what is queued, then joins.
pub(crate) struct Writer {
    queue: Option<mpsc::Sender<Msg>>,
    thread: Option<JoinHandle<()>>,
    commits: Arc<AtomicU64>,
}

impl Writer {
    pub(crate) fn spawn(
        db: Arc<Database>,
        damage: Arc<Damage>,
        disk: Arc<Disk>,
    ) -> Result<Writer, StoreError> {
        let (queue, rx) = mpsc::channel(QUEUE_CAPACITY);
        let commits = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&commits);
        let thread = std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || run(&db, rx, &counter, &damage, &disk))?;
        Ok(Writer {
            queue: Some(queue),
            thread: Some(thread),
            commits,
        })
    }

    /// A writer that refuses every command with [`StoreError::WriterGone`], for a handle
    /// that must never write ([`super::Store::open_unchanged`]).
    pub(crate) fn none() -> Writer {
        Writer {
            queue: None,
            thread: None,
            commits: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Queues `command` and waits until the commit that contains it.
    pub(crate) async fn write<F, R, E>(&self, command: F) -> Result<R, E>
    where
        F: FnMut(&WriteTx) -> Result<R, E> + Send + 'static,
        R: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let (msg, answer) = job(command);
        let queue = self.queue.as_ref().ok_or(StoreError::WriterGone)?;
        queue.send(msg).await.map_err(|_| StoreError::WriterGone)?;
        answer.await.map_err(|_| StoreError::WriterGone)?
    }

    /// [`Writer::write`] for synchronous callers. Panics inside an async context (tokio's
    /// blocking channel operations refuse to stall a runtime thread).
    pub(crate) fn write_blocking<F, R, E>(&self, command: F) -> Result<R, E>
    where
        F: FnMut(&WriteTx) -> Result<R, E> + Send + 'static,
        R: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let (msg, answer) = job(command);
        let queue = self.queue.as_ref().ok_or(StoreError::WriterGone)?;
        queue
            .blocking_send(msg)
            .map_err(|_| StoreError::WriterGone)?;
        answer.blocking_recv().map_err(|_| StoreError::WriterGone)?
    }

    /// Commits what is queued, then stops the thread; later writes get `WriterGone`.
    pub(crate) async fn shutdown(&self) {
        let Some(queue) = self.queue.as_ref() else {
            return;
        };
        let (ack, done) = oneshot::channel();
        if queue.send(Msg::Shutdown(ack)).await.is_ok() {
            // An error means the thread is already gone, which is what was asked for.
            let _ = done.await;
        }
    }

    /// Commands waiting for the writer (tests use it to know a batch has formed).
    #[cfg(test)]
    pub(crate) fn queued(&self) -> usize {
        self.queue
            .as_ref()
            .map_or(0, |q| q.max_capacity() - q.capacity())
    }

    pub(crate) fn commit_count(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Closing the queue ends the thread's loop once the queued commands are committed.
        drop(self.queue.take());
        if let Some(thread) = self.thread.take() {
            // A command that owns the last `Store` clone drops it on the writer thread itself;
            // joining there would wait forever.
            if thread.thread().id() != std::thread::current().id() && thread.join().is_err() {
                tracing::error!("the store writer thread panicked");
            }
        }
    }
}

fn job<F, R, E>(command: F) -> (Msg, oneshot::Receiver<Result<R, E>>)
where
    F: FnMut(&WriteTx) -> Result<R, E> + Send + 'static,
    R: Send + 'static,
    E: From<StoreError> + Send + 'static,
{
    let (reply, answer) = oneshot::channel();
    let job = TypedJob {
        command,
        result: None,
        reply,
    };
    (Msg::Job(Box::new(job)), answer)
}

fn run(
    db: &Database,
    mut rx: mpsc::Receiver<Msg>,
    commits: &AtomicU64,
    damage: &Damage,
    disk: &Disk,
) {
    let mut inbox = Vec::with_capacity(MAX_BATCH);
    let mut acks = Vec::new();
    while acks.is_empty() {
        // Blocks for the first message, then takes whatever else is already queued.
        if rx.blocking_recv_many(&mut inbox, MAX_BATCH) == 0 {
            break;
        }
        let mut batch = Vec::with_capacity(inbox.len());
        for msg in inbox.drain(..) {
            match msg {
                // Commands queued behind a shutdown request are refused, not committed.
                Msg::Job(job) if !acks.is_empty() => job.finish(Err(StoreError::WriterGone)),
                Msg::Job(job) => batch.push(job),
                Msg::Shutdown(ack) => acks.push(ack),
            }
        }
        if !batch.is_empty() {
            commit_batch(db, batch, commits, damage, disk);
        }
    }
    rx.close();
    while let Ok(msg) = rx.try_recv() {
        match msg {
            Msg::Job(job) => job.finish(Err(StoreError::WriterGone)),
            Msg::Shutdown(ack) => acks.push(ack),
        }
    }
    tracing::debug!("store writer stopped");
    for ack in acks {
        let _ = ack.send(());
    }
}

/// Applies `batch` in one transaction and answers every command.
fn commit_batch(
    db: &Database,
    mut batch: Vec<Box<dyn Job>>,
    commits: &AtomicU64,
    damage: &Damage,
    disk: &Disk,
) {
    // `None` while a command is live; `Some(Ok(()))` when it failed on its own (its job holds
    // its error), `Some(Err(e))` when it failed with `e`.
    let mut failed: Vec<Option<Result<(), StoreError>>> = vec![None; batch.len()];
    let mut attempts = 0u32;
    'attempt: loop {
        let live = failed.iter().filter(|f| f.is_none()).count();
        if live == 0 {
            break;
        }
        attempts += 1;
        let txn = match begin(db) {
            Ok(txn) => txn,
            Err(e) => {
                fail_live(&mut failed, &disk.check(damage.check(e)));
                break;
            }
        };
        for (job, failure) in batch.iter_mut().zip(failed.iter_mut()) {
            if failure.is_some() {
                continue;
            }
            let ran = catch_unwind(AssertUnwindSafe(|| {
                damage::catch_panic_in_redb(|| job.run(&txn))
            }));
            let result = match ran {
                Ok(Ok(Ok(()))) => None,
                Ok(Ok(Err(CommandFailed))) => Some(Ok(())),
                Ok(Err(damage::RedbPanicked)) => Some(Err(
                    damage.found("the storage engine failed while changing a page")
                )),
                Err(_) => Some(Err(StoreError::Internal("a write command panicked".into()))),
            };
            if let Some(outcome) = result {
                *failure = Some(outcome);
                if let Err(e) = txn.into_inner().abort() {
                    // The next begin_write reports whatever is wrong to the remaining commands.
                    tracing::warn!(error = %e, "aborting a write transaction failed");
                }
                continue 'attempt;
            }
        }
        let committed = damage::catch_panic_in_redb(|| txn.into_inner().commit()).unwrap_or_else(
            |damage::RedbPanicked| {
                Err(
                    redb::StorageError::Corrupted("the commit failed while writing pages".into())
                        .into(),
                )
            },
        );
        match committed {
            Ok(()) => {
                commits.fetch_add(1, Ordering::Relaxed);
                tracing::trace!(batch = live, attempts, "group commit");
            }
            Err(e) => {
                let e = disk.check(damage.check(StoreError::from(e)));
                // A full disk is reported once, by `disk`, and heals by itself.
                if !matches!(e, StoreError::DiskFull) {
                    tracing::error!(error = %e, batch = live, "group commit failed");
                }
                fail_live(&mut failed, &e);
            }
        }
        break;
    }
    for (job, failure) in batch.into_iter().zip(failed) {
        job.finish(failure.unwrap_or(Ok(())));
    }
}

fn begin(db: &Database) -> Result<WriteTx, StoreError> {
    let mut txn = db.begin_write()?;
    // Immediate is redb's default today; stating it keeps "acknowledged means durable" from
    // depending on that.
    txn.set_durability(Durability::Immediate)?;
    Ok(WriteTx::new(txn))
}

fn fail_live(failed: &mut [Option<Result<(), StoreError>>], e: &StoreError) {
    for f in failed.iter_mut().filter(|f| f.is_none()) {
        *f = Some(Err(e.clone()));
    }
}
