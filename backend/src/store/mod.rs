//! The embedded database (redb, one file): users, configuration and the time series.
//!
//! # Time series: what is kept and why
//!
//! A *series* is one quantity of one device. **Counters** (cumulative registers: energies, volumes)
//! keep their readings; consumption is always computed from reading differences by the rules of
//! [`counter`] (resets, roll-overs, replacements, implausible jumps, gaps). **Gauges** (power,
//! voltage …) keep, per sample period, the minimum, mean and maximum of the readings taken during
//! the period (the recorder aggregates them), so a 10-minute series still shows a short peak.
//! Values are quantised to a fixed resolution per unit ([`resolution`]: 1 Wh, 1 W, 0.1 V, 1 mA,
//! 1 L …), far below what the meters resolve, and kept as integers, which makes them cheap to
//! encode and makes sums exact.
//!
//! Goal: ten years of a 255-device site on a small SD card, written with little wear, with
//! day/month/year/decade histograms of one device or of every device answering in milliseconds.
//! Three layers:
//!
//! 1. `recent` — every commit of the recorder appends one row keyed by the sample time, holding
//!    the samples of every series at that time (one small B-tree leaf rewritten per period,
//!    instead of one leaf per series). Nothing else is written in the common case.
//! 2. Once per UTC hour the rows of complete hours are *compacted*, in the same transaction as
//!    the commit that crosses the hour: appended to each series' `chunks` row of the UTC day
//!    (an encoded block, see [`codec::encode_chunk`]: run-length times and first or second
//!    differences as zig-zag varints, about 1–2 bytes per counter sample), and added to the
//!    roll-ups.
//! 3. Roll-ups `rollup_hour` (a row per local day, a slot per local hour: 23, 24 or 25),
//!    `rollup_day` (a row per local month, a slot per day) and `rollup_month` (a row per local
//!    year, a slot per month) per series, in the configured time zone. A counter slot holds the
//!    consumption; a gauge slot holds count, min, max and sum of the period means.
//!
//! Every key starts with the time period, then quantity, then device: the rows an hourly
//! compaction writes are neighbours (few pages written), and a grand total reads one contiguous
//! key range per period. A query reads roll-up rows (one row per device for a day, a month or a
//! year; ten for a decade) and adds what is still in `recent`, computed on the fly by the same
//! code as the compaction, so answers are always up to the last committed sample.
//!
//! # Storage format (version 1)
//!
//! | table | key | value |
//! | --- | --- | --- |
//! | `recent` | `i64` Unix seconds | per series: device, quantity, avg (zig-zag), avg − min, max − avg, all varints ([`codec::encode_batch`]) |
//! | `chunks` | (`i32` UTC day number, `u16` quantity, `u32` device) | flags, count, first time, time-step runs, values ([`codec::encode_chunk`]) |
//! | `series` | (`u32` device, `u16` quantity) | version 1, last time, last reading (zig-zag), fastest rate per hour: the counter state |
//! | `rollup_hour` | (`i32` local day number, quantity, device) | kind, slot count, slots ([`codec::encode_row`]) |
//! | `rollup_day` | (`i32` local `year × 12 + month − 1`, quantity, device) | same |
//! | `rollup_month` | (`i32` local year, quantity, device) | same |
//! | `config` | name | JSON (`site`, `time_zone`, `gauge_chunks_pruned_until`) |
//! | `users` | name | JSON |
//!
//! Version changes: the first version kept one row of `f64` per sample in `samples`; opening such
//! a file moves its samples into the tables above and drops `samples`.
//!
//! # Retention
//!
//! Counters keep every point for ever. Gauges keep their 10-minute points for
//! [`GAUGE_RETENTION_DAYS`] and their hourly, daily and monthly min/mean/max for ever: a site
//! records far more gauges (power, voltages, currents, THD … per phase) than counters, and past a
//! year their hourly statistics are what anyone looks at.
//!
//! # Time zone
//!
//! Roll-ups follow the local calendar of the zone stored under `time_zone` in `config`; on the
//! first start it is the system's zone (`TZ`, else the zone the system is set to, else UTC).
//! [`Store::set_time_zone`] rebuilds the roll-ups from the kept samples (gauge roll-ups past the
//! retention stay in the hours of the zone they were made in).
//!
//! # Crash safety
//!
//! Each [`Store::record`] is one redb transaction committed with full durability (fsync): a
//! `kill -9` or a power cut loses at most the samples of the commit in progress, never a
//! committed one, and redb's copy-on-write commits never leave a half-written file. A new file
//! is made beside its place and renamed into it once initialised, so a crash during the very
//! first start leaves no file that cannot be opened. The demo and
//! the benchmark import history through the same path.

mod calendar;
mod codec;
mod counter;
pub mod demo_history;
mod nightly;
mod recorder;
mod rollup;
mod users;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};

use chrono::{Datelike, NaiveDate};
use redb::{
    Database, ReadTransaction, ReadableDatabase, ReadableTable, ReadableTableMetadata,
    TableDefinition, WriteTransaction,
};
use shared::{Quantity, Unit};
use thiserror::Error;
use tracing::{info, warn};

pub use calendar::system_zone;
pub use chrono_tz::Tz;
pub use codec::DecodeError;
pub use recorder::{SamplePeriod, run as run_recorder};
pub use users::StoredUser;

use calendar::Calendar;
use codec::{BatchEntry, Point, Slot};
use rollup::{Contributions, Level, RowKey, SeriesState};

/// Users by name, as JSON.
const USERS: TableDefinition<&str, &str> = TableDefinition::new("users");
/// Configuration documents by name, as JSON (`site`: gateways and devices; `time_zone`).
const CONFIG: TableDefinition<&str, &str> = TableDefinition::new("config");
const SITE_KEY: &str = "site";
const TIME_ZONE_KEY: &str = "time_zone";
/// UTC day number up to which gauge chunks were pruned (see [`GAUGE_RETENTION_DAYS`]).
const GAUGES_PRUNED_KEY: &str = "gauge_chunks_pruned_until";
/// Nothing in `recent` adds to the roll-ups before this time (Unix seconds): the earliest last
/// compacted time of the series that have samples there (a gap spreads back to it). Queries of
/// earlier periods skip `recent`.
const RECENT_FLOOR_KEY: &str = "recent_floor";

