//! The JSON API, as seen from the browser: one function per endpoint, nothing else.
//!
//! Requests are same-origin, so the session cookie the server set (HttpOnly) travels by itself.
//! A locked session (423) is reported to the handler [`when_locked`] registered, whichever call
//! met it, so the lock screen appears wherever the user is.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_net::http::{Request, Response};
use serde::Deserialize;
use serde::Serialize;
use serde::de::DeserializeOwned;
use shared::{
    ApiError, CalendarDate, Commodity, ConsumptionHistogram, ConsumptionQuery, ConsumptionScopes,
    CsvSettings, DeviceConfig, DeviceInfo, DeviceStatistics, GatewayConfig, GatewayDiagnostics,
    GatewayInfo, HistogramPeriod, HourlyEnergy, LoadType, LoginRequest, MeasureGroup, PanelBoard,
    PasswordChange, PinChange, Reading, Recording, ServiceAccounts, SessionInfo, SetupRequest,
    SetupStatus, SiteConfig, UnlockRequest, UserAccount, UserForm,
};

/// Why a call failed: the HTTP status (0 when the server could not be reached) and the server's error.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub status: u16,
    pub error: ApiError,
    /// Seconds to wait before trying again, when the server said so (`Retry-After`).
    pub retry_after: Option<u64>,
}

impl Failure {
    /// The session is missing or has ended.
    pub fn is_unauthorized(&self) -> bool {
        self.status == 401
    }

    /// The session is locked (§8.1.4) until its user gives the password or PIN again.
    pub fn is_locked(&self) -> bool {
        self.status == 423
    }

    fn new(status: u16, code: &str, message: &str) -> Failure {
        Failure {
            status,
            error: ApiError {
                message: message.to_owned(),
                code: code.to_owned(),
                field: None,
                tries_left: None,
            },
            retry_after: None,
        }
    }

    fn network(detail: gloo_net::Error) -> Failure {
        Failure::new(0, "error.network", &detail.to_string())
    }

    /// A failure the server did not describe (or described in a body we cannot read).
    fn from_status(status: u16) -> Failure {
        let code = match status {
            401 => "error.unauthorized",
            403 => "error.forbidden",
            404 => "error.not_found",
            423 => "error.session_locked",
            429 => "error.too_many_attempts",
            400..=499 => "error.bad_request",
            _ => "error.internal",
        };
        Failure::new(status, code, &format!("HTTP {status}"))
    }
}

pub type ApiResult<T> = Result<T, Failure>;

thread_local! {
    static WHEN_LOCKED: RefCell<Option<Rc<dyn Fn()>>> = RefCell::new(None);
}

/// Registers what to do when any call finds the session locked (the app shows its lock screen).
pub fn when_locked(handler: impl Fn() + 'static) {
    WHEN_LOCKED.with_borrow_mut(|slot| *slot = Some(Rc::new(handler)));
}

async fn failure(response: Response) -> Failure {
    let status = response.status();
    if status == 423 {
        // Cloned out first: the handler may well start other calls.
        let handler = WHEN_LOCKED.with_borrow(Clone::clone);
        if let Some(handler) = handler {
            handler();
        }
    }
    let retry_after = response
        .headers()
        .get("Retry-After")
        .and_then(|seconds| seconds.trim().parse().ok());
    match response.json::<ApiError>().await {
        Ok(error) => Failure {
            status,
            error,
            retry_after,
        },
        Err(_) => Failure {
            retry_after,
            ..Failure::from_status(status)
        },
    }
}

async fn read<T: DeserializeOwned>(response: Response) -> ApiResult<T> {
    if response.ok() {
        let status = response.status();
        response
            .json::<T>()
            .await
            .map_err(|_| Failure::from_status(status.max(500)))
    } else {
        Err(failure(response).await)
    }
}

async fn get<T: DeserializeOwned>(url: &str) -> ApiResult<T> {
    let response = Request::get(url).send().await.map_err(Failure::network)?;
    read(response).await
}

