//! Store benchmark: our time-series store (redb) against SQLite (rusqlite, bundled) on the same
//! synthetic data, printed as one markdown table.
//!
//! Run: `cargo bench -p backend --bench store` (a few minutes; the files go to Cargo's target
//! temporary directory, on disk, so that `/proc/self/io` sees the writes).
//!
//! Data: 255 energy counters read every 10 minutes for a year (2025), plus one counter over ten
//! years (2016–2025); then two days of live recording (one commit of the 255 series per
//! 10-minute period). Both engines get the same batches: a day of every series per transaction
//! in the import, one period per transaction live, each commit durable (redb's default, SQLite
//! in WAL mode with `synchronous=FULL`). SQLite's schema is the usual one, `samples(series, t,
//! value)` keyed by `(series, t)` (a clustered `WITHOUT ROWID` table), and a query reads the
//! series' rows in the period and differences them, binning by local time.
//!
//! The Optimize / VACUUM step runs after the import; the file is measured right after it and
//! again after the two live days (redb grows a compacted file back by doubling it).
//! `STORE_BENCH_NIGHTLY=1` makes our step the recorder's nightly one instead, which compacts
//! only when that outlasts the growth; `STORE_BENCH_ONLY_OURS=1` skips SQLite.

use std::path::Path;
use std::time::Instant;

use backend::store::{Optimized, Period, Sample, Store};
use chrono::{NaiveDate, TimeZone};
use chrono_tz::Tz;
use rusqlite::{Connection, params};
use shared::Quantity;

const ZONE: Tz = chrono_tz::Europe::Paris;
const STEP: i64 = 600;
const DEVICES: u32 = 255;
const LONG_DEVICE: u32 = 1_000;
const ENERGY: Quantity = Quantity::ActiveEnergyImport;

/// An engine under test.
trait Engine {
    /// Writes samples of one transaction.
    fn ingest(&mut self, batch: &[Sample]);
    /// Finishes pending work (SQLite: checkpoint) before measuring the file.
    fn settle(&mut self);
    /// Gives free space back (ours: redb compaction, the "Optimize" of the system page;
    /// SQLite: `VACUUM`).
    fn optimize(&mut self);
    fn bytes_on_disk(&self) -> u64;
    /// Consumption of `devices` per bucket of the period around `date`.
    fn histogram(&mut self, devices: &[u32], period: Period, date: NaiveDate) -> Vec<Option<f64>>;
}

struct Ours {
    store: Store,
    path: std::path::PathBuf,
}

impl Engine for Ours {
    fn ingest(&mut self, batch: &[Sample]) {
        self.store.record(batch).unwrap();
    }

    fn settle(&mut self) {}

    fn optimize(&mut self) {
        // `STORE_BENCH_NIGHTLY` takes the recorder's nightly path, which compacts only when
        // that outlasts the next commit's growth; by default the Optimize button's compaction.
        if std::env::var_os("STORE_BENCH_NIGHTLY").is_some() {
            match self.store.optimize_when_worth_it().unwrap() {
                Optimized::Compacted(compaction) => {
                    eprintln!("ours: the nightly optimize compacted: {compaction:?}")
                }
                Optimized::NotWorthIt(space) => {
                    eprintln!("ours: the nightly optimize left the file as it is: {space:?}")
                }
            }
        } else {
            self.store.optimize().unwrap();
        }
    }

    fn bytes_on_disk(&self) -> u64 {
        std::fs::metadata(&self.path).unwrap().len()
    }

    fn histogram(&mut self, devices: &[u32], period: Period, date: NaiveDate) -> Vec<Option<f64>> {
        self.store
            .consumption_histogram(devices, ENERGY, period, date)
            .unwrap()
            .into_iter()
            .map(|bucket| bucket.value)
            .collect()
    }
}

struct Sqlite {
    connection: Connection,
    path: std::path::PathBuf,
}

impl Sqlite {
    fn open(path: &Path) -> Sqlite {
        let connection = Connection::open(path).unwrap();
        connection
            .execute_batch(
                "PRAGMA journal_mode=WAL;
                 PRAGMA synchronous=FULL;
                 CREATE TABLE samples (
                     series INTEGER NOT NULL,
                     t INTEGER NOT NULL,
                     value REAL NOT NULL,
                     PRIMARY KEY (series, t)
                 ) WITHOUT ROWID;",
            )
            .unwrap();
        Sqlite {
            connection,
            path: path.to_path_buf(),
        }
    }

