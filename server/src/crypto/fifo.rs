//! Signing threads taking work in the order it was asked for.
//!
//! A token response's RSA signature is most of its CPU (~0.4 ms). Signed on the async
//! workers, the requests a batch commit released all wait on the same two workers in whatever
//! order the scheduler picks, and a request can wait behind several newer ones. Here they queue
//! first come, first served, on one thread per core.

use std::sync::{mpsc, Arc, LazyLock, Mutex};

type Job = Box<dyn FnOnce() + Send>;

static QUEUE: LazyLock<mpsc::Sender<Job>> = LazyLock::new(|| {
    let (tx, rx) = mpsc::channel::<Job>();
    let rx = Arc::new(Mutex::new(rx));
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    for i in 0..threads {
        let rx = rx.clone();
        let spawned = std::thread::Builder::new().name(format!("signer-{i}")).spawn(move || loop {
            let job = rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
            match job {
                Ok(job) => job(),
                Err(_) => return,
            }
        });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "starting a signing thread");
        }
    }
    tx
});

/// Runs `f` on a signing thread, after the work queued before it; `None` if it panicked or no
/// signing thread could be started.
pub async fn run<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    QUEUE
        .send(Box::new(move || {
            let _ = tx.send(f());
        }))
        .ok()?;
    rx.await.ok()
}