/// Days the 10-minute points of gauges are kept (a year and a month: this day last year stays
/// comparable). Older gauge history keeps its hourly, daily and monthly min/mean/max roll-ups;
/// counters keep every point for ever (they are the billing truth and cost little).
pub const GAUGE_RETENTION_DAYS: i64 = 400;
/// Format version 0: one row per sample. Migrated on open.
const LEGACY_SAMPLES: TableDefinition<(u32, u16, i64), f64> = TableDefinition::new("samples");
/// Samples not yet compacted, by time.
const RECENT: TableDefinition<i64, &[u8]> = TableDefinition::new("recent");
/// Encoded samples per (UTC day, quantity, device).
const CHUNKS: TableDefinition<(i32, u16, u32), &[u8]> = TableDefinition::new("chunks");
/// Counter state per (device, quantity).
const SERIES: TableDefinition<(u32, u16), &[u8]> = TableDefinition::new("series");
const ROLLUP_HOUR: TableDefinition<RowKey, &[u8]> = TableDefinition::new("rollup_hour");
const ROLLUP_DAY: TableDefinition<RowKey, &[u8]> = TableDefinition::new("rollup_day");
const ROLLUP_MONTH: TableDefinition<RowKey, &[u8]> = TableDefinition::new("rollup_month");

const SECONDS_PER_DAY: i64 = 86_400;

/// A storage failure.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("cannot open the database {path}: {source}")]
    Open {
        path: String,
        #[source]
        source: redb::DatabaseError,
    },
    #[error("database error: {0}")]
    Storage(#[from] redb::Error),
    #[error("a stored user record is damaged: {0}")]
    DamagedUser(String),
    #[error("the stored configuration is damaged: {0}")]
    DamagedConfig(String),
    /// The new database file could not be put in place.
    #[error("cannot create the database {path}: {source}")]
    Create {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// Stored history does not decode.
    #[error("the stored history is damaged: {0}")]
    DamagedHistory(#[from] DecodeError),
    /// The first administrator exists already.
    #[error("the administrator already exists")]
    SetupClosed,
}

macro_rules! storage_error_from {
    ($($error:ty),*) => {$(
        impl From<$error> for StoreError {
            fn from(error: $error) -> Self {
                StoreError::Storage(error.into())
            }
        }
    )*};
}
storage_error_from!(
    redb::CompactionError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

/// One value to record. For a gauge, `min` and `max` are the extremes of the readings of the
/// sample period and `value` their mean; for a counter all three are the reading.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    pub device_id: u32,
    pub quantity: Quantity,
    /// Unix seconds.
    pub time: i64,
    pub value: f64,
    pub min: f64,
    pub max: f64,
}

impl Sample {
    /// A single reading.
    pub fn new(device_id: u32, quantity: Quantity, time: i64, value: f64) -> Sample {
        Sample {
            device_id,
            quantity,
            time,
            value,
            min: value,
            max: value,
        }
    }

    /// A gauge's period: the mean of its readings and their extremes.
    pub fn with_range(self, min: f64, max: f64) -> Sample {
        Sample { min, max, ..self }
    }
}

/// A stored point of a series, in the quantity's base unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StoredPoint {
    /// Unix seconds.
    pub time: i64,
    pub min: f64,
    pub value: f64,
    pub max: f64,
}

/// The span a histogram covers, and its buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    /// A local day, per hour (23 to 25 buckets).
    Day,
    /// A local month, per day.
    Month,
    /// A local year, per month.
    Year,
    /// Ten local years ending with the given date's year, per year.
    Decade,
}

/// One bar of a histogram.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    /// Unix seconds of the bucket's local start (local midnight, the first of the month …).
    pub start: i64,
    /// Consumption in the quantity's base unit; `None` where nothing was recorded.
    pub value: Option<f64>,
}

/// Statistics of a gauge over one bucket, in the quantity's base unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GaugeStatistics {
    pub min: f64,
    /// Mean of the sample periods' means.
    pub mean: f64,
    pub max: f64,
    /// How many sample periods the bucket holds.
    pub periods: u64,
}

/// One bucket of gauge statistics.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GaugeBucket {
    /// Unix seconds of the bucket's local start.
    pub start: i64,
    pub statistics: Option<GaugeStatistics>,
}

/// Space used by one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableStatistics {
    pub name: &'static str,
    pub entries: u64,
    /// Bytes of keys and values.
    pub stored_bytes: u64,
    /// Bytes of B-tree bookkeeping.
    pub metadata_bytes: u64,
    /// Bytes of the table's pages holding neither.
    pub fragmented_bytes: u64,
}

/// What one [`Store::optimize`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compaction {
    pub file_bytes_before: u64,
    pub file_bytes_after: u64,
    pub duration: std::time::Duration,
}

/// What [`Store::optimize_when_worth_it`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Optimized {
    Compacted(Compaction),
    /// Compacting would not pay off (the next commit would grow the file back): it was left as
    /// it was.
    NotWorthIt(FileSpace),
}

/// The file's size and how much of it is in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileSpace {
    pub file_bytes: u64,
    /// Bytes of the pages in use; the rest of the file is free pages, reused by later writes.
    pub allocated_bytes: u64,
}

/// Space used by the database (for the system information page and the benchmark).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageStatistics {
    /// Size of the file.
    pub file_bytes: u64,
    /// Bytes of the pages in use; the rest of the file is free pages, reused by later writes.
    pub allocated_bytes: u64,
    pub tables: Vec<TableStatistics>,
}

/// The resolution a quantity is stored in, in its base unit: values are kept as whole multiples.
pub fn resolution(quantity: Quantity) -> f64 {
    match quantity.unit() {
        Unit::WattHour | Unit::VarHour | Unit::Watt | Unit::Var | Unit::VoltAmpere => 1.0,
        Unit::State => 1.0,
        Unit::Volt | Unit::DegreeCelsius => 0.1,
        Unit::Percent | Unit::Hour => 0.01,
        Unit::Ampere | Unit::Hertz | Unit::None | Unit::CubicMetre => 0.001,
    }
}

