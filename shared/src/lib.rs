//! What the gateway and its web front end agree on: the quantities a meter measures and their units,
//! the device catalog's data model, register value encodings, the JSON API's types, input validation
//! and the translation catalog.
//!
//! Everything here is pure (no I/O) and compiles for both the gateway and WebAssembly, so a rule
//! written once holds on both sides.

mod api;
mod catalog;
mod config_rules;
mod consumption;
mod encoding;
mod i18n;
mod installation;
mod output_rules;
mod quantity;
mod services;
mod site;
mod units;
mod users;
mod validation;

pub use api::{
    ApiError, DeviceDiagnostics, DeviceInfo, DeviceStatus, GatewayDiagnostics, GatewayInfo,
    GatewayKind, Health, HourlyEnergy, LiveMessage, LoginRequest, Reading, Role, SessionInfo,
    SetupRequest, SetupStatus,
};
pub use catalog::{
    Catalog, CatalogError, CatalogLoadError, Choice, ConfigRegister, DeviceProfile, Family,
    OutputKind, OutputSpec, Refresh, RegisterSpec, ScaleAppliedBy, ScaleRegister, validate_profile,
};
pub use config_rules::{
    BAUD_RATES, CONFIG_ERROR_CODES, FRAME_GAP_MAX_MS, GENERIC_MODEL, default_device_name,
    effective_gateway_name, min_frame_gap_ms, parse_register, validate_device, validate_gateway,
};
pub use consumption::{
    CONSUMPTION_ERROR_CODES, CSV_DECIMAL_SEPARATORS, CSV_FIELD_SEPARATORS, CalendarDate,
    ConsumptionHistogram, ConsumptionQuery, ConsumptionScope, ConsumptionScopes, CsvSettings,
    DeviceStatistics, HistogramBucket, HistogramPeriod, LoadStack, QuantityStatistics, ScopeDevice,
    StatisticsBucket, commodity_word, csv_number, csv_unit, datalogger_csv, days_in_month,
    parse_commodity, validate_csv_settings,
};
pub use encoding::{DecodeError, Encoding, ValueType, WordOrder};
pub use i18n::{Language, Translations};
pub use installation::{
    DEFAULT_SAMPLE_MINUTES, INSTALLATION_ERROR_CODES, LoadType, MAX_GROUPS_PER_DEVICE, MAX_LOADS,
    MAX_USER_LOADS, MeasureGroup, PanelBoard, Recording, SAMPLE_MINUTES, default_loads,
    next_load_id, validate_device_groups, validate_group, validate_load, validate_panel_board,
    validate_recording, with_predefined_loads,
};
pub use output_rules::{
    CommandRefused, DeviceIo, InputState, LABEL_MAX_CHARS, OUTPUT_ERROR_CODES, OutputAction,
    OutputCommand, OutputResult, OutputState, PULSE_MAX_MS, PULSE_MIN_MS, coil_state, input_key,
    io_inputs, label_keys, output_key, validate_label, validate_labels, validate_output_command,
};
pub use quantity::{Commodity, Quantity};
pub use services::{
    MailAccount, MailSecurity, SECRET_MAX_CHARS, SERVICE_ERROR_CODES, SERVICE_FIELD_MAX_CHARS,
    Secret, ServiceAccounts, SftpAccount, TelegramAccount, validate_service_accounts,
};
pub use site::{
    DeviceConfig, GatewayConfig, GatewayLink, GenericRegister, HanProtocol, IssuedIds, LOAD_TYPES,
    Parity, SiteConfig, SiteError, SupplyDirection,
};
pub use units::{Unit, format_scaled};
pub use users::{
    PIN_MAX_DIGITS, PIN_MIN_DIGITS, Page, PasswordChange, PinChange, USER_ERROR_CODES,
    UnlockRequest, UserAccount, UserContext, UserForm, effective_pages, validate_confirmation,
    validate_password_change, validate_pin, validate_pin_change, validate_user,
    validate_user_removal,
};
pub use validation::{
    FieldError, PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS, USERNAME_MAX_CHARS, VALIDATION_CODES,
    validate_login, validate_password, validate_setup, validate_username,
};
