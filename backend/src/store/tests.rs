//! Tests of the store against hand-computed expectations.

use super::*;

fn store_in(zone: Tz) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("test.redb")).unwrap();
    store.set_time_zone(zone).unwrap();
    (dir, store)
}

fn admin(name: &str) -> StoredUser {
    StoredUser::new(name, shared::Role::Administrator, "$argon2id$x".into())
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

const ENERGY: Quantity = Quantity::ActiveEnergyImport;

/// A counter read every 10 minutes over `[from, to]`, growing by `per_sample` Wh each time.
fn counter(device: u32, from: i64, to: i64, start: f64, per_sample: f64) -> Vec<Sample> {
    (0..)
        .map(|i| from + 600 * i)
        .take_while(|&time| time <= to)
        .enumerate()
        .map(|(i, time)| Sample::new(device, ENERGY, time, start + per_sample * i as f64))
        .collect()
}

fn values(buckets: &[Bucket]) -> Vec<Option<f64>> {
    buckets.iter().map(|bucket| bucket.value).collect()
}

// Local midnights (the same in Oslo and Paris, both UTC+1 in winter, UTC+2 in summer).
const MARCH_28: i64 = 1_774_652_400;
const MARCH_29: i64 = 1_774_738_800;
const MARCH_30: i64 = 1_774_821_600;
const OCTOBER_25: i64 = 1_792_879_200;
const OCTOBER_26: i64 = 1_792_969_200;

#[test]
fn only_one_first_administrator() {
    let (_dir, store) = store_in(Tz::UTC);
    assert_eq!(store.user_count().unwrap(), 0);
    store.create_first_administrator(&admin("alice")).unwrap();
    assert!(matches!(
        store.create_first_administrator(&admin("bob")),
        Err(StoreError::SetupClosed)
    ));
    assert_eq!(store.user("alice").unwrap(), Some(admin("alice")));
    assert_eq!(store.user("bob").unwrap(), None);
}

#[test]
fn data_and_time_zone_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("test.redb");
    {
        let store = Store::open(&path).unwrap();
        store.set_time_zone(chrono_tz::Europe::Oslo).unwrap();
        store.create_first_administrator(&admin("alice")).unwrap();
        store.record(&counter(1, 0, 7_200, 100.0, 5.0)).unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.user_count().unwrap(), 1);
    assert_eq!(store.time_zone(), chrono_tz::Europe::Oslo);
    assert_eq!(store.series(1, ENERGY, 0, 7_200).unwrap().len(), 13);
    assert!(store.has_history().unwrap());
}

#[test]
fn a_23_hour_day_in_oslo_and_a_25_hour_day_in_paris() {
    // 10 Wh every 10 minutes: 60 Wh per hour, whatever the clock says.
    let (_dir, oslo) = store_in(chrono_tz::Europe::Oslo);
    oslo.record(&counter(1, MARCH_28, MARCH_30 + 3_600, 1_000.0, 10.0))
        .unwrap();
    let day = oslo
        .consumption_histogram(&[1], ENERGY, Period::Day, date(2026, 3, 29))
        .unwrap();
    assert_eq!(values(&day), vec![Some(60.0); 23]);
    // The third bar starts at 03:00 local time, one hour of real time after 01:00.
    assert_eq!(day[0].start, MARCH_29);
    assert_eq!(day[2].start, MARCH_29 + 2 * 3_600);
    assert_eq!(day[22].start + 3_600, MARCH_30);
    let month = oslo
        .consumption_histogram(&[1], ENERGY, Period::Month, date(2026, 3, 1))
        .unwrap();
    assert_eq!(month.len(), 31);
    assert_eq!(month[27].value, Some(1_440.0));
    assert_eq!(month[28].value, Some(1_380.0));
    assert_eq!(month[28].start, MARCH_29);
    assert_eq!(month[26].value, None);

    let (_dir, paris) = store_in(chrono_tz::Europe::Paris);
    paris
        .record(&counter(1, OCTOBER_25 - 3_600, OCTOBER_26 + 600, 0.0, 10.0))
        .unwrap();
    let day = paris
        .consumption_histogram(&[1], ENERGY, Period::Day, date(2026, 10, 25))
        .unwrap();
    assert_eq!(values(&day), vec![Some(60.0); 25]);
    assert_eq!(day[24].start + 3_600, OCTOBER_26);
    let year = paris
        .consumption_histogram(&[1], ENERGY, Period::Year, date(2026, 10, 25))
        .unwrap();
    // October: the last hour of the 24th (60), the 25-hour day (1500) and the first ten minutes
    // of the 26th (10).
    assert_eq!(year[9].value, Some(1_570.0));
    assert_eq!(year[8].value, None);
}