fn quantise(value: f64, resolution: f64) -> Option<i64> {
    let scaled = (value / resolution).round();
    // Well inside i64 so that differences and sums cannot overflow.
    (scaled.is_finite() && scaled.abs() < 1.0e15).then_some(scaled as i64)
}

fn batch_entry(sample: &Sample) -> Option<BatchEntry> {
    let resolution = resolution(sample.quantity);
    let avg = quantise(sample.value, resolution)?;
    let (min, max) = if sample.quantity.is_counter() {
        (avg, avg)
    } else {
        (
            quantise(sample.min, resolution).unwrap_or(avg).min(avg),
            quantise(sample.max, resolution).unwrap_or(avg).max(avg),
        )
    };
    Some(BatchEntry {
        device: sample.device_id,
        quantity: sample.quantity.code(),
        min,
        avg,
        max,
    })
}

const fn rollup_table(level: Level) -> TableDefinition<'static, RowKey, &'static [u8]> {
    match level {
        Level::Hour => ROLLUP_HOUR,
        Level::Day => ROLLUP_DAY,
        Level::Month => ROLLUP_MONTH,
    }
}

fn encode_state(state: &SeriesState) -> Vec<u8> {
    let mut out = vec![1];
    if let Some(counter) = state.counter {
        codec::put_signed(&mut out, counter.time);
        codec::put_signed(&mut out, counter.reading);
        codec::put_signed(&mut out, counter.peak_per_hour);
    }
    out
}

fn decode_state(bytes: &[u8]) -> Result<SeriesState, DecodeError> {
    let mut reader = codec::Reader::new(bytes, "series state");
    if reader.byte()? != 1 {
        return Err(DecodeError {
            what: "series state",
        });
    }
    if reader.is_empty() {
        return Ok(SeriesState::default());
    }
    Ok(SeriesState {
        counter: Some(counter::CounterState {
            time: reader.signed()?,
            reading: reader.signed()?,
            peak_per_hour: reader.signed()?,
        }),
    })
}

fn read_state(
    table: &impl ReadableTable<(u32, u16), &'static [u8]>,
    device: u32,
    quantity: u16,
) -> Result<SeriesState, StoreError> {
    Ok(match table.get((device, quantity))? {
        Some(bytes) => decode_state(bytes.value())?,
        None => SeriesState::default(),
    })
}

/// Points by series, as read from `recent` rows.
type PointsBySeries = BTreeMap<(u32, u16), Vec<Point>>;

fn collect_recent<'a>(
    rows: impl Iterator<Item = Result<(i64, Vec<BatchEntry>), StoreError>> + 'a,
    keep: impl Fn(u32, u16) -> bool,
) -> Result<PointsBySeries, StoreError> {
    let mut points = PointsBySeries::new();
    for row in rows {
        let (time, entries) = row?;
        for entry in entries {
            if keep(entry.device, entry.quantity) {
                points
                    .entry((entry.device, entry.quantity))
                    .or_default()
                    .push(Point {
                        time,
                        min: entry.min,
                        avg: entry.avg,
                        max: entry.max,
                    });
            }
        }
    }
    for series in points.values_mut() {
        // Rows are in time order; a series recorded twice at one time keeps its last value.
        series.dedup_by(|later, earlier| {
            let same = later.time == earlier.time;
            if same {
                *earlier = *later;
            }
            same
        });
    }
    Ok(points)
}

/// The database. Cheap to clone; every method is blocking (call it from `spawn_blocking` in async
/// code).
#[derive(Debug, Clone)]
pub struct Store {
    /// Shared by every handle; written only by [`Store::optimize`], which needs it alone.
    database: Arc<RwLock<Database>>,
    zone: Arc<RwLock<Tz>>,
    path: Arc<std::path::PathBuf>,
    snapshot: Arc<Mutex<Snapshot>>,
}

/// The read transaction of the latest commit with its roll-up tables open, shared by the
/// queries until the next commit: starting a redb read transaction and opening tables costs
/// more than a small query itself.
#[derive(Debug, Default)]
struct Snapshot {
    /// Counts commits.
    generation: u64,
    reader: Option<Reader>,
}

type RollupTable = redb::ReadOnlyTable<RowKey, &'static [u8]>;

#[derive(Debug, Clone)]
struct Reader {
    transaction: Arc<ReadTransaction>,
    /// By [`Level`].
    rollups: Arc<[RollupTable; 3]>,
    /// See [`RECENT_FLOOR_KEY`]; `i64::MIN` when unknown.
    recent_floor: i64,
}

impl Reader {
    fn new(transaction: ReadTransaction) -> Result<Reader, StoreError> {
        let rollups = [
            transaction.open_table(ROLLUP_HOUR)?,
            transaction.open_table(ROLLUP_DAY)?,
            transaction.open_table(ROLLUP_MONTH)?,
        ];
        let recent_floor = transaction
            .open_table(CONFIG)?
            .get(RECENT_FLOOR_KEY)?
            .and_then(|record| record.value().parse::<i64>().ok())
            .unwrap_or(i64::MIN);
        Ok(Reader {
            transaction: Arc::new(transaction),
            rollups: Arc::new(rollups),
            recent_floor,
        })
    }
}

