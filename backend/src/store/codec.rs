//! Byte encodings of the store's values: variable-length integers, sample chunks, roll-up rows and
//! batches of fresh samples. Pure functions, no storage; the layouts are described in the module
//! documentation of [`super`].

use thiserror::Error;

/// Bytes that do not decode: a damaged or foreign database file.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("a stored {what} is damaged")]
pub struct DecodeError {
    /// Which kind of record.
    pub what: &'static str,
}

fn damaged(what: &'static str) -> DecodeError {
    DecodeError { what }
}

/// Appends `value` as LEB128 (7 bits a byte, high bit = more follows).
pub fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Appends a signed value, zig-zag mapped so small magnitudes of either sign stay short.
pub fn put_signed(out: &mut Vec<u8>, value: i64) {
    put_varint(out, zigzag(value));
}

/// Reads values written by [`put_varint`] and [`put_signed`].
pub struct Reader<'a> {
    bytes: &'a [u8],
    position: usize,
    what: &'static str,
}

impl<'a> Reader<'a> {
    /// Reads `bytes`, naming `what` in errors.
    pub fn new(bytes: &'a [u8], what: &'static str) -> Reader<'a> {
        Reader {
            bytes,
            position: 0,
            what,
        }
    }

    /// Whether everything was read.
    pub fn is_empty(&self) -> bool {
        self.position >= self.bytes.len()
    }

    /// One byte.
    pub fn byte(&mut self) -> Result<u8, DecodeError> {
        let byte = *self
            .bytes
            .get(self.position)
            .ok_or_else(|| damaged(self.what))?;
        self.position += 1;
        Ok(byte)
    }

    /// One unsigned varint.
    pub fn varint(&mut self) -> Result<u64, DecodeError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.byte()?;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(damaged(self.what))
    }

    /// One zig-zag varint.
    pub fn signed(&mut self) -> Result<i64, DecodeError> {
        Ok(unzigzag(self.varint()?))
    }

    /// A count that must fit in memory reasonably (guards against damaged lengths).
    pub fn count(&mut self, limit: usize) -> Result<usize, DecodeError> {
        let value = self.varint()?;
        usize::try_from(value)
            .ok()
            .filter(|&count| count <= limit)
            .ok_or_else(|| damaged(self.what))
    }
}

/// One recorded point of a series, quantised to the quantity's resolution. Counters have
/// `min == avg == max` (the register's value); gauges keep the extremes and the mean of the
/// readings of the sample period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Point {
    /// Unix seconds.
    pub time: i64,
    pub min: i64,
    pub avg: i64,
    pub max: i64,
}

impl Point {
    /// A single value (a counter reading, or a gauge read once in the period).
    pub fn single(time: i64, value: i64) -> Point {
        Point {
            time,
            min: value,
            avg: value,
            max: value,
        }
    }
}

/// Largest number of points a chunk may hold (a UTC day at one sample a second); anything above
/// is damage.
const CHUNK_LIMIT: usize = 86_400;

const FLAG_SECOND_DIFFERENCES: u8 = 1;
const FLAG_SPREAD: u8 = 2;
const FLAG_BIT_PACKED: u8 = 4;
/// Values per bit-packed block: an outlier (a reset, a gap) widens one block only.
const BLOCK: usize = 32;

/// Appends `values` in blocks of [`BLOCK`]: a width byte, then each value in that many bits.
fn put_packed(out: &mut Vec<u8>, values: &[u64]) {
    for block in values.chunks(BLOCK) {
        let width = block
            .iter()
            .map(|value| 64 - value.leading_zeros())
            .max()
            .unwrap_or(0);
        out.push(width as u8);
        let mut pending: u128 = 0;
        let mut bits = 0u32;
        for &value in block {
            pending |= u128::from(value) << bits;
            bits += width;
            while bits >= 8 {
                out.push(pending as u8);
                pending >>= 8;
                bits -= 8;
            }
        }
        if bits > 0 {
            out.push(pending as u8);
        }
    }
}

