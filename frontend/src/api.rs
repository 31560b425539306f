//! The JSON API, as seen from the browser: one function per endpoint, nothing else.
//!
//! Requests are same-origin, so the session cookie the server set (HttpOnly) travels by itself.

use gloo_net::http::{Request, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use shared::{
    ApiError, DeviceInfo, GatewayInfo, HourlyEnergy, LoginRequest, SessionInfo, SetupRequest,
    SetupStatus,
};

/// Why a call failed: the HTTP status (0 when the server could not be reached) and the server's error.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub status: u16,
    pub error: ApiError,
}

impl Failure {
    /// The session is missing or has ended.
    pub fn is_unauthorized(&self) -> bool {
        self.status == 401
    }

    fn new(status: u16, code: &str, message: &str) -> Failure {
        Failure {
            status,
            error: ApiError {
                message: message.to_owned(),
                code: code.to_owned(),
                field: None,
            },
        }
    }

    fn network(detail: gloo_net::Error) -> Failure {
        Failure::new(0, "error.network", &detail.to_string())
    }

    /// A failure the server did not describe (or described in a body we cannot read).
    fn from_status(status: u16) -> Failure {
        let code = match status {
            401 => "error.unauthorized",
            404 => "error.not_found",
            400..=499 => "error.bad_request",
            _ => "error.internal",
        };
        Failure::new(status, code, &format!("HTTP {status}"))
    }
}

pub type ApiResult<T> = Result<T, Failure>;

async fn failure(response: Response) -> Failure {
    let status = response.status();
    match response.json::<ApiError>().await {
        Ok(error) => Failure { status, error },
        Err(_) => Failure::from_status(status),
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
    if response.ok() {
        Ok(())
    } else {
        Err(failure(response).await)
    }
}

/// `GET /api/session`: who is logged in (`None` when nobody is).
pub async fn session() -> ApiResult<Option<SessionInfo>> {
    get("/api/session").await
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