#[test]
fn a_meter_reset_and_a_gap_by_hand() {
    let (_dir, store) = store_in(chrono_tz::Europe::Paris);
    let midnight = MARCH_28;
    let at = |hours: i64, minutes: i64| midnight + hours * 3_600 + minutes * 60;
    let mut samples = vec![
        // 00:00-01:00: +60 Wh.
        Sample::new(7, ENERGY, at(0, 0), 50_000.0),
        Sample::new(7, ENERGY, at(0, 30), 50_030.0),
        Sample::new(7, ENERGY, at(1, 0), 50_060.0),
        // 01:00-02:00: reset to zero at 01:30, then counting again: 10 + 25 + 25 = 60 Wh.
        Sample::new(7, ENERGY, at(1, 10), 50_070.0),
        Sample::new(7, ENERGY, at(1, 30), 25.0),
        Sample::new(7, ENERGY, at(2, 0), 50.0),
        // 02:00-05:00: nothing read; the 300 Wh seen at 05:00 spread over three hours.
        Sample::new(7, ENERGY, at(5, 0), 350.0),
        // 05:00-06:00: a misread register (absurd jump), then back on track: counts nothing
        // for the jump, the jump's reading becomes the reference.
        Sample::new(7, ENERGY, at(5, 20), 9_000_350.0),
        Sample::new(7, ENERGY, at(6, 0), 9_000_390.0),
    ];
    // Out of order on purpose: the store sorts by time.
    samples.reverse();
    store.record(&samples).unwrap();
    let day = store
        .consumption_histogram(&[7], ENERGY, Period::Day, date(2026, 3, 28))
        .unwrap();
    assert_eq!(
        values(&day[..7]),
        vec![
            Some(60.0),
            Some(60.0),
            Some(100.0),
            Some(100.0),
            Some(100.0),
            Some(40.0),
            None
        ]
    );
    // Never negative, and the day's total is the sum of the rules' answers.
    let month = store
        .consumption_histogram(&[7], ENERGY, Period::Month, date(2026, 3, 28))
        .unwrap();
    assert_eq!(month[27].value, Some(460.0));
}

#[test]
fn recent_samples_count_before_and_after_compaction_alike() {
    let from = MARCH_28;
    let to = MARCH_28 + 5 * 3_600 + 1_800;
    let samples = counter(3, from, to, 0.0, 7.0);
    // One store records all at once; the other one sample per commit, like the recorder.
    let (_dir, bulk) = store_in(chrono_tz::Europe::Paris);
    bulk.record(&samples).unwrap();
    let (_dir, live) = store_in(chrono_tz::Europe::Paris);
    for sample in &samples {
        live.record(std::slice::from_ref(sample)).unwrap();
    }
    for store in [&bulk, &live] {
        let day = store
            .consumption_histogram(&[3], ENERGY, Period::Day, date(2026, 3, 28))
            .unwrap();
        // Five full hours of 42 Wh, then 21 Wh of the current (not yet compacted) hour.
        assert_eq!(
            values(&day[..7]),
            vec![
                Some(42.0),
                Some(42.0),
                Some(42.0),
                Some(42.0),
                Some(42.0),
                Some(21.0),
                None
            ]
        );
        let points = store.series(3, ENERGY, from, to).unwrap();
        assert_eq!(points.len(), samples.len());
        assert_eq!(points.last().unwrap().value, 33.0 * 7.0);
    }
}

#[test]
fn totals_sum_the_devices_asked_for() {
    let (_dir, store) = store_in(chrono_tz::Europe::Paris);
    let mut samples = Vec::new();
    for device in 1..=3 {
        samples.extend(counter(
            device,
            MARCH_28,
            MARCH_29,
            1_000.0 * f64::from(device),
            f64::from(device),
        ));
    }
    store.record(&samples).unwrap();
    let total = |devices: &[u32]| {
        store
            .consumption_histogram(devices, ENERGY, Period::Month, date(2026, 3, 1))
            .unwrap()[27]
            .value
    };
    // 144 intervals a day: device d uses 144·d Wh.
    assert_eq!(total(&[1, 2, 3]), Some(864.0));
    // Device 2 "excluded from totals": the caller leaves it out of the set.
    assert_eq!(total(&[1, 3]), Some(576.0));
    assert_eq!(total(&[3, 3, 1]), Some(576.0));
    assert_eq!(total(&[9]), None);
    // The water meter's volume is another quantity: not mixed in.
    store
        .record(&[
            Sample::new(1, Quantity::Volume, MARCH_28 + 600, 10.0),
            Sample::new(1, Quantity::Volume, MARCH_28 + 1_200, 10.5),
        ])
        .unwrap();
    assert_eq!(total(&[1, 2, 3]), Some(864.0));
    let water = store
        .consumption_histogram(&[1], Quantity::Volume, Period::Day, date(2026, 3, 28))
        .unwrap();
    assert_eq!(water[0].value, Some(0.5));
    let decade = store
        .consumption_histogram(&[1, 2, 3], ENERGY, Period::Decade, date(2026, 3, 1))
        .unwrap();
    assert_eq!(decade.len(), 10);
    assert_eq!(decade[9].value, Some(864.0));
    assert_eq!(decade[8].value, None);
}

