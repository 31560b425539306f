//! User accounts and the accounts of outside services, kept in the same file as the history so
//! one backup holds everything.

use redb::{ReadableTable, ReadableTableMetadata};
use serde::{Deserialize, Serialize};
use shared::{Page, Role, ServiceAccounts, UserAccount, effective_pages};

use super::{CONFIG, Store, StoreError, USERS};

/// Key of the outside services' accounts in the configuration table.
const SERVICES_KEY: &str = "services";

/// A user account as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredUser {
    pub username: String,
    pub role: Role,
    /// argon2id PHC string.
    pub password_hash: String,
    /// A custom user's pages (the built-in roles have theirs).
    #[serde(default)]
    pub pages: Vec<Page>,
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    /// A tenant's devices; `None`: every device.
    #[serde(default)]
    pub devices: Option<Vec<u32>>,
    /// argon2id PHC string of the lock PIN, if the user chose one.
    #[serde(default)]
    pub pin_hash: Option<String>,
}

fn enabled_by_default() -> bool {
    true
}

impl StoredUser {
    /// A new enabled account with every device and no PIN.
    pub fn new(username: &str, role: Role, password_hash: String) -> StoredUser {
        StoredUser {
            username: username.to_owned(),
            role,
            password_hash,
            pages: Vec::new(),
            enabled: true,
            devices: None,
            pin_hash: None,
        }
    }

    /// The account as the users page shows it: no password, no PIN.
    pub fn account(&self) -> UserAccount {
        UserAccount {
            username: self.username.clone(),
            role: self.role,
            pages: effective_pages(self.role, &self.pages),
            enabled: self.enabled,
            devices: self.devices.clone(),
            has_pin: self.pin_hash.is_some(),
        }
    }
}

fn decode_user(record: &str) -> Result<StoredUser, StoreError> {
    serde_json::from_str(record).map_err(|error| StoreError::DamagedUser(error.to_string()))
}

fn encode_user(user: &StoredUser) -> Result<String, StoreError> {
    serde_json::to_string(user).map_err(|error| StoreError::DamagedUser(error.to_string()))
}

impl Store {
    /// How many user accounts exist.
    pub fn user_count(&self) -> Result<u64, StoreError> {
        let transaction = self.snapshot()?;
        Ok(transaction.open_table(USERS)?.len()?)
    }

    /// The user called `username`.
    pub fn user(&self, username: &str) -> Result<Option<StoredUser>, StoreError> {
        let transaction = self.snapshot()?;
        let table = transaction.open_table(USERS)?;
        let Some(record) = table.get(username)? else {
            return Ok(None);
        };
        decode_user(record.value()).map(Some)
    }

    /// Every user, by name.
    pub fn users(&self) -> Result<Vec<StoredUser>, StoreError> {
        let transaction = self.snapshot()?;
        let table = transaction.open_table(USERS)?;
        table
            .iter()?
            .map(|entry| {
                let (_, record) = entry?;
                decode_user(record.value())
            })
            .collect()
    }

    /// Creates the first administrator, atomically refusing when any user exists already (two
    /// browsers racing through setup cannot both win).
    pub fn create_first_administrator(&self, user: &StoredUser) -> Result<(), StoreError> {
        let record = encode_user(user)?;
        let transaction = self.db().begin_write()?;
        {
            let mut table = transaction.open_table(USERS)?;
            if table.len()? > 0 {
                return Err(StoreError::SetupClosed);
            }
            table.insert(user.username.as_str(), record.as_str())?;
        }
        self.commit(transaction)?;
        Ok(())
    }

    /// Changes the users in one durable transaction: `change` sees every user as stored and may
    /// add, change or remove some; what it leaves is saved unless it fails. Write transactions
    /// run one at a time, so rules checked inside (such as "an administrator remains") hold
    /// even when two administrators change users at the same moment.
    pub fn change_users<T, E: From<StoreError>>(
        &self,
        change: impl FnOnce(&mut Vec<StoredUser>) -> Result<T, E>,
    ) -> Result<T, E> {
        let transaction = self.db().begin_write().map_err(StoreError::from)?;
        let answer = {
            let mut table = transaction.open_table(USERS).map_err(StoreError::from)?;
            let mut users = Vec::new();
            for entry in table.iter().map_err(StoreError::from)? {
                let (_, record) = entry.map_err(StoreError::from)?;
                users.push(decode_user(record.value())?);
            }
            let before: Vec<String> = users.iter().map(|user| user.username.clone()).collect();
            let answer = change(&mut users)?;
            for name in before {
                if !users.iter().any(|user| user.username == name) {
                    table.remove(name.as_str()).map_err(StoreError::from)?;
                }
            }
            for user in &users {
                table
                    .insert(user.username.as_str(), encode_user(user)?.as_str())
                    .map_err(StoreError::from)?;
            }
            answer
        };
        self.commit(transaction)?;
        Ok(answer)
    }

    /// The accounts of outside services, secrets included (never send them as they are).
    pub fn services(&self) -> Result<ServiceAccounts, StoreError> {
        let transaction = self.snapshot()?;
        let table = transaction.open_table(CONFIG)?;
        let Some(record) = table.get(SERVICES_KEY)? else {
            return Ok(ServiceAccounts::default());
        };
        serde_json::from_str(record.value())
            .map_err(|error| StoreError::DamagedConfig(error.to_string()))
    }

    /// Saves the accounts of outside services; durable when this returns.
    pub fn save_services(&self, services: &ServiceAccounts) -> Result<(), StoreError> {
        let record = serde_json::to_string(services)
            .map_err(|error| StoreError::DamagedConfig(error.to_string()))?;
        let transaction = self.db().begin_write()?;
        transaction
            .open_table(CONFIG)?
            .insert(SERVICES_KEY, record.as_str())?;
        self.commit(transaction)?;
        Ok(())
    }
}
