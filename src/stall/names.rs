//! Task names for the stall list. tokio's poll hooks see a task's id and
//! spawn location but not its name, so named tasks register themselves here
//! while they run.
//!
//! One process-wide table: task ids are unique across runtimes, and the
//! hooks that read it are far from the spawn sites that fill it. It is
//! touched when a named task starts and ends and when a stall is reported,
//! never per poll.

use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};

use tokio::task::Id;

/// Ended tasks whose names are kept: a long poll is named when it is
/// sampled, up to a tick after it ended, and its task may have ended with
/// it (a consumer cancelled mid-item, a request done).
const ENDED_KEPT: usize = 1024;

#[derive(Default)]
struct Table {
    running: HashMap<u64, Arc<str>>,
    /// The latest ended tasks, oldest first.
    ended: VecDeque<(u64, Arc<str>)>,
}

static NAMES: LazyLock<Mutex<Table>> = LazyLock::new(Default::default);

fn names() -> MutexGuard<'static, Table> {
    // Inserts and removes cannot leave the map half-updated; poison is moot.
    NAMES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A task id as a plain number that fits in an atomic. `Id` does not expose
/// its number, but hashes exactly that number, so a hasher that keeps what
/// it is given recovers it without formatting on the hot path.
pub fn task_key(id: Id) -> u64 {
    #[derive(Default)]
    struct Keep(u64);
    impl Hasher for Keep {
        fn finish(&self) -> u64 {
            self.0
        }
        fn write(&mut self, bytes: &[u8]) {
            for &b in bytes {
                self.0 = self.0.rotate_left(8) ^ u64::from(b);
            }
        }
        fn write_u64(&mut self, n: u64) {
            self.0 = n;
        }
    }
    let mut keep = Keep::default();
    id.hash(&mut keep);
    keep.finish()
}

/// Registers the current task under `name` until dropped. Create it inside
/// the task, so it is in place before the task's first real poll.
pub struct Named(Option<u64>);

impl Named {
    pub fn current(name: &str) -> Self {
        let key = tokio::task::try_id().map(task_key);
        if let Some(key) = key {
            names().running.insert(key, Arc::from(name));
        }
        Self(key)
    }
}

impl Drop for Named {
    fn drop(&mut self) {
        let Some(key) = self.0 else {
            return;
        };
        let mut table = names();
        if let Some(name) = table.running.remove(&key) {
            if table.ended.len() == ENDED_KEPT {
                table.ended.pop_front();
            }
            table.ended.push_back((key, name));
        }
    }
}

/// The name of a named task, running or among the latest to end.
pub fn name_of(task: u64) -> Option<Arc<str>> {
    let table = names();
    table.running.get(&task).cloned().or_else(|| {
        let mut ended = table.ended.iter().rev();
        ended
            .find(|(key, _)| *key == task)
            .map(|(_, name)| name.clone())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_task_is_named_while_it_runs() {
        let task = tokio::spawn(async {
            let _named = Named::current("worker-bee");
            let key = task_key(tokio::task::id());
            name_of(key)
        });
        let key = task_key(task.id());
        assert_eq!(task.await.unwrap().as_deref(), Some("worker-bee"));
        assert_eq!(
            name_of(key).as_deref(),
            Some("worker-bee"),
            "still known just after the task ends, when its last poll is sampled"
        );
        assert_eq!(name_of(task_key(tokio::spawn(async {}).id())), None);
    }

    #[tokio::test]
    async fn only_the_latest_ended_tasks_are_remembered() {
        let task = tokio::spawn(async { drop(Named::current("first")) });
        let first = task_key(task.id());
        task.await.unwrap();
        assert_eq!(name_of(first).as_deref(), Some("first"));
        for _ in 0..ENDED_KEPT {
            tokio::spawn(async { drop(Named::current("later")) })
                .await
                .unwrap();
        }
        assert_eq!(
            name_of(first),
            None,
            "forgotten once {ENDED_KEPT} ended after it"
        );
    }

    #[tokio::test]
    async fn task_keys_tell_tasks_apart() {
        let a = tokio::spawn(async {});
        let b = tokio::spawn(async {});
        assert_ne!(task_key(a.id()), task_key(b.id()));
        assert_eq!(task_key(a.id()).to_string(), a.id().to_string());
    }
}
