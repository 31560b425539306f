//! The embedded database (redb, one file): users and time series.

mod recorder;
mod rollup;

use std::path::Path;

use redb::{Database, ReadableDatabase, ReadableTableMetadata, TableDefinition};
use serde::{Deserialize, Serialize};
use shared::{Quantity, Role};
use thiserror::Error;

pub use recorder::run as run_recorder;
pub use rollup::consumption_per_interval;

/// Samples by (device id, quantity code, Unix seconds).
const SAMPLES: TableDefinition<(u32, u16, i64), f64> = TableDefinition::new("samples");
/// Users by name, as JSON.
const USERS: TableDefinition<&str, &str> = TableDefinition::new("users");
/// Configuration documents by name, as JSON (`site`: gateways and devices).
const CONFIG: TableDefinition<&str, &str> = TableDefinition::new("config");
const SITE_KEY: &str = "site";

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
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

/// A user account as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredUser {
    pub username: String,
    pub role: Role,
    /// argon2id PHC string.
    pub password_hash: String,
}

/// One value to record.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    pub device_id: u32,
    pub quantity: Quantity,
    /// Unix seconds.
    pub time: i64,
    pub value: f64,
}

/// The database. Cheap to clone; every method is blocking (call it from `spawn_blocking` in async
/// code when it writes).
#[derive(Debug, Clone)]
pub struct Store {
    database: std::sync::Arc<Database>,
}

impl Store {
    /// Opens or creates the database file.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let database = Database::create(path).map_err(|source| StoreError::Open {
            path: path.display().to_string(),
            source,
        })?;
        let transaction = database.begin_write()?;
        transaction.open_table(SAMPLES)?;
        transaction.open_table(USERS)?;
        transaction.open_table(CONFIG)?;
        transaction.commit()?;
        Ok(Store {
            database: std::sync::Arc::new(database),
        })
    }

    /// How many user accounts exist.
    pub fn user_count(&self) -> Result<u64, StoreError> {
        let transaction = self.database.begin_read()?;
        Ok(transaction.open_table(USERS)?.len()?)
    }

    /// The user called `username`.
    pub fn user(&self, username: &str) -> Result<Option<StoredUser>, StoreError> {
        let transaction = self.database.begin_read()?;
        let table = transaction.open_table(USERS)?;
        let Some(record) = table.get(username)? else {
            return Ok(None);
        };
        serde_json::from_str(record.value())
            .map(Some)
            .map_err(|error| StoreError::DamagedUser(error.to_string()))
    }

    /// Creates the first administrator, atomically refusing when any user exists already (two
    /// browsers racing through setup cannot both win).
    pub fn create_first_administrator(&self, user: &StoredUser) -> Result<(), StoreError> {
        let record = serde_json::to_string(user)
            .map_err(|error| StoreError::DamagedUser(error.to_string()))?;
        let transaction = self.database.begin_write()?;
        {
            let mut table = transaction.open_table(USERS)?;
            if table.len()? > 0 {
                return Err(StoreError::SetupClosed);
            }
            table.insert(user.username.as_str(), record.as_str())?;
        }
        transaction.commit()?;
        Ok(())
    }

    /// The stored installation, if one was ever saved.
    pub fn site(&self) -> Result<Option<shared::SiteConfig>, StoreError> {
        let transaction = self.database.begin_read()?;
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
        let transaction = self.database.begin_write()?;
        transaction
            .open_table(CONFIG)?
            .insert(SITE_KEY, record.as_str())?;
        transaction.commit()?;
        Ok(())
    }

    /// Records samples in one transaction: all or none survive a power cut.
    pub fn record(&self, samples: &[Sample]) -> Result<(), StoreError> {
        let transaction = self.database.begin_write()?;
        {
            let mut table = transaction.open_table(SAMPLES)?;
            for sample in samples {
                table.insert(
                    (sample.device_id, sample.quantity.code(), sample.time),
                    sample.value,
                )?;
            }
        }
        transaction.commit()?;
        Ok(())
    }

    /// Samples of one series with `from <= time <= to`, oldest first, preceded by the last sample
    /// before `from` if any (needed to difference counters across the first boundary).
    pub fn series(
        &self,
        device_id: u32,
        quantity: Quantity,
        from: i64,
        to: i64,
    ) -> Result<Vec<(i64, f64)>, StoreError> {
        let transaction = self.database.begin_read()?;
        let table = transaction.open_table(SAMPLES)?;
        let code = quantity.code();
        let mut samples = Vec::new();
        if let Some(entry) = table
            .range((device_id, code, i64::MIN)..(device_id, code, from))?
            .next_back()
        {
            let (key, value) = entry?;
            samples.push((key.value().2, value.value()));
        }
        for entry in table.range((device_id, code, from)..=(device_id, code, to))? {
            let (key, value) = entry?;
            samples.push((key.value().2, value.value()));
        }
        Ok(samples)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("test.redb")).unwrap();
        (dir, store)
    }

    fn admin(name: &str) -> StoredUser {
        StoredUser {
            username: name.into(),
            role: Role::Administrator,
            password_hash: "$argon2id$x".into(),
        }
    }

    #[test]
    fn only_one_first_administrator() {
        let (_dir, store) = store();
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
    fn series_include_the_sample_before_the_range() {
        let (_dir, store) = store();
        let sample = |device_id, time, value| Sample {
            device_id,
            quantity: Quantity::ActiveEnergyImport,
            time,
            value,
        };
        store
            .record(&[
                sample(1, 10, 1.0),
                sample(1, 20, 2.0),
                sample(1, 30, 3.0),
                sample(2, 25, 9.0),
            ])
            .unwrap();
        assert_eq!(
            store
                .series(1, Quantity::ActiveEnergyImport, 15, 30)
                .unwrap(),
            vec![(10, 1.0), (20, 2.0), (30, 3.0)]
        );
        assert!(
            store
                .series(1, Quantity::ActivePower, 0, 100)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn data_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("test.redb");
        {
            let store = Store::open(&path).unwrap();
            store.create_first_administrator(&admin("alice")).unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.user_count().unwrap(), 1);
    }
}
