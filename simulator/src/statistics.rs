//! What the virtual RS485 line carried: exchanges, catalog values delivered and time on the wire.
//!
//! Measured on the simulator's side so that a benchmark compares pollers by what actually crossed
//! the line, whatever each poller believes it did.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use shared::DeviceProfile;

use crate::wire::WireTime;

/// Counters shared between the line's task and whoever reads them. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct LineStatistics {
    counters: Arc<Mutex<LineCounters>>,
}

/// A snapshot of [`LineStatistics`].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LineCounters {
    /// Requests answered (exceptions included) or left unanswered.
    pub exchanges: u64,
    /// Catalog registers (meter values) delivered whole in successful read replies.
    pub values: u64,
    /// Wire time of every frame plus the 3.5-character silence before each, as a real line at
    /// the emulated baud rate would need.
    pub busy: Duration,
}

impl LineStatistics {
    /// The counters so far.
    pub fn snapshot(&self) -> LineCounters {
        *self.lock()
    }

    /// Starts counting from zero.
    pub fn reset(&self) {
        *self.lock() = LineCounters::default();
    }

    /// Counts one exchange of `request` and `reply` bytes that delivered `values` values.
    pub(crate) fn record(&self, wire: Option<WireTime>, request: usize, reply: usize, values: u64) {
        let busy = wire.map_or(Duration::ZERO, |wire| {
            let frames = if reply == 0 { 1 } else { 2 };
            wire.silence() * frames + wire.characters(request + reply)
        });
        let mut counters = self.lock();
        counters.exchanges += 1;
        counters.values += values;
        counters.busy += busy;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LineCounters> {
        // Plain counters stay meaningful even if a holder panicked.
        self.counters
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// How many of `profile`'s registers a successful read (`function`, `start`, `count`) delivered
/// whole. Bits (functions 1 and 2) count one value per bit register inside the range.
pub(crate) fn values_delivered(
    profile: &DeviceProfile,
    function: u8,
    start: u16,
    count: u16,
) -> u64 {
    let end = u32::from(start) + u32::from(count);
    profile
        .registers
        .iter()
        .filter(|register| register.read_function(profile.function) == function)
        .filter(|register| {
            let words = if matches!(function, 1 | 2) {
                1
            } else {
                register.words()
            };
            u32::from(register.address) >= u32::from(start)
                && u32::from(register.address) + u32::from(words) <= end
        })
        .count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_counts_only_the_registers_it_holds_whole() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/catalog");
        let catalog = shared::Catalog::load_dir(&dir).unwrap();
        let profile = catalog.get("eastron-sdm630").unwrap();
        let first = profile
            .registers
            .iter()
            .min_by_key(|register| register.address)
            .unwrap();
        let function = first.read_function(profile.function);
        assert_eq!(
            values_delivered(profile, function, first.address, first.words()),
            1
        );
        // One word short of the value: nothing whole.
        assert_eq!(
            values_delivered(profile, function, first.address, first.words() - 1),
            0
        );
        // The wrong function delivers none of them.
        let other = if function == 3 { 4 } else { 3 };
        assert_eq!(
            values_delivered(profile, other, first.address, first.words()),
            0
        );
    }

    #[test]
    fn busy_time_is_the_frames_and_their_silences() {
        let statistics = LineStatistics::default();
        let wire = WireTime::new(19_200);
        statistics.record(wire, 8, 9, 2);
        statistics.record(wire, 8, 0, 0);
        let counters = statistics.snapshot();
        let timing = wire.unwrap();
        assert_eq!(counters.exchanges, 2);
        assert_eq!(counters.values, 2);
        assert_eq!(
            counters.busy,
            timing.silence() * 3 + timing.characters(17) + timing.characters(8)
        );
        statistics.reset();
        assert_eq!(statistics.snapshot(), LineCounters::default());
    }
}