async fn post<B: Serialize, T: DeserializeOwned>(url: &str, body: &B) -> ApiResult<T> {
    let request = Request::post(url)
        .json(body)
        .map_err(|_| Failure::from_status(400))?;
    let response = request.send().await.map_err(Failure::network)?;
    read(response).await
}

async fn put<B: Serialize, T: DeserializeOwned>(url: &str, body: &B) -> ApiResult<T> {
    let request = Request::put(url)
        .json(body)
        .map_err(|_| Failure::from_status(400))?;
    let response = request.send().await.map_err(Failure::network)?;
    read(response).await
}

async fn delete(url: &str) -> ApiResult<()> {
    let response = Request::delete(url)
        .send()
        .await
        .map_err(Failure::network)?;
    nothing(response).await
}

/// A `PUT` the server answers with 204 and no body.
async fn put_without_answer<B: Serialize>(url: &str, body: &B) -> ApiResult<()> {
    let request = Request::put(url)
        .json(body)
        .map_err(|_| Failure::from_status(400))?;
    let response = request.send().await.map_err(Failure::network)?;
    nothing(response).await
}

async fn nothing(response: Response) -> ApiResult<()> {
    if response.ok() {
        Ok(())
    } else {
        Err(failure(response).await)
    }
}

/// `GET /api/setup`.
pub async fn setup_status() -> ApiResult<SetupStatus> {
    get("/api/setup").await
}

/// `POST /api/setup`: creates the first administrator and logs them in.
pub async fn setup(request: &SetupRequest) -> ApiResult<SessionInfo> {
    post("/api/setup", request).await
}

/// `POST /api/login`.
pub async fn login(request: &LoginRequest) -> ApiResult<SessionInfo> {
    post("/api/login", request).await
}

/// `POST /api/logout`.
pub async fn logout() -> ApiResult<()> {
    let response = Request::post("/api/logout")
        .send()
        .await
        .map_err(Failure::network)?;
    nothing(response).await
}

/// `GET /api/session`: who is logged in (`None` when nobody is).
pub async fn session() -> ApiResult<Option<SessionInfo>> {
    get("/api/session").await
}

/// `POST /api/lock` (§8.1.4): the session stays open but answers 423 until unlocked.
pub async fn lock() -> ApiResult<SessionInfo> {
    let response = Request::post("/api/lock")
        .send()
        .await
        .map_err(Failure::network)?;
    read(response).await
}

/// `POST /api/unlock` with the password or the PIN; a wrong one answers 401 `error.unlock_failed`
/// (tries left in the message), the last wrong one closes the session (401 `error.unauthorized`).
pub async fn unlock(request: &UnlockRequest) -> ApiResult<SessionInfo> {
    post("/api/unlock", request).await
}

/// `PUT /api/account/password`: one's own password; one's other sessions are closed.
pub async fn change_password(change: &PasswordChange) -> ApiResult<()> {
    put_without_answer("/api/account/password", change).await
}

/// `PUT /api/account/pin`: chooses or clears the lock PIN.
pub async fn change_pin(change: &PinChange) -> ApiResult<SessionInfo> {
    put("/api/account/pin", change).await
}

/// `GET /api/users`.
pub async fn users() -> ApiResult<Vec<UserAccount>> {
    get("/api/users").await
}

/// `POST /api/users`.
pub async fn create_user(form: &UserForm) -> ApiResult<UserAccount> {
    post("/api/users", form).await
}

/// `PUT /api/users/{username}`: a password in the form resets the user's password.
pub async fn update_user(form: &UserForm) -> ApiResult<UserAccount> {
    put(&user_url(&form.username), form).await
}

/// `DELETE /api/users/{username}`.
pub async fn delete_user(username: &str) -> ApiResult<()> {
    delete(&user_url(username)).await
}

/// A user's address; the name is escaped since names may hold any letter.
fn user_url(username: &str) -> String {
    format!(
        "/api/users/{}",
        String::from(js_sys::encode_uri_component(username))
    )
}