    /// Local bucket starts of a period, plus the end of the last bucket.
    fn boundaries(period: Period, date: NaiveDate) -> Vec<i64> {
        use chrono::Datelike;
        let midnight = |date: NaiveDate| {
            ZONE.from_local_datetime(&date.and_hms_opt(0, 0, 0).unwrap())
                .earliest()
                .unwrap()
                .timestamp()
        };
        match period {
            Period::Day => {
                let (start, end) = (midnight(date), midnight(date.succ_opt().unwrap()));
                let mut bounds: Vec<i64> = (start..end).step_by(3600).collect();
                bounds.push(end);
                bounds
            }
            Period::Month => {
                let first = date.with_day(1).unwrap();
                let next = first.checked_add_months(chrono::Months::new(1)).unwrap();
                first
                    .iter_days()
                    .take_while(|day| *day <= next)
                    .map(midnight)
                    .collect()
            }
            Period::Year => (1..=13)
                .map(|month| {
                    let (year, month) = if month == 13 {
                        (date.year() + 1, 1)
                    } else {
                        (date.year(), month)
                    };
                    midnight(NaiveDate::from_ymd_opt(year, month, 1).unwrap())
                })
                .collect(),
            Period::Decade => (date.year() - 9..=date.year() + 1)
                .map(|year| midnight(NaiveDate::from_ymd_opt(year, 1, 1).unwrap()))
                .collect(),
        }
    }
}

impl Engine for Sqlite {
    fn ingest(&mut self, batch: &[Sample]) {
        let transaction = self.connection.transaction().unwrap();
        {
            let mut insert = transaction
                .prepare_cached(
                    "INSERT OR REPLACE INTO samples (series, t, value) VALUES (?1, ?2, ?3)",
                )
                .unwrap();
            for sample in batch {
                insert
                    .execute(params![sample.device_id, sample.time, sample.value])
                    .unwrap();
            }
        }
        transaction.commit().unwrap();
    }

    fn settle(&mut self) {
        self.connection
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
            .unwrap();
    }

    fn optimize(&mut self) {
        self.connection.execute_batch("VACUUM;").unwrap();
        self.settle();
    }

    fn bytes_on_disk(&self) -> u64 {
        let wal = self.path.with_extension("sqlite-wal");
        std::fs::metadata(&self.path).unwrap().len()
            + std::fs::metadata(wal).map_or(0, |metadata| metadata.len())
    }

    fn histogram(&mut self, devices: &[u32], period: Period, date: NaiveDate) -> Vec<Option<f64>> {
        let bounds = Sqlite::boundaries(period, date);
        let (from, to) = (bounds[0], *bounds.last().unwrap());
        let mut totals: Vec<Option<f64>> = vec![None; bounds.len() - 1];
        let mut before = self
            .connection
            .prepare_cached(
                "SELECT value FROM samples WHERE series = ?1 AND t <= ?2 ORDER BY t DESC LIMIT 1",
            )
            .unwrap();
        let mut inside = self
            .connection
            .prepare_cached(
                "SELECT t, value FROM samples WHERE series = ?1 AND t > ?2 AND t <= ?3 ORDER BY t",
            )
            .unwrap();
        for &device in devices {
            let mut previous: Option<f64> = before
                .query_row(params![device, from], |row| row.get(0))
                .ok();
            let mut rows = inside.query(params![device, from, to]).unwrap();
            while let Some(row) = rows.next().unwrap() {
                let time: i64 = row.get(0).unwrap();
                let value: f64 = row.get(1).unwrap();
                if let Some(last) = previous {
                    // The same counter rule in its simplest form: a decrease counts from zero.
                    let used = if value >= last { value - last } else { value };
                    let bucket = bounds.partition_point(|&start| start < time) - 1;
                    if let Some(total) = totals.get_mut(bucket) {
                        *total = Some(total.unwrap_or(0.0) + used);
                    }
                }
                previous = Some(value);
            }
        }
        totals
    }
}

/// Deterministic noise in [0, 1).
fn noise(device: u32, time: i64) -> f64 {
    let mut x = (u64::from(device) << 40) ^ (time as u64);
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (x ^ (x >> 31)) as f64 / u64::MAX as f64
}

/// Energy used by a device in the 10 minutes before `time`, in Wh: loads from 100 W to 20 kW
/// with a daily shape and noise.
fn usage(device: u32, time: i64) -> f64 {
    let base = 100.0 + f64::from(device.wrapping_mul(7_919) % 20_000);
    let hour = (time.rem_euclid(86_400)) as f64 / 3600.0;
    let shape = 1.0
        + 0.8
            * ((hour - 8.0) / 24.0 * std::f64::consts::TAU)
                .sin()
                .max(-0.6);
    (base * shape * (0.85 + 0.3 * noise(device, time)) / 6.0).round()
}

