//! The control API: switches faults on the running simulator over HTTP, so end-to-end tests and
//! people at a demo can break devices without restarting anything.
//!
//! It has no authentication: bind it to loopback (the default, `127.0.0.1:0`).
//!
//! | method and path            | body                                  | answer                        |
//! | -------------------------- | ------------------------------------- | ----------------------------- |
//! | `GET /faults`              |                                       | every device and the flags    |
//! | `DELETE /faults`           |                                       | all healed, as `GET /faults`  |
//! | `GET /faults/{bus}/{unit}` |                                       | one device                    |
//! | `PUT /faults/{bus}/{unit}` | a fault, e.g. `{"fault":"timeout"}`   | the device after the change   |
//! | `GET /tcp/drop`            |                                       | `{"drop":false}`              |
//! | `PUT /tcp/drop`            | `{"drop":true}`                       | `{"drop":true}`               |
//! | `GET /rtu/wire`            |                                       | `{"baud":null}`               |
//! | `PUT /rtu/wire`            | `{"baud":19200}` or `{"baud":null}`   | `{"baud":19200}`              |
//!
//! `{bus}` is `rtu` or `tcp`; `{unit}` the device's unit id. Faults: `{"fault":"healthy"}`,
//! `{"fault":"timeout"}`, `{"fault":"corrupt_crc"}`, `{"fault":"garbage"}`,
//! `{"fault":"slow_turnaround","delay_ms":800}`, `{"fault":"exception","code":4}`,
//! `{"fault":"wrong_unit"}` (answers under the next unit id up). A device reads
//! `{"unit":1,"model":"eastron-sdm630","fault":"timeout","requests":42}` (the fault's fields are
//! inline; `requests` counts the requests it has received). `GET /faults` answers
//! `{"rtu":[devices…],"tcp":[devices…],"tcp_drop":false,"rtu_wire_baud":null}`.
//!
//! Errors are JSON `{"message":"…"}`: 400 for a body or unit id that does not parse or a fault
//! that cannot be (exception code 0), 404 for an unknown bus, device or path.

use std::io;
use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tracing::{info, warn};

use crate::bus::{Bus, BusError};
use crate::fault::Fault;

/// The buses the API controls.
#[derive(Debug, Clone)]
struct Buses {
    rtu: Bus,
    tcp: Bus,
}

impl Buses {
    fn by_name(&self, name: &str) -> Result<&Bus, ApiError> {
        match name {
            "rtu" => Ok(&self.rtu),
            "tcp" => Ok(&self.tcp),
            _ => Err(ApiError::not_found(format!(
                "no bus {name:?}: use \"rtu\" or \"tcp\""
            ))),
        }
    }
}

/// One device as the API shows it.
#[derive(Debug, Serialize)]
struct DeviceView {
    unit: u8,
    model: String,
    #[serde(flatten)]
    fault: Fault,
    requests: u64,
}

#[derive(Debug, Serialize)]
struct Overview {
    rtu: Vec<DeviceView>,
    tcp: Vec<DeviceView>,
    tcp_drop: bool,
    rtu_wire_baud: Option<u32>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DropFlag {
    drop: bool,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireBaud {
    baud: Option<u32>,
}

/// An error answer: a status and `{"message": …}`.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    fn not_found(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::NOT_FOUND,
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        #[derive(Serialize)]
        struct Message {
            message: String,
        }
        let body = Json(Message {
            message: self.message,
        });
        (self.status, body).into_response()
    }
}

impl From<BusError> for ApiError {
    fn from(error: BusError) -> ApiError {
        match error {
            BusError::UnknownUnit(_) => ApiError::not_found(error.to_string()),
            _ => ApiError::bad_request(error.to_string()),
        }
    }
}

/// Parses a JSON body ourselves, so that every malformed body is a 400 with a JSON message
/// (axum's own extractor answers 415 or 422 in plain text).
fn parse_body<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|error| ApiError::bad_request(error.to_string()))
}

fn parse_unit(text: &str) -> Result<u8, ApiError> {
    text.parse().map_err(|_| {
        ApiError::bad_request(format!("unit id {text:?} is not a number from 0 to 255"))
    })
}