#[test]
fn gauges_keep_min_mean_and_max() {
    let (_dir, store) = store_in(chrono_tz::Europe::Paris);
    let power = Quantity::ActivePower;
    store
        .record(&[
            Sample::new(4, power, MARCH_28 + 600, 100.0).with_range(50.0, 900.0),
            Sample::new(4, power, MARCH_28 + 1_200, 300.0).with_range(280.0, 320.0),
            Sample::new(4, power, MARCH_28 + 4_200, -200.0),
            Sample::new(4, power, MARCH_28 + 90_000, 0.0),
        ])
        .unwrap();
    let day = store
        .gauge_histogram(&[4], power, Period::Day, date(2026, 3, 28))
        .unwrap();
    assert_eq!(
        day[0].statistics,
        Some(GaugeStatistics {
            min: 50.0,
            mean: 200.0,
            max: 900.0,
            periods: 2
        })
    );
    assert_eq!(day[1].statistics.unwrap().min, -200.0);
    assert_eq!(day[2].statistics, None);
    let points = store.series(4, power, MARCH_28, MARCH_28 + 1_200).unwrap();
    assert_eq!(
        points[0],
        StoredPoint {
            time: MARCH_28 + 600,
            min: 50.0,
            value: 100.0,
            max: 900.0
        }
    );
}

#[test]
fn changing_the_time_zone_rebuilds_the_roll_ups() {
    let samples = counter(1, MARCH_28, MARCH_30, 0.0, 10.0);
    let (_dir, store) = store_in(Tz::UTC);
    store.record(&samples).unwrap();
    let utc_day = store
        .consumption_histogram(&[1], ENERGY, Period::Day, date(2026, 3, 29))
        .unwrap();
    assert_eq!(utc_day.len(), 24);
    store.set_time_zone(chrono_tz::Europe::Oslo).unwrap();
    let (_dir, direct) = store_in(chrono_tz::Europe::Oslo);
    direct.record(&samples).unwrap();
    for period in [Period::Day, Period::Month, Period::Year] {
        assert_eq!(
            store
                .consumption_histogram(&[1], ENERGY, period, date(2026, 3, 29))
                .unwrap(),
            direct
                .consumption_histogram(&[1], ENERGY, period, date(2026, 3, 29))
                .unwrap()
        );
    }
}

#[test]
fn late_and_repeated_samples_change_nothing() {
    let (_dir, store) = store_in(Tz::UTC);
    store.record(&counter(1, 0, 7_200, 0.0, 10.0)).unwrap();
    let before = store
        .consumption_histogram(&[1], ENERGY, Period::Day, date(1970, 1, 1))
        .unwrap();
    // An old sample (already compacted) and an absurd value for a past time.
    store
        .record(&[
            Sample::new(1, ENERGY, 600, 99_999.0),
            Sample::new(1, ENERGY, 1_200, f64::NAN),
        ])
        .unwrap();
    // Recording the next hour compacts again; the late samples are dropped.
    store
        .record(&counter(1, 7_800, 10_800, 130.0, 10.0))
        .unwrap();
    let after = store
        .consumption_histogram(&[1], ENERGY, Period::Day, date(1970, 1, 1))
        .unwrap();
    assert_eq!(values(&after[..2]), values(&before[..2]));
    assert_eq!(after[2].value, Some(60.0));
}

#[test]
fn samples_of_the_first_format_are_moved() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.redb");
    {
        let database = Database::create(&path).unwrap();
        let transaction = database.begin_write().unwrap();
        {
            let mut table = transaction.open_table(LEGACY_SAMPLES).unwrap();
            for (time, value) in [(0, 1.0), (600, 2.0), (1_200, 4.0)] {
                table.insert((5, ENERGY.code(), time), value).unwrap();
            }
        }
        transaction.commit().unwrap();
    }
    let store = Store::open(&path).unwrap();
    let points = store.series(5, ENERGY, 0, 1_200).unwrap();
    assert_eq!(
        points.iter().map(|point| point.value).collect::<Vec<_>>(),
        vec![1.0, 2.0, 4.0]
    );
    drop(store);
    // Moved once: reopening does not duplicate.
    let store = Store::open(&path).unwrap();
    assert_eq!(store.series(5, ENERGY, 0, 1_200).unwrap().len(), 3);
}