/// Counter readings of a set of devices, advanced step by step.
struct Counters {
    readings: Vec<(u32, f64)>,
}

impl Counters {
    fn new(devices: impl Iterator<Item = u32>) -> Counters {
        Counters {
            readings: devices
                .map(|device| (device, f64::from(device) * 100_000.0))
                .collect(),
        }
    }

    /// The samples of every device at `time`.
    fn at(&mut self, time: i64, out: &mut Vec<Sample>) {
        for (device, reading) in &mut self.readings {
            *reading += usage(*device, time);
            out.push(Sample::new(*device, ENERGY, time, *reading));
        }
    }
}

fn written_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/io")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|line| line.strip_prefix("write_bytes: "))
                .and_then(|value| value.trim().parse().ok())
        })
        .unwrap_or(0)
}

fn utc(year: i32, month: u32, day: u32) -> i64 {
    NaiveDate::from_ymd_opt(year, month, day)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp()
}

struct Measures {
    samples: u64,
    ingest_per_second: f64,
    bytes_per_sample: f64,
    optimized_per_sample: f64,
    /// Time and writes of the Optimize / VACUUM after the import.
    optimize_seconds: f64,
    optimize_written_per_sample: f64,
    /// Bytes on disk per sample after the two live days that follow the Optimize.
    after_live_per_sample: f64,
    written_per_sample: f64,
    live_written_per_sample: f64,
    live_commits_per_second: f64,
    queries: Vec<(f64, f64)>,
    answers: Vec<Vec<Option<f64>>>,
}

/// The queries: (label, devices, period, date).
fn queries() -> Vec<(&'static str, Vec<u32>, Period, NaiveDate)> {
    let date = NaiveDate::from_ymd_opt(2025, 6, 15).unwrap();
    vec![
        (
            "day histogram, one device (24 h)",
            vec![1],
            Period::Day,
            date,
        ),
        (
            "month histogram, one device (30 d)",
            vec![1],
            Period::Month,
            date,
        ),
        (
            "year histogram, one device (12 months)",
            vec![1],
            Period::Year,
            date,
        ),
        (
            "10-year histogram, one device",
            vec![LONG_DEVICE],
            Period::Decade,
            date,
        ),
        (
            "year grand total, 255 devices",
            (1..=DEVICES).collect(),
            Period::Year,
            date,
        ),
    ]
}