/// Reads `count` values written by [`put_packed`].
fn read_packed(reader: &mut Reader<'_>, count: usize) -> Result<Vec<u64>, DecodeError> {
    let mut values = Vec::with_capacity(count);
    while values.len() < count {
        let in_block = BLOCK.min(count - values.len());
        let width = u32::from(reader.byte()?);
        if width > 64 {
            return Err(damaged(reader.what));
        }
        let mask = if width == 64 {
            u128::from(u64::MAX)
        } else {
            (1u128 << width) - 1
        };
        let mut pending: u128 = 0;
        let mut bits = 0u32;
        for _ in 0..in_block {
            while bits < width {
                pending |= u128::from(reader.byte()?) << bits;
                bits += 8;
            }
            values.push((pending & mask) as u64);
            pending >>= width;
            bits -= width;
        }
    }
    Ok(values)
}

fn zigzag(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

fn unzigzag(value: u64) -> i64 {
    ((value >> 1) as i64) ^ -((value & 1) as i64)
}

/// Encodes the points of one series in one UTC day, ascending by time.
///
/// Layout: flags byte, point count, first time (seconds after `day_start`), runs of equal time
/// steps (count, step), the first average, then the other averages as first or second
/// differences, then, only when some point has them, each point's `avg − min` and `max − avg`.
/// Differences and spreads are zig-zag varints or bit-packed blocks, whichever of the four
/// variants is shortest for this chunk (a steady load packs into about 10 bits a sample).
pub fn encode_chunk(day_start: i64, points: &[Point]) -> Vec<u8> {
    let mut best = encode_chunk_with(day_start, points, false, false);
    if points.len() < 3 {
        return best;
    }
    for (second, packed) in [(true, false), (false, true), (true, true)] {
        let candidate = encode_chunk_with(day_start, points, second, packed);
        if candidate.len() < best.len() {
            best = candidate;
        }
    }
    best
}

fn encode_chunk_with(
    day_start: i64,
    points: &[Point],
    second_differences: bool,
    packed: bool,
) -> Vec<u8> {
    let spread = points
        .iter()
        .any(|point| point.min != point.avg || point.max != point.avg);
    let mut flags = 0;
    if second_differences {
        flags |= FLAG_SECOND_DIFFERENCES;
    }
    if spread {
        flags |= FLAG_SPREAD;
    }
    if packed {
        flags |= FLAG_BIT_PACKED;
    }
    let mut out = Vec::with_capacity(16 + points.len() * 2);
    out.push(flags);
    put_varint(&mut out, points.len() as u64);
    let Some(first) = points.first() else {
        return out;
    };
    put_signed(&mut out, first.time - day_start);
    // Runs of equal steps: a regular series costs a few bytes per day for all its times.
    let mut runs: Vec<(u64, i64)> = Vec::new();
    for pair in points.windows(2) {
        let step = pair[1].time - pair[0].time;
        match runs.last_mut() {
            Some((count, last)) if *last == step => *count += 1,
            _ => runs.push((1, step)),
        }
    }
    put_varint(&mut out, runs.len() as u64);
    for (count, step) in runs {
        put_varint(&mut out, count);
        put_signed(&mut out, step);
    }
    put_signed(&mut out, first.avg);
    let mut previous_difference = 0i64;
    let mut coded: Vec<u64> = Vec::with_capacity(points.len() * if spread { 3 } else { 1 });
    for pair in points.windows(2) {
        let difference = pair[1].avg.wrapping_sub(pair[0].avg);
        coded.push(zigzag(if second_differences {
            difference.wrapping_sub(previous_difference)
        } else {
            difference
        }));
        previous_difference = difference;
    }
    if spread {
        for point in points {
            coded.push(point.avg.wrapping_sub(point.min) as u64);
            coded.push(point.max.wrapping_sub(point.avg) as u64);
        }
    }
    if packed {
        put_packed(&mut out, &coded);
    } else {
        for value in coded {
            put_varint(&mut out, value);
        }
    }
    out
}

/// The inverse of [`encode_chunk`].
pub fn decode_chunk(day_start: i64, bytes: &[u8]) -> Result<Vec<Point>, DecodeError> {
    let mut reader = Reader::new(bytes, "sample chunk");
    let flags = reader.byte()?;
    let count = reader.count(CHUNK_LIMIT)?;
    let mut points = Vec::with_capacity(count);
    if count == 0 {
        return Ok(points);
    }
    let mut time = day_start + reader.signed()?;
    let runs = reader.count(CHUNK_LIMIT)?;
    let mut times = Vec::with_capacity(count);
    times.push(time);
    for _ in 0..runs {
        let run = reader.count(CHUNK_LIMIT)?;
        let step = reader.signed()?;
        for _ in 0..run {
            time += step;
            times.push(time);
        }
    }
    if times.len() != count {
        return Err(damaged("sample chunk"));
    }
    let mut value = reader.signed()?;
    let spread = flags & FLAG_SPREAD != 0;
    let coded_count = (count - 1) + if spread { 2 * count } else { 0 };
    let coded = if flags & FLAG_BIT_PACKED != 0 {
        read_packed(&mut reader, coded_count)?
    } else {
        (0..coded_count)
            .map(|_| reader.varint())
            .collect::<Result<Vec<u64>, _>>()?
    };
    let mut difference = 0i64;
    points.push(Point::single(times[0], value));
    for (&time, &code) in times[1..].iter().zip(&coded) {
        let code = unzigzag(code);
        difference = if flags & FLAG_SECOND_DIFFERENCES != 0 {
            difference.wrapping_add(code)
        } else {
            code
        };
        value = value.wrapping_add(difference);
        points.push(Point::single(time, value));
    }
    if spread {
        for (point, pair) in points.iter_mut().zip(coded[count - 1..].chunks(2)) {
            point.min = point.avg.wrapping_sub(pair[0] as i64);
            point.max = point.avg.wrapping_add(pair[1] as i64);
        }
    }
    if !reader.is_empty() {
        return Err(damaged("sample chunk"));
    }
    Ok(points)
}

/// One slot of a roll-up row (an hour of a day, a day of a month, a month of a year).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Slot {
    /// Nothing recorded in the slot.
    #[default]
    Empty,
    /// Consumption from a counter, in resolution units.
    Consumption(i64),
    /// Statistics of a gauge: readings averaged per sample period, the extremes and the sum of
    /// the averages (the mean is `sum / count`).
    Gauge {
        count: u64,
        min: i64,
        max: i64,
        sum: i64,
    },
}

