//! Wire-time emulation for the virtual RS485 line.
//!
//! A pseudo-terminal moves bytes instantly, so a poller benchmarked against it would look far
//! faster than it can be on a real line. With a baud rate set, the RTU server holds each reply
//! back until a real line would have delivered it: 11 bits per character (start, 8 data, parity
//! or second stop, stop) for the request and the reply, a 3.5-character silence before each
//! request (the frame delimiter) and another as the device's turnaround. The line carries one
//! exchange at a time: a request that arrives while the line is busy waits for it.
//!
//! The silence before a request is the time the line has been quiet since its last frame, as on
//! a real line: a master that waits its 3.5 characters after a reply (as the standard asks) sends
//! a request that goes on the wire at once, while one that sends sooner is held back until the
//! silence is complete. Adding the silence after the request arrived instead would charge a
//! well-behaved master for it twice.

use std::time::Duration;

use tokio::time::Instant;

/// Bits per character on an RS485 Modbus RTU line (8 data bits and 3 framing bits).
const BITS_PER_CHARACTER: u64 = 11;

/// The timing of a real serial line at one baud rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WireTime {
    baud: u32,
}

impl WireTime {
    /// The timing at `baud`; `None` for 0, which means "no emulation".
    pub fn new(baud: u32) -> Option<WireTime> {
        (baud > 0).then_some(WireTime { baud })
    }

    pub fn baud(self) -> u32 {
        self.baud
    }

    /// The time `half_bits` / 2 bits take, rounded up to the nanosecond.
    fn half_bits(self, half_bits: u64) -> Duration {
        let denominator = 2 * u64::from(self.baud);
        Duration::from_nanos((half_bits * 1_000_000_000).div_ceil(denominator))
    }

    /// The time `bytes` characters take on the wire.
    pub fn characters(self, bytes: usize) -> Duration {
        self.half_bits(2 * BITS_PER_CHARACTER * bytes as u64)
    }

    /// The 3.5-character silence that delimits frames.
    pub fn silence(self) -> Duration {
        self.half_bits(7 * BITS_PER_CHARACTER)
    }
}

/// Keeps track of when the emulated line is free again.
#[derive(Debug)]
pub(crate) struct LineClock {
    /// When the last frame ended; `None` while the line has never carried one.
    free_at: Option<Instant>,
}

impl LineClock {
    pub(crate) fn new() -> LineClock {
        LineClock { free_at: None }
    }

    /// Books the line for one exchange whose request (`request` bytes) has just been received and
    /// whose reply is `reply` bytes (0: no reply) after the device's own extra `turnaround`.
    /// Returns when the reply must be written; without `wire` that is after `turnaround` alone.
    pub(crate) fn exchange(
        &mut self,
        wire: Option<WireTime>,
        request: usize,
        reply: usize,
        turnaround: Duration,
    ) -> Instant {
        self.exchange_at(Instant::now(), wire, request, reply, turnaround)
    }

    /// [`LineClock::exchange`] for a request received at `now`.
    fn exchange_at(
        &mut self,
        now: Instant,
        wire: Option<WireTime>,
        request: usize,
        reply: usize,
        turnaround: Duration,
    ) -> Instant {
        let Some(wire) = wire else {
            self.free_at = Some(now);
            return now + turnaround;
        };
        // On the wire when it arrives, but never sooner than a silence after the last frame.
        let start = self
            .free_at
            .map_or(now, |free_at| (free_at + wire.silence()).max(now));
        let request_done = start + wire.characters(request);
        let reply_done = if reply == 0 {
            request_done
        } else {
            request_done + wire.silence() + turnaround + wire.characters(reply)
        };
        self.free_at = Some(reply_done);
        reply_done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nineteen_two_hundred_baud_has_the_textbook_timing() {
        let wire = WireTime::new(19_200).unwrap();
        // 11 bits / 19 200 baud = 572.92 µs a character, 2.005 ms of silence.
        assert_eq!(wire.characters(1), Duration::from_nanos(572_917));
        assert_eq!(wire.silence(), Duration::from_nanos(2_005_209));
        assert_eq!(WireTime::new(0), None);
    }

    #[test]
    fn exchanges_queue_behind_each_other() {
        let wire = WireTime::new(9_600);
        let mut line = LineClock::new();
        let start = Instant::now();
        let first = line.exchange_at(start, wire, 8, 25, Duration::ZERO);
        // Sent while the first is still on the line: waits for it and the silence after it.
        let second = line.exchange_at(start, wire, 8, 25, Duration::ZERO);
        let timing = wire.unwrap();
        let one =
            timing.silence() + timing.characters(8) + timing.silence() + timing.characters(25);
        // Each part is rounded up to the nanosecond on its own.
        assert!(
            one.abs_diff(timing.characters(33) + 2 * timing.silence()) < Duration::from_nanos(4)
        );
        // The line was quiet long before the first request: its silence is already over.
        assert_eq!(first - start, one - timing.silence());
        assert_eq!(second - start, 2 * one - timing.silence());
        let silent = line.exchange_at(start, wire, 8, 0, Duration::from_secs(5));
        assert_eq!(silent - start, 2 * one + timing.characters(8));
        // A slow device adds its delay to the turnaround; without emulation only that counts.
        let later = start + Duration::from_secs(60);
        let slow = line.exchange_at(later, wire, 8, 25, Duration::from_millis(300));
        assert_eq!(
            slow - later,
            one - timing.silence() + Duration::from_millis(300)
        );
        let plain = line.exchange_at(later, None, 8, 25, Duration::from_millis(300));
        assert_eq!(plain - later, Duration::from_millis(300));
    }

    #[test]
    fn the_silence_before_a_request_is_counted_from_the_last_frame() {
        let wire = WireTime::new(19_200);
        let timing = wire.unwrap();
        let mut line = LineClock::new();
        let start = Instant::now();
        let reply_end = line.exchange_at(start, wire, 8, 9, Duration::ZERO);
        let exchange = timing.characters(8) + timing.silence() + timing.characters(9);
        // A master that waited 3.5 characters (and a little more) after the reply: its request
        // goes on the wire as it arrives, the silence is not charged a second time.
        let patient = reply_end + timing.silence() + Duration::from_micros(300);
        let end = line.exchange_at(patient, wire, 8, 9, Duration::ZERO);
        assert_eq!(end - patient, exchange);
        // One that sends at once is held back until the silence is complete.
        let hasty = line.exchange_at(end, wire, 8, 9, Duration::ZERO);
        assert_eq!(hasty - end, timing.silence() + exchange);
    }
}