#[test]
fn gauge_points_past_the_retention_go_and_their_statistics_stay() {
    let (_dir, store) = store_in(Tz::UTC);
    let day = SECONDS_PER_DAY;
    let start = 20_000 * day;
    let mut samples = Vec::new();
    for index in 0..=(GAUGE_RETENTION_DAYS + 10) {
        let time = start + index * day + 600;
        samples.push(Sample::new(1, Quantity::ActivePower, time, 100.0).with_range(90.0, 110.0));
        samples.push(Sample::new(1, ENERGY, time, index as f64 * 24.0));
    }
    store.record(&samples).unwrap();
    let first_day = date_of(start);
    let power = store
        .series(1, Quantity::ActivePower, start, start + day)
        .unwrap();
    assert!(power.is_empty(), "{power:?}");
    let energy = store.series(1, ENERGY, start, start + day).unwrap();
    assert_eq!(energy.len(), 1);
    let statistics = store
        .gauge_histogram(&[1], Quantity::ActivePower, Period::Day, first_day)
        .unwrap();
    assert_eq!(
        statistics[0].statistics,
        Some(GaugeStatistics {
            min: 90.0,
            mean: 100.0,
            max: 110.0,
            periods: 1
        })
    );
    // The recent points are all there.
    let end = start + (GAUGE_RETENTION_DAYS + 10) * day + 600;
    assert_eq!(
        store
            .series(1, Quantity::ActivePower, end - 5 * day, end)
            .unwrap()
            .len(),
        6
    );
    // A new time zone rebuilds the counters and keeps the old gauge statistics.
    store.set_time_zone(chrono_tz::Europe::Paris).unwrap();
    let after = store
        .gauge_histogram(&[1], Quantity::ActivePower, Period::Day, first_day)
        .unwrap();
    assert_eq!(after[0].statistics.unwrap().max, 110.0);
    let decade = store
        .consumption_histogram(&[1], ENERGY, Period::Decade, date_of(end))
        .unwrap();
    let total: f64 = decade.iter().filter_map(|bucket| bucket.value).sum();
    assert_eq!(total, (GAUGE_RETENTION_DAYS + 10) as f64 * 24.0);
}

fn date_of(time: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp(time, 0)
        .unwrap()
        .date_naive()
}

#[test]
fn queries_see_each_commit_and_gaps_reaching_back_before_compaction() {
    let (_dir, store) = store_in(Tz::UTC);
    let day = |day: u32| date(1970, 1, day);
    let total = |date| -> Option<f64> {
        store
            .consumption_histogram(&[1], ENERGY, Period::Day, date)
            .unwrap()
            .iter()
            .filter_map(|bucket| bucket.value)
            .reduce(|a, b| a + b)
    };
    // Each commit is visible to the next query.
    for step in 0..=6 {
        store
            .record(&[Sample::new(1, ENERGY, step * 600, step as f64 * 10.0)])
            .unwrap();
        let expected = (step > 0).then_some(step as f64 * 10.0);
        assert_eq!(total(day(1)), expected);
    }
    // Day 1 ends at 1000 Wh (compacted by the next commit's hour); then nothing until the
    // middle of day 4, where the meter shows 1000 Wh more: 2.5 days of gap.
    store
        .record(&[Sample::new(1, ENERGY, 86_400, 1_000.0)])
        .unwrap();
    store
        .record(&[Sample::new(1, ENERGY, 3 * 86_400 + 43_200, 2_000.0)])
        .unwrap();
    // The last sample is not compacted yet, but the days it spreads over see it.
    assert_eq!(total(day(2)), Some(400.0));
    assert_eq!(total(day(3)), Some(400.0));
    assert_eq!(total(day(4)), Some(200.0));
    assert_eq!(total(day(5)), None);
}

#[test]
fn a_file_half_made_by_a_crash_on_the_first_start_is_made_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("energy.redb");
    // What a crash while creating leaves: the unfinished file beside the real one.
    std::fs::write(path.with_extension("redb-new"), [0u8; 100]).unwrap();
    let store = Store::open(&path).unwrap();
    store.record(&counter(1, 0, 1_200, 0.0, 1.0)).unwrap();
    drop(store);
    assert!(!path.with_extension("redb-new").exists());
    assert_eq!(
        Store::open(&path)
            .unwrap()
            .series(1, ENERGY, 0, 1_200)
            .unwrap()
            .len(),
        3
    );
}

