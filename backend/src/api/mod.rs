//! The JSON API and the WebSocket, under `/api`.
//!
//! [`endpoints`] lists every route with its access rule; the router and the OpenAPI document
//! (`GET /api/openapi.json`) are both built from that list.

mod account;
mod configuration;
mod consumption;
mod devices;
pub mod endpoints;
mod error;
mod extract;
mod installation;
mod live;
mod openapi;
mod outputs;
mod services;
mod users;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use shared::{
    Commodity, ConsumptionHistogram, CsvSettings, DeviceConfig, DeviceInfo, DeviceStatistics,
    GatewayConfig, GatewayDiagnostics, GatewayInfo, Health, HistogramPeriod, HourlyEnergy,
    LiveMessage, LoadType, LoginRequest, MeasureGroup, Page, PanelBoard, PasswordChange, PinChange,
    Recording, ServiceAccounts, SessionInfo, SetupRequest, SetupStatus, SiteConfig, UnlockRequest,
    UserAccount, UserForm,
};

pub use endpoints::{Access, Endpoint};
pub use error::AppError;

use crate::AppState;
use crate::acquisition::TestReport;

/// Request bodies are small forms; refuse anything larger before parsing it.
const BODY_LIMIT_BYTES: usize = 64 * 1024;

/// Configuring the installation: gateways, devices, loads, groups, panel boards, diagnostics.
const SYSTEM: Access = Access::Pages(&[Page::System]);
/// Live values of devices: My panel board, and the configuration pages that show statuses.
const LIVE: Access = Access::Pages(&[Page::PanelBoard, Page::System]);
/// Histograms, statistics and their CSV.
const CONSUMPTION: Access = Access::Pages(&[Page::Consumption]);
/// The CSV separators: read by the consumption pages, set in the configuration.
const CSV_READ: Access = Access::Pages(&[Page::Consumption, Page::System]);
/// Managing users: administrators and greenUp only.
const USERS: Access = Access::Pages(&[Page::Users]);
/// The box's own settings and the accounts of outside services.
const WEB_SERVER: Access = Access::Pages(&[Page::WebServer]);