impl Slot {
    /// Combines two contributions to the same slot.
    pub fn merge(self, other: Slot) -> Slot {
        match (self, other) {
            (Slot::Empty, slot) | (slot, Slot::Empty) => slot,
            (Slot::Consumption(a), Slot::Consumption(b)) => Slot::Consumption(a.saturating_add(b)),
            (
                Slot::Gauge {
                    count,
                    min,
                    max,
                    sum,
                },
                Slot::Gauge {
                    count: other_count,
                    min: other_min,
                    max: other_max,
                    sum: other_sum,
                },
            ) => Slot::Gauge {
                count: count + other_count,
                min: min.min(other_min),
                max: max.max(other_max),
                sum: sum.saturating_add(other_sum),
            },
            // A quantity is a counter or a gauge for good: mixed slots cannot happen, keep the
            // existing value.
            (slot, _) => slot,
        }
    }
}

/// Largest number of slots in a row (25 hours, 31 days, 12 months).
const ROW_LIMIT: usize = 64;
const ROW_COUNTER: u8 = 0;
const ROW_GAUGE: u8 = 1;

/// Encodes a roll-up row. Counter rows: per slot `consumption + 1` (0 = empty). Gauge rows: per
/// slot the count (0 = empty), then min, `max − min` and the sum.
pub fn encode_row(slots: &[Slot]) -> Vec<u8> {
    let gauge = slots.iter().any(|slot| matches!(slot, Slot::Gauge { .. }));
    let mut out = Vec::with_capacity(2 + slots.len() * 2);
    out.push(if gauge { ROW_GAUGE } else { ROW_COUNTER });
    put_varint(&mut out, slots.len() as u64);
    for slot in slots {
        match *slot {
            Slot::Empty => put_varint(&mut out, 0),
            Slot::Consumption(value) => {
                put_varint(&mut out, (value.max(0) as u64).saturating_add(1))
            }
            Slot::Gauge {
                count,
                min,
                max,
                sum,
            } => {
                put_varint(&mut out, count);
                put_signed(&mut out, min);
                put_varint(&mut out, max.wrapping_sub(min) as u64);
                put_signed(&mut out, sum);
            }
        }
    }
    out
}

