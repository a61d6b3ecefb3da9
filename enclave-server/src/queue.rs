//! The bounded proving queue: `concurrency` jobs run, `max_waiting` wait, the rest are refused.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tee_rex_protocol::api::QueueStatus;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Admission control for proving jobs.
#[derive(Debug)]
pub struct ProveQueue {
    permits: Arc<Semaphore>,
    waiting: AtomicUsize,
    concurrency: usize,
    max_waiting: usize,
}

/// A running slot; dropping it lets the next waiting job start.
#[derive(Debug)]
pub struct Slot {
    _permit: OwnedSemaphorePermit,
}

/// Every slot and every waiting place is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the proving queue is full")]
pub struct QueueFull;

impl ProveQueue {
    /// A queue running `concurrency` jobs at once (at least one) with `max_waiting` places.
    pub fn new(concurrency: usize, max_waiting: usize) -> Self {
        let concurrency = concurrency.max(1);
        Self {
            permits: Arc::new(Semaphore::new(concurrency)),
            waiting: AtomicUsize::new(0),
            concurrency,
            max_waiting,
        }
    }

    /// Takes a running slot, waiting for one if a waiting place is free.
    ///
    /// Dropping the future while it waits gives the waiting place back.
    ///
    /// # Errors
    /// [`QueueFull`] when no slot is free and every waiting place is taken.
    pub async fn acquire(&self) -> Result<Slot, QueueFull> {
        if let Ok(permit) = Arc::clone(&self.permits).try_acquire_owned() {
            return Ok(Slot { _permit: permit });
        }

        self.waiting
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |w| {
                (w < self.max_waiting).then_some(w + 1)
            })
            .map_err(|_| QueueFull)?;
        let _place = WaitingPlace(&self.waiting);
        // The semaphore is never closed, so acquiring only fails if that invariant breaks.
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| QueueFull)?;
        Ok(Slot { _permit: permit })
    }

    /// Current occupancy.
    pub fn status(&self) -> QueueStatus {
        QueueStatus {
            running: self
                .concurrency
                .saturating_sub(self.permits.available_permits()),
            waiting: self.waiting.load(Ordering::Acquire),
            concurrency: self.concurrency,
            max_waiting: self.max_waiting,
        }
    }
}

/// Gives a waiting place back when the waiter gets a slot or goes away.
struct WaitingPlace<'a>(&'a AtomicUsize);

impl Drop for WaitingPlace<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn runs_then_waits_then_refuses() {
        let queue = Arc::new(ProveQueue::new(1, 1));
        let running = queue.acquire().await.unwrap();
        assert_eq!(queue.status().running, 1);

        let waiter = tokio::spawn({
            let queue = Arc::clone(&queue);
            async move { queue.acquire().await.map(drop) }
        });
        while queue.status().waiting == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(queue.acquire().await.unwrap_err(), QueueFull);

        drop(running);
        waiter.await.unwrap().unwrap();
        let status = queue.status();
        assert_eq!((status.running, status.waiting), (0, 0));
    }

    #[tokio::test]
    async fn a_cancelled_waiter_frees_its_place() {
        let queue = ProveQueue::new(1, 1);
        let _running = queue.acquire().await.unwrap();
        let waiting = tokio::time::timeout(Duration::from_millis(20), queue.acquire()).await;
        assert!(waiting.is_err(), "the waiter should still be waiting");
        assert_eq!(queue.status().waiting, 0);
        // The place is free again: another waiter is admitted rather than refused.
        let again = tokio::time::timeout(Duration::from_millis(20), queue.acquire()).await;
        assert!(again.is_err());
    }

    #[tokio::test]
    async fn zero_waiting_places_refuses_at_once() {
        let queue = ProveQueue::new(2, 0);
        let _a = queue.acquire().await.unwrap();
        let _b = queue.acquire().await.unwrap();
        assert_eq!(queue.acquire().await.unwrap_err(), QueueFull);
        assert_eq!(queue.status().running, 2);
    }
}
