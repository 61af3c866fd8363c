//! Running one function over several parts of a job on every core, results in the parts' order.

/// `f` of every part, each on a thread of its own, in the order of `parts`. A panic in `f` is
/// raised again here: a part's result is never silently missing.
pub(crate) fn map<T: Sync, R: Send>(parts: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    std::thread::scope(|scope| {
        let f = &f;
        let handles: Vec<_> = parts
            .iter()
            .map(|part| scope.spawn(move || f(part)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

/// How many threads a job spreads over: the cores there are.
pub(crate) fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