/// `GET /api/config/services`: the accounts, secrets only saying whether they are stored.
pub async fn services() -> ApiResult<ServiceAccounts> {
    get("/api/config/services").await
}

/// `PUT /api/config/services`.
pub async fn update_services(accounts: &ServiceAccounts) -> ApiResult<ServiceAccounts> {
    put("/api/config/services", accounts).await
}

/// `GET /api/gateways`.
pub async fn gateways() -> ApiResult<Vec<GatewayInfo>> {
    get("/api/gateways").await
}

/// `GET /api/devices`.
pub async fn devices() -> ApiResult<Vec<DeviceInfo>> {
    get("/api/devices").await
}

/// `GET /api/devices/{id}`.
pub async fn device(id: u32) -> ApiResult<DeviceInfo> {
    get(&format!("/api/devices/{id}")).await
}

/// `GET /api/devices/{id}/energy/today`.
pub async fn energy_today(id: u32) -> ApiResult<HourlyEnergy> {
    get(&format!("/api/devices/{id}/energy/today")).await
}

/// `GET /api/devices/{id}/io`: an I/O module's inputs and outputs with labels and states.
pub async fn device_io(id: u32) -> ApiResult<shared::DeviceIo> {
    get(&format!("/api/devices/{id}/io")).await
}

/// `POST /api/devices/{id}/outputs/{output}`: switches or pulses an output (installers and
/// administrators); answers with what the device made of it.
pub async fn command_output(
    id: u32,
    output: u8,
    command: &shared::OutputCommand,
) -> ApiResult<shared::OutputResult> {
    post(&format!("/api/devices/{id}/outputs/{output}"), command).await
}

/// `GET /api/diagnostics`: bus statistics of every gateway and its devices (administrators and
/// installers only).
pub async fn diagnostics() -> ApiResult<Vec<GatewayDiagnostics>> {
    get("/api/diagnostics").await
}

/// A model as `GET /api/catalog` lists it. The family stays a string, so a family this build does
/// not know yet still shows (by its raw name).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ModelSummary {
    pub id: String,
    pub manufacturer: String,
    pub model: String,
    pub family: String,
    #[serde(default)]
    pub commodity: Option<Commodity>,
    #[serde(default)]
    pub phases: u8,
    #[serde(default)]
    pub channels: Option<u8>,
}

/// What a test of a gateway or a device found.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TestReport {
    pub ok: bool,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub latency_ms: Option<u64>,
    #[serde(default)]
    pub readings: Vec<Reading>,
}

/// `GET /api/catalog`: every model a device can be, the generic Modbus meter last.
pub async fn catalog() -> ApiResult<Vec<ModelSummary>> {
    get("/api/catalog").await
}

/// `GET /api/config`: the gateways and devices as configured.
pub async fn site_config() -> ApiResult<SiteConfig> {
    get("/api/config").await
}

/// `POST /api/config/gateways`: adds a Modbus TCP gateway.
pub async fn create_gateway(gateway: &GatewayConfig) -> ApiResult<GatewayConfig> {
    post("/api/config/gateways", gateway).await
}

/// `PUT /api/config/gateways/{id}`: changes a gateway (or switches it on or off).
pub async fn update_gateway(gateway: &GatewayConfig) -> ApiResult<GatewayConfig> {
    put(&format!("/api/config/gateways/{}", gateway.id), gateway).await
}

/// `DELETE /api/config/gateways/{id}`.
pub async fn delete_gateway(id: u32) -> ApiResult<()> {
    delete(&format!("/api/config/gateways/{id}")).await
}

/// `POST /api/config/gateways/{id}/test`.
pub async fn test_gateway(id: u32) -> ApiResult<TestReport> {
    let response = Request::post(&format!("/api/config/gateways/{id}/test"))
        .send()
        .await
        .map_err(Failure::network)?;
    read(response).await
}

/// `POST /api/config/devices`: adds a device (an empty name gets the default one).
pub async fn create_device(device: &DeviceConfig) -> ApiResult<DeviceConfig> {
    post("/api/config/devices", device).await
}