#[test]
fn users_change_in_one_transaction_and_old_records_still_read() {
    let (_dir, store) = store_in(Tz::UTC);
    store.create_first_administrator(&admin("alice")).unwrap();
    // A record written before custom pages, tenants and PINs existed.
    store
        .change_users(|users| {
            users.push(
                serde_json::from_str(
                    r#"{"username":"bob","role":"user","password_hash":"$argon2id$y"}"#,
                )
                .unwrap(),
            );
            Ok::<_, StoreError>(())
        })
        .unwrap();
    let bob = store.user("bob").unwrap().unwrap();
    assert!(bob.enabled && bob.devices.is_none() && bob.pin_hash.is_none());
    // A failing change leaves everything as it was.
    let failed: Result<(), StoreError> = store.change_users(|users| {
        users.clear();
        Err(StoreError::SetupClosed)
    });
    assert!(failed.is_err());
    assert_eq!(store.users().unwrap().len(), 2);
    store
        .change_users(|users| {
            users.retain(|user| user.username != "bob");
            Ok::<_, StoreError>(())
        })
        .unwrap();
    let names: Vec<String> = store
        .users()
        .unwrap()
        .into_iter()
        .map(|user| user.username)
        .collect();
    assert_eq!(names, ["alice"]);
}

#[test]
fn optimize_gives_free_pages_back_and_keeps_every_sample() {
    let (_dir, store) = store_in(Tz::UTC);
    // A young file: a few pages, not worth rewriting every night.
    store
        .record(&counter(1, MARCH_28, MARCH_28 + 3_600, 0.0, 10.0))
        .unwrap();
    assert!(matches!(
        store.optimize_when_worth_it().unwrap(),
        Optimized::NotWorthIt(_)
    ));
    // A month of 40 counters, a day per commit, then a time-zone change that rebuilds every
    // roll-up: the bulk changes that leave many pages free.
    let month = 30 * 86_400;
    for day_start in (MARCH_28..MARCH_28 + month).step_by(86_400) {
        let batch: Vec<Sample> = (1..=40)
            .flat_map(|device| {
                counter(
                    device,
                    day_start,
                    day_start + 86_400 - 600,
                    f64::from(device) * 1_000.0 + (day_start - MARCH_28) as f64 / 6.0,
                    f64::from(device),
                )
            })
            .collect();
        store.record(&batch).unwrap();
    }
    store.set_time_zone(chrono_tz::Europe::Paris).unwrap();
    let total = |store: &Store| {
        store
            .consumption_histogram(
                &(1..=40).collect::<Vec<_>>(),
                ENERGY,
                Period::Year,
                date(2026, 4, 1),
            )
            .unwrap()
    };
    let before = total(&store);
    let space = store.file_space().unwrap();
    assert!(space.allocated_bytes < space.file_bytes, "{space:?}");

    // A query's read transaction in progress: refused, nothing lost, tried again later.
    let reading = store.snapshot().unwrap();
    assert!(store.optimize().is_err());
    drop(reading);
    assert_eq!(total(&store), before);

    let compaction = store.optimize().unwrap();
    assert_eq!(compaction.file_bytes_before, space.file_bytes);
    assert!(
        compaction.file_bytes_after < compaction.file_bytes_before,
        "{compaction:?}"
    );
    assert_eq!(total(&store), before);
    assert_eq!(
        store.series(40, ENERGY, MARCH_28, i64::MAX).unwrap().len(),
        30 * 144
    );
    // Recording goes on in the compacted file; its first commit finds no free page and redb
    // doubles the file (below 4 GiB it grows by doubling): what `worth_compacting` weighs.
    store
        .record(&counter(1, MARCH_28 + month, MARCH_28 + month, 1e6, 0.0))
        .unwrap();
    let grown = store.file_space().unwrap();
    assert!(
        grown.file_bytes >= 2 * compaction.file_bytes_after - 64 * 1024,
        "{grown:?} after {compaction:?}"
    );
    // Half free now, but compacting again would only be undone by the next commit.
    assert!(matches!(
        store.optimize_when_worth_it().unwrap(),
        Optimized::NotWorthIt(_)
    ));
}

#[cfg(unix)]
#[test]
fn the_database_file_is_the_owner_s_alone() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("test.redb");
    drop(Store::open(&path).unwrap());
    let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o600);
    // A file an earlier version left readable by others is tightened at the next start.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    drop(Store::open(&path).unwrap());
    assert_eq!(mode(&path), 0o600);
}
