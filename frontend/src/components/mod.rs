//! Pieces shared by several pages.

mod chart;
mod header;
mod language;
mod lock;
mod shell;
mod status;

pub use chart::EnergyChart;
pub use header::Header;
pub use language::LanguagePicker;
pub use lock::{LOCKED_OUT_LOGIN, LockScreen};
pub use shell::Shell;
pub use status::StatusBadge;