/// `PUT /api/config/devices/{id}`: changes a device (or switches it on or off).
pub async fn update_device(device: &DeviceConfig) -> ApiResult<DeviceConfig> {
    put(&format!("/api/config/devices/{}", device.id), device).await
}

/// `DELETE /api/config/devices/{id}`.
pub async fn delete_device(id: u32) -> ApiResult<()> {
    delete(&format!("/api/config/devices/{id}")).await
}

/// `POST /api/config/devices/test`: reads a device once, saved or not.
pub async fn test_device(device: &DeviceConfig) -> ApiResult<TestReport> {
    post("/api/config/devices/test", device).await
}

/// `POST /api/config/loads`: a user-made load type.
pub async fn create_load(load: &LoadType) -> ApiResult<LoadType> {
    post("/api/config/loads", load).await
}

/// `PUT /api/config/loads/{id}`.
pub async fn update_load(load: &LoadType) -> ApiResult<LoadType> {
    put(&format!("/api/config/loads/{}", load.id), load).await
}

/// `DELETE /api/config/loads/{id}`.
pub async fn delete_load(id: &str) -> ApiResult<()> {
    delete(&format!("/api/config/loads/{id}")).await
}

/// `POST /api/config/groups`.
pub async fn create_group(group: &MeasureGroup) -> ApiResult<MeasureGroup> {
    post("/api/config/groups", group).await
}

/// `PUT /api/config/groups/{id}`.
pub async fn update_group(group: &MeasureGroup) -> ApiResult<MeasureGroup> {
    put(&format!("/api/config/groups/{}", group.id), group).await
}

/// `DELETE /api/config/groups/{id}`.
pub async fn delete_group(id: &str) -> ApiResult<()> {
    delete(&format!("/api/config/groups/{id}")).await
}

/// `POST /api/config/panel-boards`.
pub async fn create_panel_board(board: &PanelBoard) -> ApiResult<PanelBoard> {
    post("/api/config/panel-boards", board).await
}

/// `PUT /api/config/panel-boards/{id}`.
pub async fn update_panel_board(board: &PanelBoard) -> ApiResult<PanelBoard> {
    put(&format!("/api/config/panel-boards/{}", board.id), board).await
}

/// `DELETE /api/config/panel-boards/{id}`.
pub async fn delete_panel_board(id: &str) -> ApiResult<()> {
    delete(&format!("/api/config/panel-boards/{id}")).await
}

/// `PUT /api/config/recording`: the sample rate.
pub async fn update_recording(recording: &Recording) -> ApiResult<Recording> {
    put("/api/config/recording", recording).await
}

/// `GET /api/consumption`: a histogram and the period before it.
pub async fn consumption(query: &ConsumptionQuery) -> ApiResult<ConsumptionHistogram> {
    get(&format!("/api/consumption?{}", query.to_query_string())).await
}

/// The address of `datalogger.csv` for the histogram `query` shows, with column names in
/// `language`.
pub fn datalogger_url(query: &ConsumptionQuery, language: &str) -> String {
    format!(
        "/api/consumption/datalogger.csv?{}&lang={language}",
        query.to_query_string()
    )
}

/// `GET /api/consumption/scopes`: the loads, groups and devices the consumption pages offer.
pub async fn consumption_scopes() -> ApiResult<ConsumptionScopes> {
    get("/api/consumption/scopes").await
}

/// `GET /api/devices/{id}/statistics`.
pub async fn device_statistics(
    id: u32,
    period: HistogramPeriod,
    date: Option<CalendarDate>,
) -> ApiResult<DeviceStatistics> {
    let date = date.map(|date| format!("&date={date}")).unwrap_or_default();
    get(&format!(
        "/api/devices/{id}/statistics?period={}{date}",
        period.as_str()
    ))
    .await
}

/// `PUT /api/config/csv`: the CSV separators.
pub async fn update_csv(settings: &CsvSettings) -> ApiResult<CsvSettings> {
    put("/api/config/csv", settings).await
}
