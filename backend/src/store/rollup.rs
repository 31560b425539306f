//! Roll-ups: a series' points turned into per-local-hour, per-local-day and per-local-month slots
//! (consumption for counters, min/mean/max for gauges). Pure: the store reads and writes the rows.

use std::collections::BTreeMap;

use shared::Quantity;
use tracing::warn;

use super::calendar::{Calendar, LocalDay};
use super::codec::{Point, Slot};
use super::counter::{self, Change, CounterState};

/// The granularity of a roll-up row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// A row per local day, a slot per hour (23 to 25).
    Hour,
    /// A row per local month, a slot per day.
    Day,
    /// A row per local year, a slot per month.
    Month,
}

/// A roll-up row's key: (period number, quantity code, device id). The period number is the day
/// number (days since 1970-01-01), the month number (`year × 12 + month − 1`) or the year. Period
/// first: the rows written together (this hour's) and read together (a grand total) are
/// neighbours.
pub type RowKey = (i32, u16, u32);

/// Slots to add to roll-up rows, by row.
#[derive(Debug, Default)]
pub struct Contributions {
    pub rows: BTreeMap<(Level, RowKey), Vec<Slot>>,
    /// The row touched last per level: points come in time order, so most additions hit it.
    open: [Option<(RowKey, Vec<Slot>)>; 3],
}

impl Contributions {
    fn add(&mut self, level: Level, key: RowKey, slot: usize, value: Slot) {
        let open = &mut self.open[level as usize];
        if open.as_ref().is_none_or(|(open_key, _)| *open_key != key)
            && let Some((old_key, old_slots)) = open.replace((key, Vec::new()))
        {
            merge_into(self.rows.entry((level, old_key)).or_default(), &old_slots);
        }
        if let Some((_, slots)) = open.as_mut() {
            if slots.len() <= slot {
                slots.resize(slot + 1, Slot::Empty);
            }
            slots[slot] = slots[slot].merge(value);
        }
    }

    /// Moves the open rows into `rows`; call before reading `rows`.
    pub fn finish(&mut self) {
        for (index, level) in [Level::Hour, Level::Day, Level::Month]
            .into_iter()
            .enumerate()
        {
            if let Some((key, slots)) = self.open[index].take() {
                merge_into(self.rows.entry((level, key)).or_default(), &slots);
            }
        }
    }

    fn add_to_day(&mut self, day: &LocalDay, hour: usize, quantity: u16, device: u32, value: Slot) {
        self.add(Level::Hour, (day.day_number, quantity, device), hour, value);
        self.add(
            Level::Day,
            (day.month_number, quantity, device),
            day.day_of_month,
            value,
        );
        self.add(
            Level::Month,
            (day.year, quantity, device),
            day.month_of_year,
            value,
        );
    }
}

/// Adds `other` slot by slot into `slots`, growing it as needed.
pub fn merge_into(slots: &mut Vec<Slot>, other: &[Slot]) {
    if slots.len() < other.len() {
        slots.resize(other.len(), Slot::Empty);
    }
    for (slot, value) in slots.iter_mut().zip(other) {
        *slot = slot.merge(*value);
    }
}

/// What the store keeps per series between batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SeriesState {
    /// The counter's last reading; for gauges only its time is used.
    pub counter: Option<CounterState>,
}

impl SeriesState {
    /// Time of the last point taken in.
    pub fn last_time(&self) -> Option<i64> {
        self.counter.map(|state| state.time)
    }
}

/// The consumption rate that is always plausible for a counter, in resolution units per hour
/// (see [`counter`]): 1 MW for energies, 100 m³/h for volumes.
pub fn plausible_floor_per_hour(quantity: Quantity) -> i64 {
    let per_hour_in_base_units = match quantity.unit() {
        shared::Unit::CubicMetre => 100.0,
        _ => 1_000_000.0,
    };
    (per_hour_in_base_units / super::resolution(quantity)) as i64
}

