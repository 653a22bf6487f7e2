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
                // A job that panics fails alone (its caller gets `None`); the thread goes on.
                Ok(job) => drop(std::panic::catch_unwind(std::panic::AssertUnwindSafe(job))),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn jobs_answer_in_turn_and_a_panic_fails_only_its_own() {
        let answers: Vec<_> = (0..8).map(|i| tokio::spawn(run(move || i * 2))).collect();
        for (i, answer) in answers.into_iter().enumerate() {
            assert_eq!(answer.await.unwrap(), Some(i * 2));
        }
        // As many panics as threads: were a panic to end its thread, none would be left.
        let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        for _ in 0..threads {
            #[allow(clippy::panic)]
            let failed = run(|| -> u8 { panic!("a failing signature") }).await;
            assert_eq!(failed, None);
        }
        for i in 0..threads * 2 {
            assert_eq!(run(move || i).await, Some(i));
        }
    }
}