/// The inverse of [`encode_row`].
pub fn decode_row(bytes: &[u8]) -> Result<Vec<Slot>, DecodeError> {
    let mut reader = Reader::new(bytes, "roll-up row");
    let kind = reader.byte()?;
    let count = reader.count(ROW_LIMIT)?;
    let mut slots = Vec::with_capacity(count);
    for _ in 0..count {
        let first = reader.varint()?;
        slots.push(match (kind, first) {
            (_, 0) => Slot::Empty,
            (ROW_COUNTER, value) => Slot::Consumption((value - 1) as i64),
            (ROW_GAUGE, count) => {
                let min = reader.signed()?;
                let max = min.wrapping_add(reader.varint()? as i64);
                let sum = reader.signed()?;
                Slot::Gauge {
                    count,
                    min,
                    max,
                    sum,
                }
            }
            _ => return Err(damaged("roll-up row")),
        });
    }
    if !reader.is_empty() {
        return Err(damaged("roll-up row"));
    }
    Ok(slots)
}

/// One entry of a batch of fresh samples: a series and its point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchEntry {
    pub device: u32,
    pub quantity: u16,
    pub min: i64,
    pub avg: i64,
    pub max: i64,
}

/// Encodes the samples recorded at one time (a row of the `recent` table): per entry device,
/// quantity, average, `avg − min`, `max − avg`.
pub fn encode_batch(out: &mut Vec<u8>, entries: &[BatchEntry]) {
    for entry in entries {
        put_varint(out, u64::from(entry.device));
        put_varint(out, u64::from(entry.quantity));
        put_signed(out, entry.avg);
        put_varint(out, entry.avg.wrapping_sub(entry.min) as u64);
        put_varint(out, entry.max.wrapping_sub(entry.avg) as u64);
    }
}