fn run(engine: &mut dyn Engine) -> Measures {
    let mut samples = 0u64;
    let written_before = written_bytes();
    let started = Instant::now();
    // 255 series over 2025, a day of every series per transaction.
    let mut counters = Counters::new(1..=DEVICES);
    let mut batch = Vec::new();
    let (year_start, year_end) = (utc(2025, 1, 1), utc(2026, 1, 1));
    for day_start in (year_start..year_end).step_by(86_400) {
        batch.clear();
        for time in (day_start + STEP..=day_start + 86_400).step_by(STEP as usize) {
            counters.at(time, &mut batch);
        }
        engine.ingest(&batch);
        samples += batch.len() as u64;
    }
    // One series over ten years, a month per transaction.
    let mut long = Counters::new(std::iter::once(LONG_DEVICE));
    let (decade_start, decade_end) = (utc(2016, 1, 1), utc(2026, 1, 1));
    let month = 30 * 86_400;
    for chunk_start in (decade_start..decade_end).step_by(month as usize) {
        batch.clear();
        let chunk_end = (chunk_start + month).min(decade_end);
        for time in (chunk_start + STEP..=chunk_end).step_by(STEP as usize) {
            long.at(time, &mut batch);
        }
        engine.ingest(&batch);
        samples += batch.len() as u64;
    }
    engine.settle();
    let ingest_seconds = started.elapsed().as_secs_f64();
    let written = written_bytes() - written_before;
    let bytes_on_disk = engine.bytes_on_disk();
    let optimize_written_before = written_bytes();
    let optimize_started = Instant::now();
    engine.optimize();
    let optimize_seconds = optimize_started.elapsed().as_secs_f64();
    let optimize_written = written_bytes() - optimize_written_before;
    let bytes_optimized = engine.bytes_on_disk();

    let mut measured = Vec::new();
    let mut answers = Vec::new();
    for (_, devices, period, date) in queries() {
        // The first answer (also the warm-up: caches, prepared statements) is checked below.
        answers.push(engine.histogram(&devices, period, date));
        let mut times = Vec::new();
        let budget = Instant::now();
        // Up to 3 s per query and engine: thousands of runs of a fast query, so that its p99 is
        // not one preemption on a busy machine; at least 5 runs of a slow one.
        while times.len() < 5 || (times.len() < 5_000 && budget.elapsed().as_secs_f64() < 3.0) {
            let started = Instant::now();
            std::hint::black_box(engine.histogram(&devices, period, date));
            times.push(started.elapsed().as_secs_f64());
        }
        times.sort_by(f64::total_cmp);
        let median = times[times.len() / 2];
        let p99 = times[((times.len() as f64 * 0.99).ceil() as usize).min(times.len()) - 1];
        measured.push((median, p99));
    }

    // Live: two days, one commit of the 255 series per period.
    let live_before = written_bytes();
    let live_started = Instant::now();
    let mut live_samples = 0u64;
    let mut commits = 0u64;
    for time in (year_end + STEP..=year_end + 2 * 86_400).step_by(STEP as usize) {
        batch.clear();
        counters.at(time, &mut batch);
        engine.ingest(&batch);
        live_samples += batch.len() as u64;
        commits += 1;
    }
    let live_seconds = live_started.elapsed().as_secs_f64();
    engine.settle();
    let live_written = written_bytes() - live_before;
    let bytes_after_live = engine.bytes_on_disk();

    Measures {
        samples,
        ingest_per_second: samples as f64 / ingest_seconds,
        bytes_per_sample: bytes_on_disk as f64 / samples as f64,
        optimized_per_sample: bytes_optimized as f64 / samples as f64,
        optimize_seconds,
        optimize_written_per_sample: optimize_written as f64 / samples as f64,
        after_live_per_sample: bytes_after_live as f64 / (samples + live_samples) as f64,
        written_per_sample: written as f64 / samples as f64,
        live_written_per_sample: live_written as f64 / live_samples as f64,
        live_commits_per_second: commits as f64 / live_seconds,
        queries: measured,
        answers,
    }
}

fn milliseconds(seconds: f64) -> String {
    format!("{:.3} ms", seconds * 1_000.0)
}