/// Takes in the points of one series (ascending by time), updating its state, and adds their
/// slots to `out`. Points not newer than the series' last one are dropped; returns how many
/// were taken in.
pub fn plan_series(
    calendar: &mut Calendar,
    device: u32,
    quantity: Quantity,
    state: &mut SeriesState,
    points: &[Point],
    out: &mut Contributions,
) -> usize {
    let code = quantity.code();
    let mut taken = 0;
    if quantity.is_counter() {
        let floor = plausible_floor_per_hour(quantity);
        for point in points {
            if state.last_time().is_some_and(|last| point.time <= last) {
                continue;
            }
            taken += 1;
            let Some(interval) = counter::advance(&mut state.counter, point.time, point.avg, floor)
            else {
                continue;
            };
            if interval.change != Change::Counted {
                warn!(
                    device,
                    ?quantity,
                    time = interval.end,
                    change = ?interval.change,
                    "counter discontinuity"
                );
            }
            add_consumption(
                calendar,
                device,
                code,
                interval.start,
                interval.end,
                interval.consumption,
                out,
            );
        }
    } else {
        for point in points {
            if state.last_time().is_some_and(|last| point.time <= last) {
                continue;
            }
            taken += 1;
            // A gauge point summarises the period that ends at its time: it belongs to the hour
            // of the instant just before.
            let day = calendar.day_of(point.time - 1);
            let slot = Slot::Gauge {
                count: 1,
                min: point.min,
                max: point.max,
                sum: point.avg,
            };
            out.add_to_day(&day, day.hour_slot(point.time - 1), code, device, slot);
            state.counter = Some(CounterState {
                time: point.time,
                reading: point.avg,
                peak_per_hour: 0,
            });
        }
    }
    taken
}

/// Adds the consumption of `[start, end)` to the hours it covers, in proportion to the time in
/// each (a gap is spread evenly).
fn add_consumption(
    calendar: &mut Calendar,
    device: u32,
    quantity: u16,
    start: i64,
    end: i64,
    amount: i64,
    out: &mut Contributions,
) {
    let first_day = calendar.day_of(start);
    let first_hour = first_day.hour_slot(start);
    if end - 1 < first_day.end && first_day.hour_slot(end - 1) == first_hour {
        out.add_to_day(
            &first_day,
            first_hour,
            quantity,
            device,
            Slot::Consumption(amount),
        );
        return;
    }
    let mut pieces: Vec<(LocalDay, usize, i64)> = Vec::new();
    let mut cursor = start;
    while cursor < end {
        let day = calendar.day_of(cursor);
        let hour = day.hour_slot(cursor);
        let hour_end = (day.start + (hour as i64 + 1) * 3600).min(day.end).min(end);
        pieces.push((day, hour, hour_end - cursor));
        cursor = hour_end;
    }
    let weights: Vec<i64> = pieces.iter().map(|&(_, _, seconds)| seconds).collect();
    for ((day, hour, _), part) in pieces.iter().zip(counter::spread(amount, &weights)) {
        out.add_to_day(day, *hour, quantity, device, Slot::Consumption(part));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn consumption(slots: &[Slot]) -> Vec<Option<i64>> {
        slots
            .iter()
            .map(|slot| match slot {
                Slot::Consumption(value) => Some(*value),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_gap_is_spread_over_the_hours_it_covers() {
        let mut calendar = Calendar::new(chrono_tz::UTC);
        let mut state = SeriesState::default();
        let mut out = Contributions::default();
        // 00:00 → 00:30: 100; then nothing until 03:30: +600 over three hours.
        let points = [
            Point::single(0, 1_000),
            Point::single(1_800, 1_100),
            Point::single(12_600, 1_700),
        ];
        let taken = plan_series(
            &mut calendar,
            1,
            Quantity::ActiveEnergyImport,
            &mut state,
            &points,
            &mut out,
        );
        assert_eq!(taken, 3);
        out.finish();
        let hours = &out.rows[&(Level::Hour, (0, 1, 1))];
        assert_eq!(
            consumption(hours),
            vec![Some(100 + 100), Some(200), Some(200), Some(100)]
        );
        let days = &out.rows[&(Level::Day, (1970 * 12, 1, 1))];
        assert_eq!(consumption(days), vec![Some(700)]);
    }

    #[test]
    fn gauge_points_land_in_the_hour_they_summarise() {
        let mut calendar = Calendar::new(chrono_tz::UTC);
        let mut state = SeriesState::default();
        let mut out = Contributions::default();
        let points = [
            Point {
                time: 3_600,
                min: 10,
                avg: 20,
                max: 30,
            },
            Point::single(4_200, 50),
        ];
        plan_series(
            &mut calendar,
            2,
            Quantity::ActivePower,
            &mut state,
            &points,
            &mut out,
        );
        out.finish();
        let hours = &out.rows[&(Level::Hour, (0, 3, 2))];
        assert_eq!(
            hours[..2],
            [
                Slot::Gauge {
                    count: 1,
                    min: 10,
                    max: 30,
                    sum: 20
                },
                Slot::Gauge {
                    count: 1,
                    min: 50,
                    max: 50,
                    sum: 50
                }
            ]
        );
    }
}
