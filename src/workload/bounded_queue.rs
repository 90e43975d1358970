//! An async bounded FIFO queue whose capacity can change while it is in use:
//! the tokio counterpart of `asyncio.Queue(maxsize)`.
//!
//! tokio's `mpsc` channels fix their capacity at creation and have a single
//! receiver; the workload needs many consumers and a live capacity knob, so the
//! queue is a `VecDeque` under a short-held lock with two `Notify`s.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use tokio::sync::Notify;
use tokio::task::coop::cooperative;

pub struct BoundedQueue<T> {
    items: Mutex<VecDeque<T>>,
    capacity: AtomicUsize,
    /// Mirror of `items.len()` so the sampler reads the depth without the lock.
    len: AtomicUsize,
    not_empty: Notify,
    not_full: Notify,
    /// Tasks waiting in `push` (queue full) and `pop` (queue empty): what
    /// tells backpressure and starvation apart from a busy queue.
    waiting_to_push: AtomicUsize,
    waiting_to_pop: AtomicUsize,
}

impl<T> BoundedQueue<T> {
    pub fn new(capacity: usize) -> Self {
        Self {
            items: Mutex::new(VecDeque::new()),
            capacity: AtomicUsize::new(capacity.max(1)),
            len: AtomicUsize::new(0),
            not_empty: Notify::new(),
            not_full: Notify::new(),
            waiting_to_push: AtomicUsize::new(0),
            waiting_to_pop: AtomicUsize::new(0),
        }
    }

    pub fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn capacity(&self) -> usize {
        self.capacity.load(Ordering::Relaxed)
    }

    pub fn waiting_to_push(&self) -> usize {
        self.waiting_to_push.load(Ordering::Relaxed)
    }

    pub fn waiting_to_pop(&self) -> usize {
        self.waiting_to_pop.load(Ordering::Relaxed)
    }

    /// Shrinking never drops items: producers wait until the depth falls
    /// below the new capacity.
    pub fn set_capacity(&self, capacity: usize) {
        let old = self.capacity.swap(capacity.max(1), Ordering::Relaxed);
        if capacity > old {
            self.not_full.notify_waiters();
        }
    }

    /// Waits while the queue is full. Spends the task's coop budget, as
    /// tokio's channels do: a task that pushes into a queue with room every
    /// time still yields to the others after its budget's worth.
    pub async fn push(&self, item: T) {
        cooperative(self.push_when_room(item)).await;
    }

    /// Waits while the queue is empty. Spends the coop budget, as `push`:
    /// without it a consumer of a busy queue would take item after item in
    /// one poll for as long as items wait, and hold its worker throughout.
    pub async fn pop(&self) -> T {
        cooperative(self.pop_when_any()).await
    }

    async fn push_when_room(&self, item: T) {
        let mut item = item;
        loop {
            // Register interest before checking, so a pop between the check
            // and the await cannot be missed.
            let notified = self.not_full.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            match self.try_push(item) {
                Ok(()) => return,
                Err(back) => item = back,
            }
            let _waiting = Waiting::enter(&self.waiting_to_push);
            notified.await;
        }
    }

    async fn pop_when_any(&self) -> T {
        loop {
            let notified = self.not_empty.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(item) = self.try_pop() {
                return item;
            }
            let _waiting = Waiting::enter(&self.waiting_to_pop);
            notified.await;
        }
    }

    pub fn try_push(&self, item: T) -> Result<(), T> {
        {
            let mut items = self.lock();
            if items.len() >= self.capacity() {
                return Err(item);
            }
            items.push_back(item);
            self.len.store(items.len(), Ordering::Relaxed);
        }
        self.not_empty.notify_one();
        Ok(())
    }

    pub fn try_pop(&self) -> Option<T> {
        let item = {
            let mut items = self.lock();
            let item = items.pop_front()?;
            self.len.store(items.len(), Ordering::Relaxed);
            item
        };
        self.not_full.notify_one();
        Some(item)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<T>> {
        // A panic while holding this lock cannot leave the deque half-updated
        // (push_back/pop_front are atomic from our side), so poisoning is moot.
        self.items
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Counts a task as waiting until it is woken or its future is dropped.
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn enter(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::Relaxed);
        Self(count)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn keeps_fifo_order_and_refuses_when_full() {
        let q = BoundedQueue::new(2);
        assert_eq!(q.try_push(1), Ok(()));
        assert_eq!(q.try_push(2), Ok(()));
        assert_eq!(q.try_push(3), Err(3));
        assert_eq!(q.len(), 2);
        assert_eq!(q.try_pop(), Some(1));
        assert_eq!(q.try_pop(), Some(2));
        assert_eq!(q.try_pop(), None);
    }

    #[test]
    fn shrinking_capacity_keeps_items() {
        let q = BoundedQueue::new(4);
        for i in 0..4 {
            q.try_push(i).unwrap();
        }
        q.set_capacity(1);
        assert_eq!(q.len(), 4);
        assert_eq!(q.try_push(9), Err(9));
        let drained: Vec<_> = std::iter::from_fn(|| q.try_pop()).collect();
        assert_eq!(drained, vec![0, 1, 2, 3]);
        assert_eq!(q.try_push(9), Ok(()));
    }

    #[tokio::test]
    async fn blocked_producer_resumes_when_capacity_grows() {
        let q = Arc::new(BoundedQueue::new(1));
        q.try_push(0).unwrap();
        let pusher = tokio::spawn({
            let q = q.clone();
            async move { q.push(1).await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(
            !pusher.is_finished(),
            "push must wait while the queue is full"
        );
        assert_eq!(q.waiting_to_push(), 1);
        q.set_capacity(2);
        tokio::time::timeout(Duration::from_secs(5), pusher)
            .await
            .expect("push resumes after the capacity grows")
            .unwrap();
        assert_eq!(q.len(), 2);
        assert_eq!(q.waiting_to_push(), 0);
    }

    #[tokio::test]
    async fn blocked_consumer_resumes_on_push() {
        let q = Arc::new(BoundedQueue::<u32>::new(1));
        let popper = tokio::spawn({
            let q = q.clone();
            async move { q.pop().await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(q.waiting_to_pop(), 1);
        q.push(7).await;
        let got = tokio::time::timeout(Duration::from_secs(5), popper).await;
        assert_eq!(got.unwrap().unwrap(), 7);
        assert_eq!(q.waiting_to_pop(), 0);
    }

    #[test]
    fn a_task_popping_a_busy_queue_yields_to_others_after_its_budget() {
        // One thread, so the other task runs only when the popper yields.
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let q = Arc::new(BoundedQueue::new(10_000));
        for i in 0..10_000 {
            q.try_push(i).unwrap();
        }
        let other_ran = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let popper = rt.spawn({
            let (q, other_ran) = (q.clone(), other_ran.clone());
            async move {
                for popped in 0..10_000 {
                    q.pop().await;
                    if other_ran.load(Ordering::Relaxed) {
                        return Some(popped);
                    }
                }
                None
            }
        });
        rt.spawn({
            let other_ran = other_ran.clone();
            async move { other_ran.store(true, Ordering::Relaxed) }
        });
        let yielded_after = rt.block_on(popper).unwrap();
        // tokio's budget is 128 operations a poll.
        assert!(
            yielded_after.is_some_and(|n| n <= 256),
            "the other task first ran after {yielded_after:?} pops"
        );
    }
}
