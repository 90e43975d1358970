//! A small pool of dedicated OS threads for blocking work: the alternative
//! to tokio's `spawn_blocking` that a program controls itself (its size, its
//! threads' names), like a `rayon` pool or Python's `ThreadPoolExecutor`.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;

use crate::priority;

type Job = Box<dyn FnOnce() + Send>;

pub struct ThreadPool {
    jobs: Mutex<mpsc::Sender<Job>>,
    threads: usize,
}

impl ThreadPool {
    /// Starts `threads` threads named `{name}-N`; they end when the pool is
    /// dropped and the jobs queued before have run.
    pub fn new(threads: usize, name: &str) -> std::io::Result<Self> {
        let (sender, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        for n in 0..threads.max(1) {
            let receiver = Arc::clone(&receiver);
            thread::Builder::new()
                .name(format!("{name}-{n}"))
                .spawn(move || {
                    priority::lower_this_thread();
                    loop {
                        // Hold the lock only to take a job, not to run it.
                        let job = match receiver.lock() {
                            Ok(receiver) => receiver.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                })?;
        }
        Ok(Self {
            jobs: Mutex::new(sender),
            threads: threads.max(1),
        })
    }

    /// The pool's threads.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Runs `job` on a pool thread and waits for it without blocking the
    /// caller's worker.
    pub async fn run(&self, job: impl FnOnce() + Send + 'static) {
        let (done, finished) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            job();
            let _ = done.send(());
        });
        let sent = match self.jobs.lock() {
            Ok(jobs) => jobs.send(job).is_ok(),
            Err(_) => false,
        };
        if sent {
            let _ = finished.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn jobs_run_on_the_pool_threads() {
        let pool = ThreadPool::new(2, "test-pool").unwrap();
        let ran = Arc::new(AtomicUsize::new(0));
        let names = Arc::new(Mutex::new(Vec::new()));
        for _ in 0..4 {
            let (ran, names) = (ran.clone(), names.clone());
            pool.run(move || {
                ran.fetch_add(1, Ordering::Relaxed);
                let name = thread::current().name().unwrap_or("").to_string();
                names.lock().unwrap().push(name);
            })
            .await;
        }
        assert_eq!(ran.load(Ordering::Relaxed), 4);
        assert!(names
            .lock()
            .unwrap()
            .iter()
            .all(|n| n.starts_with("test-pool-")));
    }
}