fn main() {
    let base = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    std::fs::create_dir_all(&base).unwrap();
    let dir = tempfile::tempdir_in(&base).unwrap();
    if written_bytes() == 0 && std::fs::read_to_string("/proc/self/io").is_err() {
        eprintln!("note: /proc/self/io is not readable here: bytes written will show 0");
    }

    eprintln!("ours: importing…");
    let path = dir.path().join("ours.redb");
    let store = Store::open(&path).unwrap();
    store.set_time_zone(ZONE).unwrap();
    let mut engine = Ours {
        store,
        path: path.clone(),
    };
    let ours = run(&mut engine);
    if let Ok(statistics) = engine.store.statistics() {
        eprintln!(
            "ours: file {} B, pages in use {} B",
            statistics.file_bytes, statistics.allocated_bytes
        );
        for table in statistics.tables {
            eprintln!(
                "  {:<13} {:>9} entries {:>11} B data {:>10} B B-tree {:>10} B unused",
                table.name,
                table.entries,
                table.stored_bytes,
                table.metadata_bytes,
                table.fragmented_bytes
            );
        }
    }
    drop(engine);
    if std::env::var_os("STORE_BENCH_ONLY_OURS").is_some() {
        eprintln!(
            "ours only: {:.0} samples/s, {:.2} B/sample on disk, {:.2} after Optimize ({:.1} s, {:.2} B/sample written), {:.2} after two live days, {:.2} written, {:.1} written live, queries (median, p99) {:?}",
            ours.ingest_per_second,
            ours.bytes_per_sample,
            ours.optimized_per_sample,
            ours.optimize_seconds,
            ours.optimize_written_per_sample,
            ours.after_live_per_sample,
            ours.written_per_sample,
            ours.live_written_per_sample,
            ours.queries
        );
        return;
    }
    eprintln!("SQLite: importing…");
    let sqlite_path = dir.path().join("baseline.sqlite");
    let sqlite = run(&mut Sqlite::open(&sqlite_path));

    // Both engines must give the same answers, or the timing means nothing.
    for (index, (a, b)) in ours.answers.iter().zip(&sqlite.answers).enumerate() {
        assert_eq!(a.len(), b.len(), "query {index}: bucket counts differ");
        for (x, y) in a.iter().zip(b) {
            match (x, y) {
                (Some(x), Some(y)) => assert!(
                    (x - y).abs() < 1e-6 * y.abs().max(1.0),
                    "query {index}: {x} vs {y}"
                ),
                (None, None) => {}
                _ => panic!("query {index}: {x:?} vs {y:?}"),
            }
        }
    }

    println!(
        "\n{} samples ({} series × a year of 10-minute samples + one series × ten years), time zone {}\n",
        ours.samples,
        DEVICES,
        ZONE.name()
    );
    println!("| measure | ours (redb) | SQLite | ours / SQLite |");
    println!("| --- | ---: | ---: | ---: |");
    let ratio = |a: f64, b: f64| format!("{:.3}", a / b);
    println!(
        "| import, samples/s (a day of every series per commit) | {:.0} | {:.0} | {} |",
        ours.ingest_per_second,
        sqlite.ingest_per_second,
        ratio(ours.ingest_per_second, sqlite.ingest_per_second)
    );
    println!(
        "| bytes on disk per sample | {:.2} | {:.2} | {} |",
        ours.bytes_per_sample,
        sqlite.bytes_per_sample,
        ratio(ours.bytes_per_sample, sqlite.bytes_per_sample)
    );
    println!(
        "| bytes on disk per sample, after Optimize / VACUUM | {:.2} | {:.2} | {} |",
        ours.optimized_per_sample,
        sqlite.optimized_per_sample,
        ratio(ours.optimized_per_sample, sqlite.optimized_per_sample)
    );
    println!(
        "| Optimize / VACUUM: seconds | {:.1} | {:.1} | {} |",
        ours.optimize_seconds,
        sqlite.optimize_seconds,
        ratio(ours.optimize_seconds, sqlite.optimize_seconds)
    );
    println!(
        "| Optimize / VACUUM: bytes written per sample | {:.2} | {:.2} | {} |",
        ours.optimize_written_per_sample,
        sqlite.optimize_written_per_sample,
        ratio(
            ours.optimize_written_per_sample,
            sqlite.optimize_written_per_sample
        )
    );
    println!(
        "| bytes on disk per sample, after two live days | {:.2} | {:.2} | {} |",
        ours.after_live_per_sample,
        sqlite.after_live_per_sample,
        ratio(ours.after_live_per_sample, sqlite.after_live_per_sample)
    );
    println!(
        "| bytes written per sample, import | {:.2} | {:.2} | {} |",
        ours.written_per_sample,
        sqlite.written_per_sample,
        ratio(ours.written_per_sample, sqlite.written_per_sample)
    );
    println!(
        "| bytes written per sample, live (255 series, a commit per 10 min) | {:.1} | {:.1} | {} |",
        ours.live_written_per_sample,
        sqlite.live_written_per_sample,
        ratio(ours.live_written_per_sample, sqlite.live_written_per_sample)
    );
    println!(
        "| live commits/s (each durable) | {:.0} | {:.0} | {} |",
        ours.live_commits_per_second,
        sqlite.live_commits_per_second,
        ratio(ours.live_commits_per_second, sqlite.live_commits_per_second)
    );
    let mut all_ten_times = true;
    for (index, (label, ..)) in queries().into_iter().enumerate() {
        let (our_median, our_p99) = ours.queries[index];
        let (their_median, their_p99) = sqlite.queries[index];
        all_ten_times &= their_median >= 10.0 * our_median && their_p99 >= 10.0 * our_p99;
        println!(
            "| {label}: median | {} | {} | {} |",
            milliseconds(our_median),
            milliseconds(their_median),
            ratio(our_median, their_median)
        );
        println!(
            "| {label}: p99 | {} | {} | {} |",
            milliseconds(our_p99),
            milliseconds(their_p99),
            ratio(our_p99, their_p99)
        );
    }
    let grand_total_p99 = ours.queries[4].1;
    println!();
    println!(
        "goal ≤ 3 bytes on disk per sample: {} ({:.2} as written, {:.2} after Optimize)",
        if ours.bytes_per_sample.min(ours.optimized_per_sample) <= 3.0 {
            "met"
        } else {
            "NOT met"
        },
        ours.bytes_per_sample,
        ours.optimized_per_sample
    );
    println!(
        "goal year grand total ≤ 5 ms (p99): {} ({})",
        if grand_total_p99 <= 0.005 {
            "met"
        } else {
            "NOT met"
        },
        milliseconds(grand_total_p99)
    );
    println!(
        "goal every query ≥ 10× faster than SQLite (median and p99): {}",
        if all_ten_times { "met" } else { "NOT met" }
    );
}
