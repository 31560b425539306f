//! Bus statistics per device, for the diagnostics page: how many requests, how fast the replies,
//! and what went wrong.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use shared::DeviceDiagnostics;

use super::rtu_client::ExchangeError;

/// How many reply times are kept for the median and the 95th percentile.
const LATENCY_SAMPLES: usize = 256;
/// The window of the request rate.
const RATE_WINDOW: Duration = Duration::from_secs(60);

/// What became of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Timeout,
    CrcError,
    Exception,
    /// Too short, or not a reply to the request.
    Garbled,
    /// A well-formed reply from another unit id.
    WrongUnit,
    OtherError,
}

impl Outcome {
    /// The outcome class of a failed exchange.
    pub fn of(error: &ExchangeError) -> Outcome {
        match error {
            ExchangeError::Timeout(_) => Outcome::Timeout,
            ExchangeError::Exception { .. } => Outcome::Exception,
            ExchangeError::Crc => Outcome::CrcError,
            ExchangeError::Garbled(_) => Outcome::Garbled,
            ExchangeError::WrongUnit { .. } => Outcome::WrongUnit,
            ExchangeError::Transport(_) => Outcome::OtherError,
        }
    }
}

#[derive(Debug, Default)]
struct Counters {
    requests: u64,
    timeouts: u64,
    crc_errors: u64,
    exceptions: u64,
    other_errors: u64,
    garbled_frames: u64,
    wrong_unit_replies: u64,
    timeout: Option<Duration>,
    latencies_ms: VecDeque<f64>,
    recent_requests: VecDeque<Instant>,
    last_success: Option<i64>,
    retry_at: Option<Instant>,
}

/// Statistics of every device, shared by the pollers (writers) and the API (reader).
#[derive(Debug, Clone, Default)]
pub struct Diagnostics {
    devices: Arc<Mutex<HashMap<u32, Counters>>>,
}

impl Diagnostics {
    fn lock(&self) -> MutexGuard<'_, HashMap<u32, Counters>> {
        self.devices
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Counts one request of `device_id` and its outcome.
    pub fn record(&self, device_id: u32, outcome: Outcome, latency: Duration, now_ms: i64) {
        let mut devices = self.lock();
        let counters = devices.entry(device_id).or_default();
        let now = Instant::now();
        counters.requests += 1;
        counters.recent_requests.push_back(now);
        while counters
            .recent_requests
            .front()
            .is_some_and(|at| now.duration_since(*at) > RATE_WINDOW)
        {
            counters.recent_requests.pop_front();
        }
        match outcome {
            Outcome::Success => {
                counters.last_success = Some(now_ms);
                if counters.latencies_ms.len() == LATENCY_SAMPLES {
                    counters.latencies_ms.pop_front();
                }
                counters
                    .latencies_ms
                    .push_back(latency.as_secs_f64() * 1000.0);
            }
            Outcome::Timeout => counters.timeouts += 1,
            Outcome::CrcError => counters.crc_errors += 1,
            Outcome::Exception => counters.exceptions += 1,
            Outcome::Garbled => {
                counters.garbled_frames += 1;
                counters.other_errors += 1;
            }
            Outcome::WrongUnit => {
                counters.wrong_unit_replies += 1;
                counters.other_errors += 1;
            }
            Outcome::OtherError => counters.other_errors += 1,
        }
    }

    /// Notes the reply timeout the poller now uses for `device_id`.
    pub fn set_timeout(&self, device_id: u32, timeout: Duration) {
        self.lock().entry(device_id).or_default().timeout = Some(timeout);
    }

    /// Notes when a backed-off device is probed again (`None`: not backed off).
    pub fn set_retry(&self, device_id: u32, retry_at: Option<Instant>) {
        self.lock().entry(device_id).or_default().retry_at = retry_at;
    }

    /// The statistics of one device.
    pub fn device(&self, device_id: u32, name: &str) -> DeviceDiagnostics {
        let devices = self.lock();
        let empty = Counters::default();
        let counters = devices.get(&device_id).unwrap_or(&empty);
        let now = Instant::now();
        let window = counters
            .recent_requests
            .front()
            .map(|first| now.duration_since(*first).max(Duration::from_secs(1)))
            .unwrap_or(RATE_WINDOW);
        let recent = counters
            .recent_requests
            .iter()
            .filter(|at| now.duration_since(**at) <= RATE_WINDOW)
            .count();
        DeviceDiagnostics {
            device_id,
            name: name.to_owned(),
            requests: counters.requests,
            requests_per_second: recent as f64 / window.as_secs_f64(),
            latency_median_ms: percentile(&counters.latencies_ms, 0.5),
            latency_p95_ms: percentile(&counters.latencies_ms, 0.95),
            timeouts: counters.timeouts,
            crc_errors: counters.crc_errors,
            exceptions: counters.exceptions,
            other_errors: counters.other_errors,
            garbled_frames: counters.garbled_frames,
            wrong_unit_replies: counters.wrong_unit_replies,
            timeout_ms: counters.timeout.map(|timeout| timeout.as_millis() as u64),
            last_success: counters.last_success,
            retry_in_seconds: counters
                .retry_at
                .filter(|at| *at > now)
                .map(|at| at.duration_since(now).as_secs().max(1)),
        }
    }
}

