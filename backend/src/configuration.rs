//! The installation (gateways and devices) as configured through the API: validated, saved in the
//! store, and announced to the acquisition so it follows every change without a restart.

use std::sync::Arc;

use shared::{Catalog, SiteConfig};
use tokio::sync::{Mutex, watch};

use crate::api::AppError;
use crate::store::Store;

/// The current installation and the way to change it.
#[derive(Debug, Clone)]
pub struct Configuration {
    store: Store,
    catalog: Arc<Catalog>,
    current: watch::Sender<Arc<SiteConfig>>,
    /// One change at a time: two installers saving at once must not lose one of the edits.
    writer: Arc<Mutex<()>>,
}

impl Configuration {
    pub fn new(store: Store, catalog: Arc<Catalog>, mut site: SiteConfig) -> Configuration {
        // An installation saved by an older version gains the predefined load types.
        site.loads = shared::with_predefined_loads(&site.loads);
        let (current, _) = watch::channel(Arc::new(site));
        Configuration {
            store,
            catalog,
            current,
            writer: Arc::new(Mutex::new(())),
        }
    }

    /// The installation now.
    pub fn current(&self) -> Arc<SiteConfig> {
        self.current.borrow().clone()
    }

    /// The device catalog.
    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.catalog
    }

    /// Follows every change.
    pub fn subscribe(&self) -> watch::Receiver<Arc<SiteConfig>> {
        self.current.subscribe()
    }

    /// Applies `change` to a copy of the installation; the copy is checked as a whole, saved, and
    /// only then made current. A rejected change leaves everything as it was.
    pub async fn update<T>(
        &self,
        change: impl FnOnce(&mut SiteConfig, &Catalog) -> Result<T, AppError>,
    ) -> Result<T, AppError> {
        let _one_at_a_time = self.writer.lock().await;
        let mut site = (*self.current()).clone();
        let result = change(&mut site, &self.catalog)?;
        site.validate()
            .map_err(|error| AppError::BadRequest(error.to_string()))?;
        let store = self.store.clone();
        let saved = site.clone();
        tokio::task::spawn_blocking(move || store.save_site(&saved)).await??;
        self.current.send_replace(Arc::new(site));
        Ok(result)
    }
}