impl Store {
    /// Opens or creates the database file; moves samples of the first format into the current one.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if !path.exists() {
            create_file(path)?;
        }
        // Password hashes and the outside services' secrets live here: the file is the owner's
        // alone, also when an earlier version made it readable by others.
        // A file system without Unix modes (an SD card formatted FAT) refuses; it cannot be helped
        // there and must not stop the server.
        if let Err(error) = restrict_to_owner(path) {
            warn!(%error, path = %path.display(), "cannot make the database readable by its owner only");
        }
        let database = Database::create(path).map_err(|source| StoreError::Open {
            path: path.display().to_string(),
            source,
        })?;
        let transaction = database.begin_write()?;
        transaction.open_table(USERS)?;
        let zone = {
            let mut config = transaction.open_table(CONFIG)?;
            let stored = match config.get(TIME_ZONE_KEY)? {
                Some(record) => Some(
                    serde_json::from_str::<String>(record.value())
                        .ok()
                        .and_then(|name| name.parse::<Tz>().ok())
                        .ok_or_else(|| {
                            StoreError::DamagedConfig(format!(
                                "unknown time zone {}",
                                record.value()
                            ))
                        })?,
                ),
                None => None,
            };
            match stored {
                Some(zone) => zone,
                None => {
                    let zone = system_zone();
                    let record = serde_json::to_string(zone.name())
                        .map_err(|error| StoreError::DamagedConfig(error.to_string()))?;
                    config.insert(TIME_ZONE_KEY, record.as_str())?;
                    info!(zone = zone.name(), "time zone of the history set");
                    zone
                }
            }
        };
        transaction.open_table(RECENT)?;
        transaction.open_table(CHUNKS)?;
        transaction.open_table(SERIES)?;
        for level in [Level::Hour, Level::Day, Level::Month] {
            transaction.open_table(rollup_table(level))?;
        }
        transaction.commit()?;
        let store = Store {
            database: Arc::new(RwLock::new(database)),
            zone: Arc::new(RwLock::new(zone)),
            path: Arc::new(path.to_path_buf()),
            snapshot: Arc::default(),
        };
        store.migrate_first_format()?;
        Ok(store)
    }

    fn migrate_first_format(&self) -> Result<(), StoreError> {
        let transaction = self.db().begin_write()?;
        let legacy: Vec<Sample> = match transaction.open_table(LEGACY_SAMPLES) {
            Ok(table) => {
                let mut samples = Vec::new();
                for entry in table.iter()? {
                    let (key, value) = entry?;
                    let (device, code, time) = key.value();
                    if let Some(quantity) = Quantity::from_code(code) {
                        samples.push(Sample::new(device, quantity, time, value.value()));
                    }
                }
                samples
            }
            Err(error) => return Err(error.into()),
        };
        transaction.delete_table(LEGACY_SAMPLES)?;
        if !legacy.is_empty() {
            info!(
                samples = legacy.len(),
                "moving samples to the compact format"
            );
            self.insert(&transaction, &legacy)?;
        }
        self.commit(transaction)?;
        Ok(())
    }

    /// A read transaction on the latest commit.
    fn snapshot(&self) -> Result<Arc<ReadTransaction>, StoreError> {
        Ok(self.reader()?.transaction)
    }

    fn reader(&self) -> Result<Reader, StoreError> {
        let generation = {
            let snapshot = self.lock_snapshot();
            if let Some(reader) = &snapshot.reader {
                return Ok(reader.clone());
            }
            snapshot.generation
        };
        let reader = Reader::new(self.db().begin_read()?)?;
        let mut snapshot = self.lock_snapshot();
        // A commit since `generation` was read may have happened before the transaction
        // began: keep it for this query only.
        if snapshot.generation == generation {
            snapshot.reader = Some(reader.clone());
        }
        Ok(reader)
    }

    fn lock_snapshot(&self) -> std::sync::MutexGuard<'_, Snapshot> {
        self.snapshot
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Commits and retires the shared read transaction (it would keep the old pages alive).
    fn commit(&self, transaction: WriteTransaction) -> Result<(), StoreError> {
        let result = transaction.commit();
        let mut snapshot = self.lock_snapshot();
        snapshot.generation += 1;
        snapshot.reader = None;
        drop(snapshot);
        Ok(result?)
    }

    fn db(&self) -> std::sync::RwLockReadGuard<'_, Database> {
        self.database
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Compacts the file: moves pages in use to its start and gives the free ones back to the
    /// file system (the system information page's "Optimize", and at night by the recorder when
    /// it pays off, see [`nightly`]). The next commit grows a compacted file again, by doubling
    /// it below 4 GiB. Fails when a transaction is in progress; nothing is lost then, try
    /// again later. Crash-safe: redb compacts through durable two-phase commits, so a crash
    /// leaves the file as it was before one of them or after it.
    pub fn optimize(&self) -> Result<Compaction, StoreError> {
        let started = std::time::Instant::now();
        // Taken for writing: no commit of this handle runs while pages move.
        let mut database = self
            .database
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let file_bytes_before = self.file_bytes();
        // Compaction needs no reader: retire the shared one.
        {
            let mut snapshot = self.lock_snapshot();
            snapshot.generation += 1;
            snapshot.reader = None;
        }
        let outcome = database.compact();
        let compaction = Compaction {
            file_bytes_before,
            file_bytes_after: self.file_bytes(),
            duration: started.elapsed(),
        };
        match outcome {
            Ok(_) => {
                info!(
                    before = compaction.file_bytes_before,
                    after = compaction.file_bytes_after,
                    milliseconds = compaction.duration.as_millis() as u64,
                    "database file compacted"
                );
                Ok(compaction)
            }
            Err(error) => {
                warn!(
                    %error,
                    milliseconds = compaction.duration.as_millis() as u64,
                    "database file not compacted"
                );
                Err(error.into())
            }
        }
    }

    /// Optimize when it gives space back for good, past the growth of the next commit (see
    /// [`nightly`]): what the recorder runs every night.
    pub fn optimize_when_worth_it(&self) -> Result<Optimized, StoreError> {
        let space = self.file_space()?;
        if !nightly::worth_compacting(space) {
            return Ok(Optimized::NotWorthIt(space));
        }
        Ok(Optimized::Compacted(self.optimize()?))
    }

    fn file_bytes(&self) -> u64 {
        std::fs::metadata(self.path.as_path()).map_or(0, |metadata| metadata.len())
    }

    /// The file's size and the bytes of its pages in use (the rest are free pages).
    pub fn file_space(&self) -> Result<FileSpace, StoreError> {
        let transaction = self.db().begin_write()?;
        let stats = transaction.stats()?;
        transaction.abort()?;
        Ok(FileSpace {
            file_bytes: self.file_bytes(),
            allocated_bytes: stats.allocated_pages() * stats.page_size() as u64,
        })
    }

    /// The time zone of the roll-ups.
    pub fn time_zone(&self) -> Tz {
        *self
            .zone
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Today's local date in the store's time zone.
    pub fn today(&self) -> NaiveDate {
        chrono::Utc::now()
            .with_timezone(&self.time_zone())
            .date_naive()
    }

    /// Changes the time zone and rebuilds every roll-up from the kept samples, in one
    /// transaction.
    pub fn set_time_zone(&self, zone: Tz) -> Result<(), StoreError> {
        let mut guard = self
            .zone
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let transaction = self.db().begin_write()?;
        let record = serde_json::to_string(zone.name())
            .map_err(|error| StoreError::DamagedConfig(error.to_string()))?;
        transaction
            .open_table(CONFIG)?
            .insert(TIME_ZONE_KEY, record.as_str())?;
        // Gauge roll-ups whose points were pruned cannot be rebuilt: they stay as they are (in
        // the old zone's hours) and only counters' roll-ups are rebuilt.
        let gauges_pruned = pruned_until(&transaction)?.is_some();
        for level in [Level::Hour, Level::Day, Level::Month] {
            if gauges_pruned {
                transaction
                    .open_table(rollup_table(level))?
                    .retain(|(_, code, _), _| !is_counter_code(code))?;
            } else {
                transaction.delete_table(rollup_table(level))?;
                transaction.open_table(rollup_table(level))?;
            }
        }
        transaction.delete_table(SERIES)?;
        let mut discarded;
        let mut calendar = Calendar::new(zone);
        let mut states: BTreeMap<(u32, u16), SeriesState> = BTreeMap::new();
        let mut contributions = Contributions::default();
        {
            let chunks = transaction.open_table(CHUNKS)?;
            // Roll-ups are written a month of days at a time to bound memory.
            let mut batch_start: Option<i32> = None;
            for entry in chunks.iter()? {
                let (key, bytes) = entry?;
                let (day, code, device) = key.value();
                match batch_start {
                    Some(start) if day - start >= 31 => {
                        contributions.finish();
                        write_contributions(&transaction, &contributions)?;
                        contributions = Contributions::default();
                        batch_start = Some(day);
                    }
                    None => batch_start = Some(day),
                    Some(_) => {}
                }
                let Some(quantity) = Quantity::from_code(code) else {
                    continue;
                };
                let points = codec::decode_chunk(i64::from(day) * SECONDS_PER_DAY, bytes.value())?;
                let state = states.entry((device, code)).or_default();
                let target = if gauges_pruned && !quantity.is_counter() {
                    // Only the series' state is wanted.
                    discarded = Contributions::default();
                    &mut discarded
                } else {
                    &mut contributions
                };
                rollup::plan_series(&mut calendar, device, quantity, state, &points, target);
            }
        }
        contributions.finish();
        write_contributions(&transaction, &contributions)?;
        {
            let mut series = transaction.open_table(SERIES)?;
            for ((device, code), state) in &states {
                series.insert((*device, *code), encode_state(state).as_slice())?;
            }
        }
        self.commit(transaction)?;
        *guard = zone;
        info!(zone = zone.name(), "roll-ups rebuilt for the new time zone");
        Ok(())
    }

    /// The stored installation, if one was ever saved.
    pub fn site(&self) -> Result<Option<shared::SiteConfig>, StoreError> {
        let transaction = self.snapshot()?;
        let table = transaction.open_table(CONFIG)?;
        let Some(record) = table.get(SITE_KEY)? else {
            return Ok(None);
        };
        serde_json::from_str(record.value())
            .map(Some)
            .map_err(|error| StoreError::DamagedConfig(error.to_string()))
    }

    /// Saves the installation; durable when this returns.
    pub fn save_site(&self, site: &shared::SiteConfig) -> Result<(), StoreError> {
        let record = serde_json::to_string(site)
            .map_err(|error| StoreError::DamagedConfig(error.to_string()))?;
        let transaction = self.db().begin_write()?;
        transaction
            .open_table(CONFIG)?
            .insert(SITE_KEY, record.as_str())?;
        self.commit(transaction)?;
        Ok(())
    }

    /// Space used by the file and by each table.
    pub fn statistics(&self) -> Result<StorageStatistics, StoreError> {
        fn table<K: redb::Key + 'static, V: redb::Value + 'static>(
            transaction: &ReadTransaction,
            name: &'static str,
            definition: TableDefinition<K, V>,
        ) -> Result<TableStatistics, StoreError> {
            let table = transaction.open_table(definition)?;
            let stats = table.stats()?;
            Ok(TableStatistics {
                name,
                entries: table.len()?,
                stored_bytes: stats.stored_bytes(),
                metadata_bytes: stats.metadata_bytes(),
                fragmented_bytes: stats.fragmented_bytes(),
            })
        }
        let space = self.file_space()?;
        let transaction = self.snapshot()?;
        Ok(StorageStatistics {
            file_bytes: space.file_bytes,
            allocated_bytes: space.allocated_bytes,
            tables: vec![
                table(&transaction, "users", USERS)?,
                table(&transaction, "config", CONFIG)?,
                table(&transaction, "recent", RECENT)?,
                table(&transaction, "chunks", CHUNKS)?,
                table(&transaction, "series", SERIES)?,
                table(&transaction, "rollup_hour", ROLLUP_HOUR)?,
                table(&transaction, "rollup_day", ROLLUP_DAY)?,
                table(&transaction, "rollup_month", ROLLUP_MONTH)?,
            ],
        })
    }

    /// Whether any sample was ever recorded.
    pub fn has_history(&self) -> Result<bool, StoreError> {
        let transaction = self.snapshot()?;
        Ok(!transaction.open_table(SERIES)?.is_empty()?
            || !transaction.open_table(RECENT)?.is_empty()?)
    }

    /// Records samples in one durable transaction: all or none survive a crash or a power cut.
    /// Samples of any times may be mixed; a series' sample not newer than one already compacted
    /// is ignored. Values that are not finite are skipped with a warning.
    pub fn record(&self, samples: &[Sample]) -> Result<(), StoreError> {
        let transaction = self.db().begin_write()?;
        self.insert(&transaction, samples)?;
        self.commit(transaction)?;
        Ok(())
    }

    fn insert(&self, transaction: &WriteTransaction, samples: &[Sample]) -> Result<(), StoreError> {
        let mut by_time: BTreeMap<i64, Vec<BatchEntry>> = BTreeMap::new();
        for sample in samples {
            match batch_entry(sample) {
                Some(entry) => by_time.entry(sample.time).or_default().push(entry),
                None => warn!(
                    device = sample.device_id,
                    quantity = ?sample.quantity,
                    value = sample.value,
                    "value not recorded: not a finite number in range"
                ),
            }
        }
        let newest = {
            let mut recent = transaction.open_table(RECENT)?;
            let mut bytes = Vec::new();
            for (time, entries) in &by_time {
                bytes.clear();
                if let Some(existing) = recent.get(*time)? {
                    bytes.extend_from_slice(existing.value());
                }
                codec::encode_batch(&mut bytes, entries);
                recent.insert(*time, bytes.as_slice())?;
            }
            match recent.last()? {
                Some((key, _)) => key.value(),
                None => return Ok(()),
            }
        };
        let known_floor = recent_floor(transaction)?;
        // Compact every complete UTC hour; the current hour stays in `recent`.
        let compacted = self.compact(transaction, newest.div_euclid(3600) * 3600)?;
        let floor = match known_floor {
            // States change only when compacting: the new samples can only lower the floor.
            Some(mut floor) if !compacted => {
                let series = transaction.open_table(SERIES)?;
                for (time, entries) in &by_time {
                    for entry in entries {
                        let state = read_state(&series, entry.device, entry.quantity)?;
                        floor = floor.min(state.last_time().unwrap_or(time - 1));
                    }
                }
                floor
            }
            _ => {
                let series = transaction.open_table(SERIES)?;
                let recent = transaction.open_table(RECENT)?;
                let rows = recent.iter()?.map(|entry| {
                    let (key, bytes) = entry?;
                    Ok((key.value(), codec::decode_batch(bytes.value())?))
                });
                let mut floor = i64::MAX;
                for ((device, code), points) in collect_recent(rows, |_, _| true)? {
                    let first = points.first().map_or(i64::MAX, |point| point.time - 1);
                    let state = read_state(&series, device, code)?;
                    floor = floor.min(state.last_time().unwrap_or(first));
                }
                floor
            }
        };
        transaction
            .open_table(CONFIG)?
            .insert(RECENT_FLOOR_KEY, floor.to_string().as_str())?;
        Ok(())
    }

    /// Moves the `recent` rows older than `cutoff` into chunks and roll-ups; returns whether
    /// there were any.
    fn compact(&self, transaction: &WriteTransaction, cutoff: i64) -> Result<bool, StoreError> {
        let points = {
            let mut recent = transaction.open_table(RECENT)?;
            let mut rows = Vec::new();
            for entry in recent.range(..cutoff)? {
                let (key, bytes) = entry?;
                rows.push((key.value(), codec::decode_batch(bytes.value())?));
            }
            if rows.is_empty() {
                return Ok(false);
            }
            for (time, _) in &rows {
                recent.remove(*time)?;
            }
            collect_recent(rows.into_iter().map(Ok), |_, _| true)?
        };
        let mut calendar = Calendar::new(self.time_zone());
        let mut contributions = Contributions::default();
        {
            let mut series = transaction.open_table(SERIES)?;
            let mut chunks = transaction.open_table(CHUNKS)?;
            for ((device, code), points) in points {
                let Some(quantity) = Quantity::from_code(code) else {
                    warn!(device, code, "samples of an unknown quantity dropped");
                    continue;
                };
                let mut state = read_state(&series, device, code)?;
                let last = state.last_time();
                let fresh: Vec<Point> = points
                    .into_iter()
                    .filter(|point| last.is_none_or(|last| point.time > last))
                    .collect();
                if fresh.is_empty() {
                    continue;
                }
                rollup::plan_series(
                    &mut calendar,
                    device,
                    quantity,
                    &mut state,
                    &fresh,
                    &mut contributions,
                );
                series.insert((device, code), encode_state(&state).as_slice())?;
                for day_points in fresh.chunk_by(|a, b| {
                    a.time.div_euclid(SECONDS_PER_DAY) == b.time.div_euclid(SECONDS_PER_DAY)
                }) {
                    let day = day_points[0].time.div_euclid(SECONDS_PER_DAY);
                    let day_start = day * SECONDS_PER_DAY;
                    let key = (day as i32, code, device);
                    let mut all = match chunks.get(key)? {
                        Some(bytes) => codec::decode_chunk(day_start, bytes.value())?,
                        None => Vec::new(),
                    };
                    all.extend_from_slice(day_points);
                    chunks.insert(key, codec::encode_chunk(day_start, &all).as_slice())?;
                }
            }
        }
        contributions.finish();
        write_contributions(transaction, &contributions)?;
        prune_gauges(
            transaction,
            cutoff.div_euclid(SECONDS_PER_DAY) - GAUGE_RETENTION_DAYS,
        )?;
        Ok(true)
    }

    /// The stored points of one series with `from <= time <= to`, oldest first.
    pub fn series(
        &self,
        device_id: u32,
        quantity: Quantity,
        from: i64,
        to: i64,
    ) -> Result<Vec<StoredPoint>, StoreError> {
        let transaction = self.snapshot()?;
        let code = quantity.code();
        let mut points = Vec::new();
        {
            let chunks = transaction.open_table(CHUNKS)?;
            let stored_days = match (chunks.first()?, chunks.last()?) {
                (Some((first, _)), Some((last, _))) => Some((first.value().0, last.value().0)),
                _ => None,
            };
            if let Some((first_day, last_day)) = stored_days {
                let from_day = from.div_euclid(SECONDS_PER_DAY).max(i64::from(first_day));
                let to_day = to.div_euclid(SECONDS_PER_DAY).min(i64::from(last_day));
                for day in from_day..=to_day {
                    if let Some(bytes) = chunks.get((day as i32, code, device_id))? {
                        points.extend(codec::decode_chunk(day * SECONDS_PER_DAY, bytes.value())?);
                    }
                }
            }
        }
        let recent = recent_points(&transaction, from, to, |device, quantity| {
            device == device_id && quantity == code
        })?;
        if let Some(fresh) = recent.into_values().next() {
            let last = points.last().map(|point| point.time);
            points.extend(
                fresh
                    .into_iter()
                    .filter(|point| last.is_none_or(|last| point.time > last)),
            );
        }
        let resolution = resolution(quantity);
        Ok(points
            .into_iter()
            .filter(|point| from <= point.time && point.time <= to)
            .map(|point| StoredPoint {
                time: point.time,
                min: point.min as f64 * resolution,
                value: point.avg as f64 * resolution,
                max: point.max as f64 * resolution,
            })
            .collect())
    }

    /// Consumption of a set of devices (their sum) per bucket of a period: per local hour of
    /// `date`'s day, per day of its month, per month of its year, or per year of the ten years
    /// ending with its year. `quantity` is the counter (see
    /// [`shared::Commodity::consumption_quantity`]); "per load", "per group" and "total" are the
    /// device sets the installation model gives.
    pub fn consumption_histogram(
        &self,
        devices: &[u32],
        quantity: Quantity,
        period: Period,
        date: NaiveDate,
    ) -> Result<Vec<Bucket>, StoreError> {
        let resolution = resolution(quantity);
        Ok(self
            .slots(devices, quantity, period, date)?
            .into_iter()
            .map(|(start, slot)| Bucket {
                start,
                value: match slot {
                    Slot::Consumption(value) => Some(value as f64 * resolution),
                    _ => None,
                },
            })
            .collect())
    }

    /// Minimum, mean and maximum of a gauge per bucket of a period (see
    /// [`Store::consumption_histogram`] for the buckets); several devices are pooled.
    pub fn gauge_histogram(
        &self,
        devices: &[u32],
        quantity: Quantity,
        period: Period,
        date: NaiveDate,
    ) -> Result<Vec<GaugeBucket>, StoreError> {
        let resolution = resolution(quantity);
        Ok(self
            .slots(devices, quantity, period, date)?
            .into_iter()
            .map(|(start, slot)| GaugeBucket {
                start,
                statistics: match slot {
                    Slot::Gauge {
                        count,
                        min,
                        max,
                        sum,
                    } if count > 0 => Some(GaugeStatistics {
                        min: min as f64 * resolution,
                        mean: sum as f64 / count as f64 * resolution,
                        max: max as f64 * resolution,
                        periods: count,
                    }),
                    _ => None,
                },
            })
            .collect())
    }

    fn slots(
        &self,
        devices: &[u32],
        quantity: Quantity,
        period: Period,
        date: NaiveDate,
    ) -> Result<Vec<(i64, Slot)>, StoreError> {
        let mut devices = devices.to_vec();
        devices.sort_unstable();
        devices.dedup();
        let code = quantity.code();
        let mut calendar = Calendar::new(self.time_zone());
        let layout = Layout::new(&calendar, period, date);
        let mut buckets: Vec<(i64, Slot)> = layout
            .starts
            .iter()
            .map(|&start| (start, Slot::Empty))
            .collect();
        let mut add = |key_index: usize, slots: &[Slot]| {
            for (slot_index, slot) in slots.iter().enumerate() {
                let bucket = if layout.one_bucket_per_key {
                    key_index
                } else {
                    slot_index
                };
                if let Some((_, target)) = buckets.get_mut(bucket) {
                    *target = target.merge(*slot);
                }
            }
        };
        let reader = self.reader()?;
        let transaction = &reader.transaction;
        {
            let table = &reader.rollups[layout.level as usize];
            for (key_index, &key) in layout.keys.iter().enumerate() {
                // A few devices: look their rows up; many: read the period's rows in one pass.
                if devices.len() <= 16 {
                    for &device in &devices {
                        if let Some(bytes) = table.get((key, code, device))? {
                            add(key_index, &codec::decode_row(bytes.value())?);
                        }
                    }
                    continue;
                }
                for entry in table.range((key, code, 0)..=(key, code, u32::MAX))? {
                    let (row_key, bytes) = entry?;
                    if devices.binary_search(&row_key.value().2).is_ok() {
                        add(key_index, &codec::decode_row(bytes.value())?);
                    }
                }
            }
        }
        if layout.end <= reader.recent_floor {
            return Ok(buckets);
        }
        // Samples not yet compacted, through the same rules as the compaction.
        let recent = recent_points(transaction, i64::MIN, i64::MAX, |device, quantity| {
            quantity == code && devices.binary_search(&device).is_ok()
        })?;
        if !recent.is_empty() {
            let series = transaction.open_table(SERIES)?;
            let mut contributions = Contributions::default();
            for ((device, code), points) in recent {
                // What these points add lies between the series' last compacted point (a gap
                // is spread back to it) and the last of them: skip series that cannot reach
                // the period asked for.
                if points.last().is_none_or(|last| last.time <= layout.start) {
                    continue;
                }
                let mut state = read_state(&series, device, code)?;
                let earliest = state
                    .last_time()
                    .or(points.first().map(|first| first.time - 1))
                    .unwrap_or(i64::MAX);
                if earliest >= layout.end {
                    continue;
                }
                rollup::plan_series(
                    &mut calendar,
                    device,
                    quantity,
                    &mut state,
                    &points,
                    &mut contributions,
                );
            }
            contributions.finish();
            for ((level, (key, _, _)), slots) in &contributions.rows {
                if *level != layout.level {
                    continue;
                }
                if let Some(key_index) = layout.keys.iter().position(|candidate| candidate == key) {
                    add(key_index, slots);
                }
            }
        }
        Ok(buckets)
    }
}