fn device_view(bus: &Bus, unit: u8) -> Result<DeviceView, ApiError> {
    let (Some(model), Some(fault)) = (bus.model(unit), bus.fault(unit)) else {
        return Err(BusError::UnknownUnit(unit).into());
    };
    Ok(DeviceView {
        unit,
        model,
        fault,
        requests: bus.requests(unit),
    })
}

fn devices(bus: &Bus) -> Vec<DeviceView> {
    bus.units()
        .into_iter()
        .filter_map(|unit| device_view(bus, unit).ok())
        .collect()
}

async fn overview(State(buses): State<Buses>) -> Json<Overview> {
    Json(Overview {
        rtu: devices(&buses.rtu),
        tcp: devices(&buses.tcp),
        tcp_drop: buses.tcp.drops_connections(),
        rtu_wire_baud: buses.rtu.wire_baud(),
    })
}

async fn heal_all(State(buses): State<Buses>) -> Json<Overview> {
    buses.rtu.heal();
    buses.tcp.heal();
    info!("every device healed through the control API");
    overview(State(buses)).await
}

async fn get_device(
    State(buses): State<Buses>,
    Path((bus, unit)): Path<(String, String)>,
) -> Result<Json<DeviceView>, ApiError> {
    let bus = buses.by_name(&bus)?;
    Ok(Json(device_view(bus, parse_unit(&unit)?)?))
}

async fn put_device(
    State(buses): State<Buses>,
    Path((name, unit)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<DeviceView>, ApiError> {
    let bus = buses.by_name(&name)?;
    let unit = parse_unit(&unit)?;
    let fault: Fault = parse_body(&body)?;
    bus.set_fault(unit, fault)?;
    info!(
        bus = name,
        unit,
        ?fault,
        "fault set through the control API"
    );
    Ok(Json(device_view(bus, unit)?))
}

async fn get_drop(State(buses): State<Buses>) -> Json<DropFlag> {
    Json(DropFlag {
        drop: buses.tcp.drops_connections(),
    })
}

async fn put_drop(State(buses): State<Buses>, body: Bytes) -> Result<Json<DropFlag>, ApiError> {
    let flag: DropFlag = parse_body(&body)?;
    buses.tcp.set_drop_connections(flag.drop);
    Ok(Json(flag))
}

async fn get_wire(State(buses): State<Buses>) -> Json<WireBaud> {
    Json(WireBaud {
        baud: buses.rtu.wire_baud(),
    })
}

async fn put_wire(State(buses): State<Buses>, body: Bytes) -> Result<Json<WireBaud>, ApiError> {
    let wire: WireBaud = parse_body(&body)?;
    buses.rtu.set_wire_baud(wire.baud);
    info!(baud = ?buses.rtu.wire_baud(), "wire time set through the control API");
    Ok(Json(WireBaud {
        baud: buses.rtu.wire_baud(),
    }))
}

async fn no_route() -> ApiError {
    ApiError::not_found("no such path; see GET /faults")
}

/// The control API over the RTU line's bus and the TCP gateway's bus.
pub fn control_router(rtu: Bus, tcp: Bus) -> Router {
    Router::new()
        .route("/faults", get(overview).delete(heal_all))
        .route("/faults/{bus}/{unit}", get(get_device).put(put_device))
        .route("/tcp/drop", get(get_drop).put(put_drop))
        .route("/rtu/wire", get(get_wire).put(put_wire))
        .fallback(no_route)
        .with_state(Buses { rtu, tcp })
}

/// Serves the control API on `address` (port 0 picks a free one) until the task is aborted.
/// Returns the bound address.
pub async fn start_control(
    address: SocketAddr,
    rtu: Bus,
    tcp: Bus,
) -> io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    if !address.ip().is_loopback() {
        warn!(%address, "the control API has no authentication and listens beyond loopback");
    }
    let listener = tokio::net::TcpListener::bind(address).await?;
    let bound = listener.local_addr()?;
    let app = control_router(rtu, tcp);
    let task = tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app).await {
            warn!(%error, "control API stopped");
        }
    });
    Ok((bound, task))
}
