//! The observed runtime: the multi-thread tokio runtime that runs workloads
//! and nothing else, built with the metrics the sampler reads.

use std::future::Future;
use std::sync::Arc;
#[cfg(tokio_unstable)]
use std::time::Duration;

use tokio::runtime::{Builder, Handle, Runtime};
#[cfg(tokio_unstable)]
use tokio::runtime::{HistogramConfiguration, LogHistogram};

use crate::priority;
use crate::stall::names::Named;
use crate::stall::PollTracker;

/// Buckets from 1 µs to ~4 s at 25% precision, for poll times and scheduling
/// delays: fine enough to tell a 20 µs poll from an 80 µs one, wide enough to
/// catch a blocked worker. (tokio's default is 10 linear buckets of 100 µs:
/// everything fast lands in one.)
#[cfg(tokio_unstable)]
pub fn duration_histogram() -> HistogramConfiguration {
    HistogramConfiguration::log(
        LogHistogram::builder()
            .min_value(Duration::from_micros(1))
            .max_value(Duration::from_secs(4))
            .precision_exact(2),
    )
}

/// What the observed runtime measures beyond tokio's always-on counters.
#[derive(Clone)]
pub enum Instruments {
    /// The baseline of the overhead benchmark.
    None,
    /// tokio's poll-time and scheduling-delay histograms.
    Histograms,
    /// What looptop uses: the task hooks, which time long polls and count
    /// poll times and scheduling delays.
    Hooks(Arc<PollTracker>),
}

pub fn build(workers: usize, instruments: Instruments) -> std::io::Result<Runtime> {
    builder(workers, instruments).build()
}

/// The observed runtime's builder, instrumented, not yet built.
pub fn builder(workers: usize, instruments: Instruments) -> Builder {
    let mut builder = Builder::new_multi_thread();
    builder
        .worker_threads(workers)
        .thread_name("looptop-worker")
        // Workers and blocking-pool threads alike: the workload's threads
        // must not outweigh the dashboard's.
        .on_thread_start(priority::lower_this_thread)
        .enable_all();
    match &instruments {
        Instruments::None => {}
        Instruments::Histograms => {
            enable_poll_time_histogram(&mut builder);
            enable_schedule_delay_histogram(&mut builder);
        }
        // The hooks count poll times themselves, from the clock readings
        // they take anyway (tokio's histogram would add two more a poll),
        // and the scheduling delays tokio hands them.
        Instruments::Hooks(tracker) => tracker.install(&mut builder),
    }
    builder
}

/// tokio's poll-time histogram, for a runtime without looptop's poll
/// hooks (the overhead bench's middle arm). tokio has it only with
/// `--cfg tokio_unstable`.
pub fn enable_poll_time_histogram(builder: &mut Builder) {
    #[cfg(tokio_unstable)]
    builder
        .enable_metrics_poll_time_histogram()
        .metrics_poll_time_histogram_configuration(duration_histogram());
    #[cfg(not(tokio_unstable))]
    let _ = builder;
}

/// tokio's scheduling-delay histogram, for a runtime without looptop's
/// poll hooks (the overhead bench's middle arm). tokio has it only with
/// `--cfg tokio_unstable`.
pub fn enable_schedule_delay_histogram(builder: &mut Builder) {
    #[cfg(tokio_unstable)]
    builder
        .enable_metrics_schedule_latency_histogram()
        .metrics_schedule_latency_histogram_configuration(duration_histogram());
    #[cfg(not(tokio_unstable))]
    let _ = builder;
}

/// Spawns `task` on `handle` under `name`, the name the stall list and
/// tokio-console show (tokio-console only where tokio is built with tracing,
/// the `console` feature). The spawn location both show is the caller's.
#[track_caller]
pub fn spawn_named<F>(handle: &Handle, name: &str, task: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    let owned = name.to_string();
    // Each async wrapper holds its inner future twice over (rustc keeps a
    // copy across the first await), so a 300-byte task would spawn at 1.4 KB
    // and tokio-console would warn of large tasks. One box per spawn keeps
    // the spawned future small; spawns are rare (a group grows).
    let task = Box::pin(task);
    let task = async move {
        let _named = Named::current(&owned);
        task.await;
    };
    #[cfg(feature = "console")]
    if let Err(e) = tokio::task::Builder::new()
        .name(name)
        .spawn_on(task, handle)
    {
        // Only a runtime that is shutting down refuses; the task is moot then.
        tracing::debug!("not spawning {name}: {e}");
    }
    #[cfg(not(feature = "console"))]
    handle.spawn(task);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(tokio_unstable)]
    #[test]
    fn instrumented_runtime_has_log_buckets_down_to_microseconds() {
        let rt = build(2, Instruments::Histograms).unwrap();
        let metrics = rt.handle().metrics();
        assert_eq!(metrics.num_workers(), 2);
        assert!(metrics.poll_time_histogram_enabled());
        let buckets = metrics.poll_time_histogram_num_buckets();
        assert!(
            buckets > 40,
            "log buckets, not tokio's 10 linear ones: {buckets}"
        );
        assert!(metrics.poll_time_histogram_bucket_range(1).end <= Duration::from_micros(2));
        assert!(metrics.schedule_latency_histogram_enabled());
        assert_eq!(metrics.schedule_latency_histogram_num_buckets(), buckets);
    }

    /// What tokio-console's "tasks ≥ 1024 bytes" warning reads: the size
    /// tokio records when it spawns a task.
    #[cfg(feature = "console")]
    #[test]
    fn a_named_task_spawns_small_whatever_its_future_holds() {
        use std::sync::{Arc, Mutex};
        use tracing::field::{Field, Visit};
        use tracing_subscriber::layer::{Context, SubscriberExt};

        #[derive(Clone, Default)]
        struct Sizes(Arc<Mutex<Vec<u64>>>);
        impl Visit for &Sizes {
            fn record_u64(&mut self, field: &Field, value: u64) {
                if field.name() == "size.bytes" {
                    self.0.lock().unwrap().push(value);
                }
            }
            fn record_debug(&mut self, _: &Field, _: &dyn std::fmt::Debug) {}
        }
        impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Sizes {
            fn on_new_span(
                &self,
                attrs: &tracing::span::Attributes<'_>,
                _: &tracing::span::Id,
                _: Context<'_, S>,
            ) {
                attrs.record(&mut &*self);
            }
        }

        let sizes = Sizes::default();
        let subscriber = tracing_subscriber::registry().with(sizes.clone());
        tracing::subscriber::with_default(subscriber, || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap();
            // 800 bytes held across an await: over 1 KB once wrapped, under
            // the 2 KB past which a debug tokio boxes it itself.
            let held = [7u8; 800];
            spawn_named(rt.handle(), "holder", async move {
                tokio::task::yield_now().await;
                std::hint::black_box(&held);
            });
        });
        let sizes = sizes.0.lock().unwrap();
        assert_eq!(sizes.len(), 1, "one spawn recorded: {sizes:?}");
        assert!(sizes[0] < 1024, "spawned at {} bytes", sizes[0]);
    }
}