/// Where a period's buckets come from.
struct Layout {
    level: Level,
    /// The period: `[start, end)` in Unix seconds.
    start: i64,
    end: i64,
    keys: Vec<i32>,
    /// Decade: a bucket per row (year), its slots summed; otherwise a bucket per slot.
    one_bucket_per_key: bool,
    starts: Vec<i64>,
}

impl Layout {
    fn new(calendar: &Calendar, period: Period, date: NaiveDate) -> Layout {
        let day = calendar.day(date);
        let year_start = |year: i32| {
            calendar::month_start(year * 12)
                .map_or(day.start, |first| calendar.first_instant(first))
        };
        match period {
            Period::Day => Layout {
                level: Level::Hour,
                start: day.start,
                end: day.end,
                keys: vec![day.day_number],
                one_bucket_per_key: false,
                starts: (0..day.hours() as i64)
                    .map(|hour| day.start + hour * 3600)
                    .collect(),
            },
            Period::Month => {
                let days = calendar::days_in_month(day.month_number);
                let mut starts: Vec<i64> = date
                    .with_day0(0)
                    .unwrap_or(date)
                    .iter_days()
                    .take(days + 1)
                    .map(|date| calendar.first_instant(date))
                    .collect();
                let end = starts.pop().unwrap_or(day.end);
                Layout {
                    level: Level::Day,
                    start: starts.first().copied().unwrap_or(day.start),
                    end,
                    keys: vec![day.month_number],
                    one_bucket_per_key: false,
                    starts,
                }
            }
            Period::Year => Layout {
                level: Level::Month,
                start: year_start(day.year),
                end: year_start(day.year + 1),
                keys: vec![day.year],
                one_bucket_per_key: false,
                starts: (0..12)
                    .filter_map(|month| calendar::month_start(day.year * 12 + month))
                    .map(|date| calendar.first_instant(date))
                    .collect(),
            },
            Period::Decade => {
                let years: Vec<i32> = (day.year - 9..=day.year).collect();
                Layout {
                    level: Level::Month,
                    start: year_start(day.year - 9),
                    end: year_start(day.year + 1),
                    starts: years.iter().map(|&year| year_start(year)).collect(),
                    keys: years,
                    one_bucket_per_key: true,
                }
            }
        }
    }
}