/// The inverse of [`encode_batch`].
pub fn decode_batch(bytes: &[u8]) -> Result<Vec<BatchEntry>, DecodeError> {
    let mut reader = Reader::new(bytes, "batch of recent samples");
    let mut entries = Vec::new();
    while !reader.is_empty() {
        let device = u32::try_from(reader.varint()?).map_err(|_| damaged("recent sample"))?;
        let quantity = u16::try_from(reader.varint()?).map_err(|_| damaged("recent sample"))?;
        let avg = reader.signed()?;
        let min = avg.wrapping_sub(reader.varint()? as i64);
        let max = avg.wrapping_add(reader.varint()? as i64);
        entries.push(BatchEntry {
            device,
            quantity,
            min,
            avg,
            max,
        });
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_at_the_edges() {
        let values = [0i64, 1, -1, 63, -64, 64, 1 << 40, i64::MAX, i64::MIN];
        let mut bytes = Vec::new();
        for value in values {
            put_signed(&mut bytes, value);
        }
        put_varint(&mut bytes, u64::MAX);
        let mut reader = Reader::new(&bytes, "test");
        for value in values {
            assert_eq!(reader.signed().unwrap(), value);
        }
        assert_eq!(reader.varint().unwrap(), u64::MAX);
        assert!(reader.is_empty());
        // Small magnitudes of either sign take one byte.
        let mut one = Vec::new();
        put_signed(&mut one, -60);
        assert_eq!(one.len(), 1);
    }

    #[test]
    fn a_regular_counter_day_costs_little_more_than_its_differences() {
        let day = 86_400 * 20_000;
        let points: Vec<Point> = (0..144)
            .map(|i| Point::single(day + 600 * (i + 1), 12_345_678 + i * 50 + (i % 3)))
            .collect();
        let bytes = encode_chunk(day, &points);
        assert_eq!(decode_chunk(day, &bytes).unwrap(), points);
        // 144 one-byte differences plus a handful of header bytes.
        assert!(bytes.len() <= 144 + 16, "{} bytes", bytes.len());
    }

    #[test]
    fn irregular_times_resets_and_gauge_spreads_round_trip() {
        let day = 0;
        let points = vec![
            Point {
                time: 5,
                min: -3,
                avg: 10,
                max: 40,
            },
            Point::single(65, 1_000_000),
            Point::single(70, 0),
            Point {
                time: 4_000,
                min: i64::MIN / 2,
                avg: 0,
                max: i64::MAX / 2,
            },
        ];
        let bytes = encode_chunk(day, &points);
        assert_eq!(decode_chunk(day, &bytes).unwrap(), points);
        assert_eq!(decode_chunk(day, &encode_chunk(day, &[])).unwrap(), vec![]);
    }

    #[test]
    fn noisy_large_loads_are_bit_packed() {
        let day = 0;
        // A 10 kW load: about 1 667 Wh per 10 minutes, ±15 %.
        let mut reading = 5_000_000;
        let points: Vec<Point> = (0..144)
            .map(|i| {
                reading += 1_667 + (i * 7_919 % 500) - 250;
                Point::single(600 * (i + 1), reading)
            })
            .collect();
        let bytes = encode_chunk(day, &points);
        assert_eq!(bytes[0] & FLAG_BIT_PACKED, FLAG_BIT_PACKED);
        assert_eq!(decode_chunk(day, &bytes).unwrap(), points);
        // Ten bits a sample instead of two varint bytes.
        assert!(bytes.len() < 144 * 3 / 2, "{} bytes", bytes.len());
        // Gauges with spreads and 64-bit outliers too.
        let mut gauges = points.clone();
        gauges[7].min = i64::MIN / 4;
        gauges[9].max = i64::MAX / 4;
        gauges[100].avg = -3;
        let bytes = encode_chunk_with(day, &gauges, true, true);
        assert_eq!(decode_chunk(day, &bytes).unwrap(), gauges);
    }

    #[test]
    fn damaged_chunks_and_rows_are_errors_not_panics() {
        let points: Vec<Point> = (0..10).map(|i| Point::single(i * 60, i)).collect();
        let bytes = encode_chunk(0, &points);
        for cut in 0..bytes.len() {
            assert!(decode_chunk(0, &bytes[..cut]).is_err(), "cut at {cut}");
        }
        assert!(decode_row(&[7, 1, 5]).is_err());
        assert!(decode_row(&[0, 200]).is_err());
    }

    #[test]
    fn rows_keep_empty_consumption_and_gauge_slots() {
        let slots = vec![
            Slot::Empty,
            Slot::Consumption(0),
            Slot::Consumption(1_234),
            Slot::Empty,
        ];
        assert_eq!(decode_row(&encode_row(&slots)).unwrap(), slots);
        let gauges = vec![
            Slot::Gauge {
                count: 6,
                min: -20,
                max: 300,
                sum: 900,
            },
            Slot::Empty,
        ];
        assert_eq!(decode_row(&encode_row(&gauges)).unwrap(), gauges);
    }

    #[test]
    fn merging_slots_adds_consumption_and_combines_statistics() {
        assert_eq!(
            Slot::Consumption(5).merge(Slot::Consumption(7)),
            Slot::Consumption(12)
        );
        assert_eq!(
            Slot::Empty.merge(Slot::Consumption(0)),
            Slot::Consumption(0)
        );
        let a = Slot::Gauge {
            count: 1,
            min: 5,
            max: 9,
            sum: 7,
        };
        let b = Slot::Gauge {
            count: 2,
            min: 1,
            max: 8,
            sum: 10,
        };
        assert_eq!(
            a.merge(b),
            Slot::Gauge {
                count: 3,
                min: 1,
                max: 9,
                sum: 17
            }
        );
    }

    #[test]
    fn batches_round_trip() {
        let entries = vec![
            BatchEntry {
                device: 255,
                quantity: 1,
                min: 99,
                avg: 99,
                max: 99,
            },
            BatchEntry {
                device: 7,
                quantity: 3,
                min: -5,
                avg: 10,
                max: 50,
            },
        ];
        let mut bytes = Vec::new();
        encode_batch(&mut bytes, &entries);
        assert_eq!(decode_batch(&bytes).unwrap(), entries);
    }
}
