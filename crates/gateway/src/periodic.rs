//! Background work repeated at an interval until shutdown (retention sweeps and the like).

use std::future::Future;
use std::time::Duration;

/// Runs `work` every `interval` (the first time at once; at least a second apart; a late tick
/// is delayed, never bunched) until `shutdown` resolves.
pub async fn every<F, Fut>(interval: Duration, shutdown: impl Future<Output = ()>, mut work: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    tokio::pin!(shutdown);
    let mut ticks = tokio::time::interval(interval.max(Duration::from_secs(1)));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            () = &mut shutdown => return,
        }
        work().await;
    }
}