/// Points of `recent` rows with `from <= time <= to` of the series `keep` accepts.
fn recent_points(
    transaction: &ReadTransaction,
    from: i64,
    to: i64,
    keep: impl Fn(u32, u16) -> bool,
) -> Result<PointsBySeries, StoreError> {
    let recent = transaction.open_table(RECENT)?;
    let rows = recent.range(from..=to)?.map(|entry| {
        let (key, bytes) = entry?;
        Ok((key.value(), codec::decode_batch(bytes.value())?))
    });
    collect_recent(rows, keep)
}

/// Creates an empty database beside `path` and renames it into place, so that a crash while
/// the file is being made leaves no half-made file that would not open.
/// Makes `path` readable and writable by its owner only (Unix; elsewhere nothing to do).
fn restrict_to_owner(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)?.permissions().mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & 0o700))?;
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

fn create_file(path: &Path) -> Result<(), StoreError> {
    let fresh = path.with_extension("redb-new");
    let io_error = |source| StoreError::Create {
        path: path.display().to_string(),
        source,
    };
    if fresh.exists() {
        std::fs::remove_file(&fresh).map_err(io_error)?;
    }
    {
        let database = Database::create(&fresh).map_err(|source| StoreError::Open {
            path: fresh.display().to_string(),
            source,
        })?;
        let transaction = database.begin_write()?;
        transaction.open_table(CONFIG)?;
        transaction.commit()?;
    }
    if let Err(error) = restrict_to_owner(&fresh) {
        warn!(%error, path = %fresh.display(), "cannot make the database readable by its owner only");
    }
    std::fs::rename(&fresh, path).map_err(io_error)?;
    // The rename itself must reach the disk.
    if let Some(directory) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        std::fs::File::open(directory)
            .and_then(|directory| directory.sync_all())
            .map_err(io_error)?;
    }
    Ok(())
}