/// Every `/api` endpoint. Adding a route means adding it here, with its access rule.
pub fn endpoints() -> Vec<Endpoint> {
    use Access::{Account, Public, Session};
    vec![
        // Account and session.
        Endpoint::get("/api/health", Public, account::health)
            .describe("account", "health", "Server status; whether first-run setup is pending")
            .returns::<Health>(200),
        Endpoint::get("/api/setup", Public, account::setup_status)
            .describe("account", "setupStatus", "Whether the one-time setup is still open")
            .returns::<SetupStatus>(200),
        Endpoint::post("/api/setup", Public, account::setup)
            .describe(
                "account",
                "setup",
                "Creates the first administrator with the one-time token the server printed, and logs in",
            )
            .accepts::<SetupRequest>()
            .returns::<SessionInfo>(201),
        Endpoint::post("/api/login", Public, account::login)
            .describe("account", "login", "Opens a session (HttpOnly cookie)")
            .accepts::<LoginRequest>()
            .returns::<SessionInfo>(200),
        Endpoint::post("/api/logout", Public, account::logout)
            .describe("account", "logout", "Closes the session on the server and clears the cookie")
            .returns_nothing(204),
        Endpoint::get("/api/session", Public, account::session)
            .describe("account", "session", "Who is logged in; null without a session")
            .returns::<Option<SessionInfo>>(200),
        Endpoint::post("/api/lock", Session, account::lock)
            .describe(
                "account",
                "lock",
                "Locks the session (§8.1.4): it stays open but answers 423 until unlocked",
            )
            .returns::<SessionInfo>(200),
        Endpoint::post("/api/unlock", Session, account::unlock)
            .describe(
                "account",
                "unlock",
                "Unlocks a locked session with the user's password or PIN; five wrong ones close it",
            )
            .accepts::<UnlockRequest>()
            .returns::<SessionInfo>(200),
        Endpoint::put("/api/account/password", Account, account::change_password)
            .describe(
                "account",
                "changePassword",
                "Changes one's own password; one's other sessions are closed",
            )
            .accepts::<PasswordChange>()
            .returns_nothing(204),
        Endpoint::put("/api/account/pin", Account, account::change_pin)
            .describe(
                "account",
                "changePin",
                "Chooses (4 to 8 digits) or clears the PIN that unlocks one's locked session",
            )
            .accepts::<PinChange>()
            .returns::<SessionInfo>(200),
        Endpoint::get("/api/openapi.json", Public, openapi::serve)
            .describe("account", "openapi", "This document (OpenAPI 3.1)")
            .returns::<serde_json::Value>(200),
        // Users (§8.1.2, §8.1.3) and the Web Server configuration.
        Endpoint::get("/api/users", USERS, users::list)
            .describe("users", "listUsers", "Every user with role, pages, devices and state; never a password")
            .returns::<Vec<UserAccount>>(200),
        Endpoint::post("/api/users", USERS, users::create)
            .describe(
                "users",
                "createUser",
                "Adds a user: a built-in role or chosen pages, optionally limited to some devices (a tenant)",
            )
            .accepts::<UserForm>()
            .returns::<UserAccount>(201),
        Endpoint::put("/api/users/{username}", USERS, users::update)
            .describe(
                "users",
                "updateUser",
                "Changes a user, disables them or resets their password (their sessions close); an enabled administrator always remains",
            )
            .path_parameter::<String>("username", "User name")
            .accepts::<UserForm>()
            .returns::<UserAccount>(200),
        Endpoint::delete("/api/users/{username}", USERS, users::delete)
            .describe("users", "deleteUser", "Erases a user (never the last administrator)")
            .path_parameter::<String>("username", "User name")
            .returns_nothing(204),
        Endpoint::get("/api/config/services", WEB_SERVER, services::get)
            .describe(
                "web server",
                "getServiceAccounts",
                "E-mail, SFTP and Telegram accounts; passwords and tokens only say whether they are set",
            )
            .returns::<ServiceAccounts>(200),
        Endpoint::put("/api/config/services", WEB_SERVER, services::update)
            .describe(
                "web server",
                "updateServiceAccounts",
                "Sets the accounts; a secret with a value replaces the stored one, set=false erases it, set=true without a value keeps it",
            )
            .accepts::<ServiceAccounts>()
            .returns::<ServiceAccounts>(200),
        // Live values.
        Endpoint::get("/api/gateways", LIVE, devices::gateways)
            .describe("live", "listGateways", "Gateways as My panel board groups devices")
            .returns::<Vec<GatewayInfo>>(200),
        Endpoint::get("/api/devices", LIVE, devices::devices)
            .describe("live", "listDevices", "Every device with its status and latest values")
            .returns::<Vec<DeviceInfo>>(200),
        Endpoint::get("/api/devices/{id}", LIVE, devices::device)
            .describe("live", "getDevice", "One device with its status and latest values")
            .path_parameter::<u32>("id", "Device id")
            .returns::<DeviceInfo>(200),
        Endpoint::get("/api/devices/{id}/energy/today", LIVE, devices::energy_today)
            .describe(
                "history",
                "energyToday",
                "Active energy imported per hour since local midnight",
            )
            .path_parameter::<u32>("id", "Device id")
            .returns::<HourlyEnergy>(200),
        Endpoint::get("/api/live", LIVE, live::live)
            .describe(
                "live",
                "liveUpdates",
                "WebSocket: every change of a device's status or values, as it happens",
            )
            .websocket::<LiveMessage>(),
        Endpoint::get("/api/diagnostics", SYSTEM, devices::diagnostics)
            .describe(
                "diagnostics",
                "busDiagnostics",
                "Bus statistics per gateway and device: requests/s, reply times, errors, back-off",
            )
            .returns::<Vec<GatewayDiagnostics>>(200),
        // Configuration of the installation.
        Endpoint::get("/api/catalog", SYSTEM, configuration::catalog)
            .describe("configuration", "listModels", "Device models the catalog knows")
            .returns::<Vec<configuration::ModelSummary>>(200),
        Endpoint::get("/api/config", SYSTEM, configuration::site)
            .describe("configuration", "getInstallation", "Gateways and devices as configured")
            .returns::<SiteConfig>(200),
        Endpoint::post("/api/config/gateways", SYSTEM, configuration::create_gateway)
            .describe("configuration", "createGateway", "Adds a Modbus TCP gateway or a smart meter (HAN/P1) port")
            .accepts::<GatewayConfig>()
            .returns::<GatewayConfig>(201),
        Endpoint::put("/api/config/gateways/{id}", SYSTEM, configuration::update_gateway)
            .describe(
                "configuration",
                "updateGateway",
                "Changes a gateway's settings or switches it on or off",
            )
            .path_parameter::<u32>("id", "Gateway id")
            .accepts::<GatewayConfig>()
            .returns::<GatewayConfig>(200),
        Endpoint::delete("/api/config/gateways/{id}", SYSTEM, configuration::delete_gateway)
            .describe(
                "configuration",
                "deleteGateway",
                "Removes a gateway that has no devices (the Local gateway stays)",
            )
            .path_parameter::<u32>("id", "Gateway id")
            .returns_nothing(204),
        Endpoint::post(
            "/api/config/gateways/{id}/test",
            SYSTEM,
            configuration::test_gateway,
        )
        .describe("configuration", "testGateway", "Checks that the gateway answers")
        .path_parameter::<u32>("id", "Gateway id")
        .returns::<TestReport>(200),
        Endpoint::post("/api/config/devices", SYSTEM, configuration::create_device)
            .describe("configuration", "createDevice", "Adds a device to a gateway")
            .accepts::<DeviceConfig>()
            .returns::<DeviceConfig>(201),
        Endpoint::put("/api/config/devices/{id}", SYSTEM, configuration::update_device)
            .describe("configuration", "updateDevice", "Changes a device or switches it on or off")
            .path_parameter::<u32>("id", "Device id")
            .accepts::<DeviceConfig>()
            .returns::<DeviceConfig>(200),
        Endpoint::delete("/api/config/devices/{id}", SYSTEM, configuration::delete_device)
            .describe("configuration", "deleteDevice", "Removes a device (its history stays)")
            .path_parameter::<u32>("id", "Device id")
            .returns_nothing(204),
        // Loads, groups, panel boards and the sample rate.
        Endpoint::post("/api/config/loads", SYSTEM, installation::create_load)
            .describe("installation", "createLoad", "Adds a user-made load type (14 at most)")
            .accepts::<LoadType>()
            .returns::<LoadType>(201),
        Endpoint::put("/api/config/loads/{id}", SYSTEM, installation::update_load)
            .describe(
                "installation",
                "updateLoad",
                "Renames a user-made load type, or switches any load type on or off",
            )
            .path_parameter::<String>("id", "Load type id")
            .accepts::<LoadType>()
            .returns::<LoadType>(200),
        Endpoint::delete("/api/config/loads/{id}", SYSTEM, installation::delete_load)
            .describe(
                "installation",
                "deleteLoad",
                "Erases a user-made load type; its devices go back to \"others\"",
            )
            .path_parameter::<String>("id", "Load type id")
            .returns_nothing(204),
        Endpoint::post("/api/config/groups", SYSTEM, installation::create_group)
            .describe("installation", "createGroup", "Adds a measure group")
            .accepts::<MeasureGroup>()
            .returns::<MeasureGroup>(201),
        Endpoint::put("/api/config/groups/{id}", SYSTEM, installation::update_group)
            .describe(
                "installation",
                "updateGroup",
                "Changes a measure group or switches it on or off",
            )
            .path_parameter::<u32>("id", "Measure group id")
            .accepts::<MeasureGroup>()
            .returns::<MeasureGroup>(200),
        Endpoint::delete("/api/config/groups/{id}", SYSTEM, installation::delete_group)
            .describe(
                "installation",
                "deleteGroup",
                "Erases a measure group; its devices leave it",
            )
            .path_parameter::<u32>("id", "Measure group id")
            .returns_nothing(204),
        Endpoint::post("/api/config/panel-boards", SYSTEM, installation::create_panel_board)
            .describe("installation", "createPanelBoard", "Adds a panel board")
            .accepts::<PanelBoard>()
            .returns::<PanelBoard>(201),
        Endpoint::put(
            "/api/config/panel-boards/{id}",
            SYSTEM,
            installation::update_panel_board,
        )
        .describe(
            "installation",
            "updatePanelBoard",
            "Changes a panel board, the gateways on it, or switches it on or off",
        )
        .path_parameter::<u32>("id", "Panel board id")
        .accepts::<PanelBoard>()
        .returns::<PanelBoard>(200),
        Endpoint::delete(
            "/api/config/panel-boards/{id}",
            SYSTEM,
            installation::delete_panel_board,
        )
        .describe(
            "installation",
            "deletePanelBoard",
            "Erases a panel board; its gateways are on no board",
        )
        .path_parameter::<u32>("id", "Panel board id")
        .returns_nothing(204),
        Endpoint::put("/api/config/recording", SYSTEM, installation::update_recording)
            .describe(
                "installation",
                "updateRecording",
                "Sets the sample rate: 1, 5, 10, 15, 30 or 60 minutes",
            )
            .accepts::<Recording>()
            .returns::<Recording>(200),
        Endpoint::post("/api/config/devices/test", SYSTEM, configuration::test_device)
            .describe(
                "configuration",
                "testDevice",
                "Reads a device once, saved or not, and shows what came back or why nothing did",
            )
            .accepts::<DeviceConfig>()
            .returns::<TestReport>(200),
        // Consumption pages (§8.2.2) and their CSV (§8.2.2.6, §8.4.1).
        Endpoint::get("/api/consumption", CONSUMPTION, consumption::consumption_get)
            .describe(
                "history",
                "getConsumption",
                "Consumption of the grand total, a load, a measure group or a device per hour, day, month or year of a period, with the period before and, for the grand total, the part of each load",
            )
            .query_parameter::<String>("scope", false, "total (default), load/<id>, group/<id> or device/<id>")
            .query_parameter::<Commodity>("commodity", false, "electricity (default), gas, water or heat; a device scope uses the device's own")
            .query_parameter::<HistogramPeriod>("period", false, "day (default, per hour), month (per day), year (per month) or decade (per year)")
            .query_parameter::<String>("date", false, "Any day of the period, YYYY-MM-DD (default today, local time)")
            .returns::<ConsumptionHistogram>(200),
        Endpoint::get("/api/consumption/datalogger.csv", CONSUMPTION, consumption::datalogger_get)
            .describe(
                "history",
                "downloadConsumption",
                "datalogger.csv: the bars of the same histogram, with the installation's CSV separators",
            )
            .query_parameter::<String>("scope", false, "As for /api/consumption")
            .query_parameter::<Commodity>("commodity", false, "As for /api/consumption")
            .query_parameter::<HistogramPeriod>("period", false, "As for /api/consumption")
            .query_parameter::<String>("date", false, "As for /api/consumption")
            .query_parameter::<String>("lang", false, "Language of the column names: en (default) or fr")
            .returns_text(200, "text/csv"),
        Endpoint::get("/api/consumption/scopes", CONSUMPTION, consumption::scopes_get)
            .describe(
                "history",
                "listConsumptionScopes",
                "The load types, measure groups and devices the consumption pages can show, and the CSV separators",
            )
            .returns::<shared::ConsumptionScopes>(200),
        Endpoint::get("/api/devices/{id}/statistics", CONSUMPTION, consumption::statistics_get)
            .describe(
                "history",
                "getDeviceStatistics",
                "Minimum, mean and maximum per bar of each quantity the device measures (power, voltages, currents …)",
            )
            .path_parameter::<u32>("id", "Device id")
            .query_parameter::<HistogramPeriod>("period", false, "day (default), month, year or decade")
            .query_parameter::<String>("date", false, "Any day of the period, YYYY-MM-DD (default today)")
            .returns::<DeviceStatistics>(200),
        Endpoint::get("/api/config/csv", CSV_READ, consumption::csv_get)
            .describe("installation", "getCsvSettings", "The CSV files' field and decimal separators")
            .returns::<CsvSettings>(200),
        Endpoint::put("/api/config/csv", SYSTEM, consumption::csv_update)
            .describe(
                "installation",
                "updateCsvSettings",
                "Sets the CSV separators: field ; , or tab, decimal , or . (different from each other)",
            )
            .accepts::<CsvSettings>()
            .returns::<CsvSettings>(200),
        // Inputs and outputs of I/O modules.
        Endpoint::get("/api/devices/{id}/io", LIVE, outputs::device_io_get)
            .describe(
                "live",
                "getDeviceIo",
                "Inputs and outputs of a device with their labels and latest states",
            )
            .path_parameter::<u32>("id", "Device id")
            .returns::<shared::DeviceIo>(200),
        Endpoint::post(
            "/api/devices/{id}/outputs/{output}",
            SYSTEM,
            outputs::output_command,
        )
        .describe(
            "live",
            "commandOutput",
            "Switches an output on or off or pulses it, before the gateway's next read; answers with the device's confirmation or why not",
        )
        .path_parameter::<u32>("id", "Device id")
        .path_parameter::<u8>("output", "Output number (1-based)")
        .accepts::<shared::OutputCommand>()
        .returns::<shared::OutputResult>(200),
    ]
}

/// The router of every endpoint, each behind the guard of its access rule.
pub fn routes(state: &AppState) -> Router<AppState> {
    endpoints()
        .into_iter()
        .fold(Router::new(), |router, endpoint| {
            let access = endpoint.access;
            let guarded = endpoint.handler.route_layer(from_fn_with_state(
                state.clone(),
                move |State(state): State<AppState>, request: Request, next: Next| {
                    guard(access, state, request, next)
                },
            ));
            router.route(endpoint.path, guarded)
        })
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
}

/// Lets a request through only when its session passes the endpoint's access rule, and leaves
/// the session in the request for the handler.
async fn guard(access: Access, state: AppState, mut request: Request, next: Next) -> Response {
    let user = extract::CurrentUser::find(request.headers(), &state);
    match access.check(user.as_ref().map(|user| &user.session)) {
        Ok(()) => {
            if let Some(user) = user {
                request.extensions_mut().insert(user);
            }
            next.run(request).await
        }
        Err(error) => error.into_response(),
    }
}
