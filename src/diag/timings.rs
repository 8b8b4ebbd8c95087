//! `--timings`: where a run spends its time, stage by stage, in wall-clock time and in
//! CPU time summed over every thread.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

static ENABLED: AtomicBool = AtomicBool::new(false);
static STAGES: Mutex<Vec<Stage>> = Mutex::new(Vec::new());

struct Stage {
    name: &'static str,
    wall: Duration,
    cpu: Option<Duration>,
}

/// Start recording stages.
pub(crate) fn enable() {
    ENABLED.store(true, Ordering::Relaxed);
}

/// Run `f` as the stage `name`, recording its times when timings are on.
pub(crate) fn stage<T>(name: &'static str, f: impl FnOnce() -> T) -> T {
    if !ENABLED.load(Ordering::Relaxed) {
        return f();
    }
    let cpu = process_cpu();
    let start = Instant::now();
    let value = f();
    let wall = start.elapsed();
    let cpu = cpu
        .zip(process_cpu())
        .map(|(before, after)| after.saturating_sub(before));
    STAGES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(Stage { name, wall, cpu });
    value
}

/// The recorded stages as a table, then forgets them.
pub(crate) fn report() -> String {
    let stages = std::mem::take(
        &mut *STAGES
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    let width = stages
        .iter()
        .map(|s| s.name.len())
        .max()
        .unwrap_or(0)
        .max(5);
    let mut out = format!("{:<width$}  {:>9}  {:>9}\n", "stage", "wall", "cpu");
    for stage in &stages {
        let cpu = stage.cpu.map_or_else(|| String::from("-"), seconds);
        out.push_str(&format!(
            "{:<width$}  {:>9}  {:>9}\n",
            stage.name,
            seconds(stage.wall),
            cpu
        ));
    }
    out
}

fn seconds(duration: Duration) -> String {
    format!("{:.3} s", duration.as_secs_f64())
}

/// User plus system time of the whole process so far (Linux: `/proc/self/stat`, in
/// the kernel's fixed 100 Hz user-visible ticks).
fn process_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let mut fields = rest.split(' ').skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_millis((user + system) * 10))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_are_recorded_and_reported() {
        enable();
        let value = stage("spin", || {
            (0..1_000_000u64).fold(0u64, |a, b| a.wrapping_add(b * b))
        });
        assert_ne!(value, 0);
        let table = report();
        assert!(table.starts_with("stage"), "{table}");
        assert!(
            table.lines().any(|line| line.starts_with("spin ")),
            "{table}"
        );
        assert!(
            !report().contains("spin"),
            "the stages are forgotten once reported"
        );
        #[cfg(target_os = "linux")]
        assert!(process_cpu().is_some());
    }
}
