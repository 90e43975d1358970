//! A named group of identical tasks whose size changes while it runs: the
//! workload's answer to "more producers" without restarting anything.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::runtime::Handle;
use tokio_util::sync::CancellationToken;

pub struct TaskGroup {
    handle: Handle,
    /// Tasks are named `{name}-{serial}`, as tokio-console lists them.
    name: &'static str,
    /// Tasks spawned so far: the next one's serial. A cancelled task may
    /// still be finishing its item when its slot is filled again, so names
    /// are never reused, or two live tasks would share one.
    spawned: usize,
    tokens: Vec<CancellationToken>,
    alive: Arc<AtomicUsize>,
}

impl TaskGroup {
    pub fn new(handle: Handle, name: &'static str) -> Self {
        Self {
            handle,
            name,
            spawned: 0,
            tokens: Vec::new(),
            alive: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Grows by spawning `make(slot, token)` or shrinks by cancelling the
    /// newest tasks; each task decides where it is safe to stop. Spawned
    /// tasks carry the caller's location, so tokio-console tells groups apart.
    #[track_caller]
    pub fn resize<F, Fut>(&mut self, target: usize, mut make: F)
    where
        F: FnMut(usize, CancellationToken) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        while self.tokens.len() > target {
            if let Some(token) = self.tokens.pop() {
                token.cancel();
            }
        }
        while self.tokens.len() < target {
            let token = CancellationToken::new();
            let alive = AliveGuard::enter(&self.alive);
            let task = make(self.tokens.len(), token.clone());
            let name = format!("{}-{}", self.name, self.spawned);
            self.spawned += 1;
            crate::runtime::spawn_named(&self.handle, &name, async move {
                let _alive = alive;
                task.await;
            });
            self.tokens.push(token);
        }
    }

    /// Tasks asked to run.
    pub fn target(&self) -> usize {
        self.tokens.len()
    }

    /// Tasks still running, including cancelled ones finishing their item.
    pub fn alive(&self) -> usize {
        self.alive.load(Ordering::Relaxed)
    }

    /// The count `alive` reads, for a reader on another thread.
    pub fn alive_counter(&self) -> Arc<AtomicUsize> {
        self.alive.clone()
    }
}

impl Drop for TaskGroup {
    fn drop(&mut self) {
        for token in &self.tokens {
            token.cancel();
        }
    }
}

/// Counts a task as alive from its spawn until its future is dropped,
/// whether it finished, was cancelled or panicked.
struct AliveGuard(Arc<AtomicUsize>);

impl AliveGuard {
    fn enter(alive: &Arc<AtomicUsize>) -> Self {
        alive.fetch_add(1, Ordering::Relaxed);
        Self(alive.clone())
    }
}

impl Drop for AliveGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn wait_until(mut done: impl FnMut() -> bool) -> bool {
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if done() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        false
    }

    #[test]
    fn resize_spawns_and_cancels_the_newest() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let mut group = TaskGroup::new(rt.handle().clone(), "sleeper");
        let spawn = |_index, token: CancellationToken| async move { token.cancelled().await };
        group.resize(5, spawn);
        assert_eq!(group.target(), 5);
        assert!(wait_until(|| group.alive() == 5));
        group.resize(2, spawn);
        assert_eq!(group.target(), 2);
        assert!(
            wait_until(|| group.alive() == 2),
            "cancelled tasks must end"
        );
        drop(group);
    }

    #[test]
    fn a_task_still_finishing_keeps_its_name_to_itself() {
        use crate::stall::names::{name_of, task_key};
        use std::sync::Mutex;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let names = Arc::new(Mutex::new(Vec::new()));
        // Each task says its name, then takes 200 ms to finish once cancelled.
        let spawn = |_slot, token: CancellationToken| {
            let names = names.clone();
            async move {
                let me = name_of(task_key(tokio::task::id()));
                names.lock().unwrap().push(me.unwrap().to_string());
                token.cancelled().await;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        };
        let mut group = TaskGroup::new(rt.handle().clone(), "job");
        group.resize(2, spawn);
        assert!(wait_until(|| names.lock().unwrap().len() == 2));
        group.resize(1, spawn);
        group.resize(2, spawn);
        assert!(wait_until(|| names.lock().unwrap().len() == 3));
        let mut seen = names.lock().unwrap().clone();
        seen.sort();
        assert_eq!(seen, ["job-0", "job-1", "job-2"], "job-1 still runs");
    }
}