/// The `fraction` percentile (nearest rank) of `samples`.
fn percentile(samples: &VecDeque<f64>, fraction: f64) -> Option<f64> {
    if samples.is_empty() {
        return None;
    }
    let mut sorted: Vec<f64> = samples.iter().copied().collect();
    sorted.sort_by(f64::total_cmp);
    let rank = ((fraction * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

/// How long a device that failed `failures` times in a row waits before the next probe: one
/// cycle after the first failure, doubling up to five minutes, so a dead device costs the bus one
/// timeout every few minutes instead of one per cycle.
pub fn backoff(cycle: Duration, failures: u32) -> Duration {
    if failures == 0 {
        return Duration::ZERO;
    }
    let factor = 2u32.saturating_pow(failures.saturating_sub(1).min(16));
    cycle.saturating_mul(factor).min(Duration::from_secs(300))
}

/// How many recent reply times the adaptive timeout looks at: few enough that a device that
/// became slower is followed within a few cycles.
const POLICY_SAMPLES: usize = 20;
/// The shortest reply timeout the policy chooses: below this, scheduling jitter on a loaded
/// gateway (a TCP reply delayed by a busy CPU, a USB adapter's latency timer) would cut off
/// healthy devices; 40 ms proved too tight on a 2-core box serving a browser.
pub const TIMEOUT_FLOOR: Duration = Duration::from_millis(100);

/// The reply timeout of one device, adapted to how fast it answers: twice the 95th percentile of
/// its recent reply times (or the latest, if longer), plus the wire time of the reply expected,
/// kept between [`TIMEOUT_FLOOR`] and the gateway's configured timeout. A device never heard gets
/// the configured timeout; each timeout in a row doubles the adapted one, so a device that became
/// slower is soon given the full configured time and is not cut off for good, while a dead device
/// costs the bus a short wait on most of its probes.
#[derive(Debug, Clone)]
pub struct TimeoutPolicy {
    configured: Duration,
    recent: VecDeque<Duration>,
    timeouts_in_a_row: u32,
}

impl TimeoutPolicy {
    /// The policy of a device behind a gateway whose configured timeout is `configured`.
    pub fn new(configured: Duration) -> TimeoutPolicy {
        TimeoutPolicy {
            configured,
            recent: VecDeque::with_capacity(POLICY_SAMPLES),
            timeouts_in_a_row: 0,
        }
    }

    /// The timeout of the next request, whose reply takes `reply_wire` on the wire.
    pub fn timeout(&self, reply_wire: Duration) -> Duration {
        let floor = TIMEOUT_FLOOR.min(self.configured);
        let Some(latest) = self.recent.back() else {
            return self.configured;
        };
        let mut sorted: Vec<Duration> = self.recent.iter().copied().collect();
        sorted.sort();
        let rank = ((0.95 * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
        let typical = sorted[rank - 1].max(*latest);
        let widened = typical
            .saturating_mul(2)
            .saturating_add(reply_wire)
            .saturating_mul(2u32.saturating_pow(self.timeouts_in_a_row.min(16)));
        widened.clamp(floor, self.configured)
    }

    /// A reply arrived after `elapsed`.
    pub fn replied(&mut self, elapsed: Duration) {
        if self.recent.len() == POLICY_SAMPLES {
            self.recent.pop_front();
        }
        self.recent.push_back(elapsed);
        self.timeouts_in_a_row = 0;
    }

    /// The device did not answer in time.
    pub fn timed_out(&mut self) {
        self.timeouts_in_a_row = self.timeouts_in_a_row.saturating_add(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let samples: VecDeque<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&samples, 0.5), Some(50.0));
        assert_eq!(percentile(&samples, 0.95), Some(95.0));
        assert_eq!(percentile(&VecDeque::new(), 0.5), None);
        assert_eq!(percentile(&VecDeque::from(vec![7.0]), 0.95), Some(7.0));
    }

    #[test]
    fn backoff_grows_to_five_minutes() {
        let cycle = Duration::from_secs(1);
        assert_eq!(backoff(cycle, 0), Duration::ZERO);
        assert_eq!(backoff(cycle, 1), Duration::from_secs(1));
        assert_eq!(backoff(cycle, 2), Duration::from_secs(2));
        assert_eq!(backoff(cycle, 5), Duration::from_secs(16));
        assert_eq!(backoff(cycle, 20), Duration::from_secs(300));
        assert_eq!(backoff(cycle, u32::MAX), Duration::from_secs(300));
    }

    #[test]
    fn outcomes_are_counted_apart() {
        let diagnostics = Diagnostics::default();
        diagnostics.record(1, Outcome::Success, Duration::from_millis(20), 1000);
        diagnostics.record(1, Outcome::Timeout, Duration::from_millis(300), 2000);
        diagnostics.record(1, Outcome::CrcError, Duration::ZERO, 3000);
        diagnostics.record(1, Outcome::Exception, Duration::ZERO, 4000);
        let device = diagnostics.device(1, "Main");
        assert_eq!(device.requests, 4);
        assert_eq!(
            (device.timeouts, device.crc_errors, device.exceptions),
            (1, 1, 1)
        );
        assert_eq!(device.last_success, Some(1000));
        assert_eq!(device.latency_median_ms, Some(20.0));
        assert!(device.requests_per_second > 0.0);
        assert_eq!(diagnostics.device(9, "None").requests, 0);
        diagnostics.record(1, Outcome::Garbled, Duration::ZERO, 5000);
        diagnostics.record(1, Outcome::WrongUnit, Duration::ZERO, 6000);
        let device = diagnostics.device(1, "Main");
        assert_eq!(
            (
                device.garbled_frames,
                device.wrong_unit_replies,
                device.other_errors
            ),
            (1, 1, 2)
        );
    }

    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn an_unknown_device_gets_the_configured_timeout() {
        let policy = TimeoutPolicy::new(MS(300));
        assert_eq!(policy.timeout(MS(5)), MS(300));
    }

    #[test]
    fn a_fast_device_gets_a_short_timeout_but_never_below_the_floor() {
        let mut policy = TimeoutPolicy::new(MS(300));
        for _ in 0..20 {
            policy.replied(MS(10));
        }
        // 2 × 10 ms + 5 ms of wire time is below the floor.
        assert_eq!(policy.timeout(MS(5)), TIMEOUT_FLOOR);
        for _ in 0..20 {
            policy.replied(MS(60));
        }
        // 2 × 60 ms + 5 ms of wire time.
        assert_eq!(policy.timeout(MS(5)), MS(125));
        for _ in 0..20 {
            policy.replied(MS(1));
        }
        assert_eq!(policy.timeout(Duration::ZERO), TIMEOUT_FLOOR);
        // A configured timeout below the floor wins.
        let mut tight = TimeoutPolicy::new(MS(25));
        tight.replied(MS(1));
        assert_eq!(tight.timeout(Duration::ZERO), MS(25));
    }

    #[test]
    fn a_slow_device_is_never_cut_off_below_its_reply_time() {
        let mut policy = TimeoutPolicy::new(MS(1000));
        for _ in 0..19 {
            policy.replied(MS(20));
        }
        // One slow reply among fast ones widens the next timeout at once.
        policy.replied(MS(200));
        assert_eq!(policy.timeout(MS(10)), MS(410));
        // Never beyond what the installer configured.
        policy.replied(MS(900));
        assert_eq!(policy.timeout(MS(10)), MS(1000));
    }

    #[test]
    fn timeouts_in_a_row_widen_up_to_the_configured_timeout() {
        let mut policy = TimeoutPolicy::new(MS(1000));
        for _ in 0..20 {
            policy.replied(MS(60));
        }
        assert_eq!(policy.timeout(Duration::ZERO), MS(120));
        policy.timed_out();
        assert_eq!(policy.timeout(Duration::ZERO), MS(240));
        policy.timed_out();
        assert_eq!(policy.timeout(Duration::ZERO), MS(480));
        policy.timed_out();
        assert_eq!(policy.timeout(Duration::ZERO), MS(960));
        policy.timed_out();
        assert_eq!(policy.timeout(Duration::ZERO), MS(1000));
        for _ in 0..40 {
            policy.timed_out();
        }
        assert_eq!(policy.timeout(Duration::ZERO), MS(1000));
        policy.replied(MS(60));
        assert_eq!(policy.timeout(Duration::ZERO), MS(120));
    }
}