fn is_counter_code(code: u16) -> bool {
    Quantity::from_code(code).is_some_and(Quantity::is_counter)
}

/// See [`RECENT_FLOOR_KEY`]; None when not known (a file written before it existed).
fn recent_floor(transaction: &WriteTransaction) -> Result<Option<i64>, StoreError> {
    let config = transaction.open_table(CONFIG)?;
    let floor = config.get(RECENT_FLOOR_KEY)?;
    Ok(floor.and_then(|record| record.value().parse().ok()))
}

/// The UTC day up to which gauge chunks were pruned, if any ever were.
fn pruned_until(transaction: &WriteTransaction) -> Result<Option<i64>, StoreError> {
    let config = transaction.open_table(CONFIG)?;
    let Some(record) = config.get(GAUGES_PRUNED_KEY)? else {
        return Ok(None);
    };
    record
        .value()
        .parse()
        .map(Some)
        .map_err(|_| StoreError::DamagedConfig(format!("{GAUGES_PRUNED_KEY}: {}", record.value())))
}

/// Deletes the gauge chunks of UTC days up to `until_day` (older than the retention).
fn prune_gauges(transaction: &WriteTransaction, until_day: i64) -> Result<(), StoreError> {
    let from_day = match pruned_until(transaction)? {
        Some(day) => day + 1,
        None => match transaction.open_table(CHUNKS)?.first()? {
            Some((key, _)) => i64::from(key.value().0),
            None => return Ok(()),
        },
    };
    if from_day > until_day {
        return Ok(());
    }
    let mut chunks = transaction.open_table(CHUNKS)?;
    let mut removed = 0usize;
    for day in from_day..=until_day {
        let day = day as i32;
        let mut gauges = Vec::new();
        for entry in chunks.range((day, 0, 0)..=(day, u16::MAX, u32::MAX))? {
            let (key, _) = entry?;
            let key = key.value();
            if !is_counter_code(key.1) {
                gauges.push(key);
            }
        }
        for key in gauges {
            chunks.remove(key)?;
            removed += 1;
        }
    }
    transaction
        .open_table(CONFIG)?
        .insert(GAUGES_PRUNED_KEY, until_day.to_string().as_str())?;
    if removed > 0 {
        tracing::debug!(
            removed,
            until_day,
            "10-minute gauge points past the retention removed"
        );
    }
    Ok(())
}

/// Adds slots to the roll-up rows.
fn write_contributions(
    transaction: &WriteTransaction,
    contributions: &Contributions,
) -> Result<(), StoreError> {
    let mut tables = [
        transaction.open_table(ROLLUP_HOUR)?,
        transaction.open_table(ROLLUP_DAY)?,
        transaction.open_table(ROLLUP_MONTH)?,
    ];
    for ((level, key), slots) in &contributions.rows {
        let table = &mut tables[*level as usize];
        let mut row = match table.get(*key)? {
            Some(bytes) => codec::decode_row(bytes.value())?,
            None => Vec::new(),
        };
        rollup::merge_into(&mut row, slots);
        table.insert(*key, codec::encode_row(&row).as_slice())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
