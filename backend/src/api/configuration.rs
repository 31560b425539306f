//! Gateways and devices as installers configure them (§7.16.1): list, create, change, delete,
//! switch on and off, and test. Every change is validated as a whole and saved before it applies.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use shared::{
    Commodity, DeviceConfig, Family, GENERIC_MODEL, GatewayConfig, GatewayLink, SiteConfig,
    default_device_name, effective_gateway_name, validate_device, validate_gateway,
};

use tracing::info;

use super::error::AppError;
use super::extract::{AppJson, AppPath, CurrentUser};
use crate::AppState;
use crate::LOCAL_GATEWAY_ID;
use crate::acquisition::TestReport;

/// A model as the "add device" form lists it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ModelSummary {
    pub id: String,
    pub manufacturer: String,
    pub model: String,
    pub family: Family,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commodity: Option<Commodity>,
    pub phases: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channels: Option<u8>,
}

/// `GET /api/catalog`: every model, plus the generic Modbus meter.
pub async fn catalog(
    State(state): State<AppState>,
    _user: CurrentUser,
) -> AppJson<Vec<ModelSummary>> {
    let mut models: Vec<ModelSummary> = state
        .configuration
        .catalog()
        .profiles()
        .iter()
        .map(|profile| ModelSummary {
            id: profile.id.clone(),
            manufacturer: profile.manufacturer.clone(),
            model: profile.model.clone(),
            family: profile.family,
            commodity: profile.commodity,
            phases: profile.phases,
            channels: profile.channels,
        })
        .collect();
    models.push(ModelSummary {
        id: GENERIC_MODEL.to_owned(),
        manufacturer: "Generic".to_owned(),
        model: "Modbus meter".to_owned(),
        family: Family::ElectricityMeter,
        commodity: Some(Commodity::Electricity),
        phases: 1,
        channels: None,
    });
    AppJson(models)
}

/// `GET /api/config`: the whole installation.
pub async fn site(State(state): State<AppState>, _user: CurrentUser) -> AppJson<SiteConfig> {
    AppJson((*state.configuration.current()).clone())
}

fn normalise_gateway(gateway: &mut GatewayConfig) {
    gateway.name = effective_gateway_name(gateway);
    gateway.description = gateway.description.trim().to_owned();
    if let GatewayLink::ModbusTcp { host, .. } = &mut gateway.link {
        *host = host.trim().to_owned();
    }
}

/// `POST /api/config/gateways`: adds a Modbus TCP gateway (the Local one always exists).
pub async fn create_gateway(
    State(state): State<AppState>,
    user: CurrentUser,
    AppJson(mut gateway): AppJson<GatewayConfig>,
) -> Result<(StatusCode, AppJson<GatewayConfig>), AppError> {
    if matches!(gateway.link, GatewayLink::Local { .. }) {
        return Err(AppError::Conflict(
            "error.gateway_kind_fixed",
            "There is one Local gateway; add Modbus TCP gateways only.",
        ));
    }
    normalise_gateway(&mut gateway);
    let created = state
        .configuration
        .update(move |site, _| {
            gateway.id = site.issue_gateway_id();
            validate_gateway(&gateway, site)?;
            site.gateways.push(gateway.clone());
            Ok(gateway)
        })
        .await?;
    info!(user = %user.username(), "gateway created");
    Ok((StatusCode::CREATED, AppJson(created)))
}

/// `PUT /api/config/gateways/{id}`: changes a gateway's settings or switches it on or off.
pub async fn update_gateway(
    State(state): State<AppState>,
    user: CurrentUser,
    AppPath(id): AppPath<u32>,
    AppJson(mut gateway): AppJson<GatewayConfig>,
) -> Result<AppJson<GatewayConfig>, AppError> {
    gateway.id = id;
    normalise_gateway(&mut gateway);
    let updated = state
        .configuration
        .update(move |site, _| {
            let index = site
                .gateways
                .iter()
                .position(|g| g.id == id)
                .ok_or(AppError::NotFound)?;
            let same_kind = std::mem::discriminant(&site.gateways[index].link)
                == std::mem::discriminant(&gateway.link);
            if !same_kind {
                return Err(AppError::Conflict(
                    "error.gateway_kind_fixed",
                    "A gateway's type cannot change; create another gateway instead.",
                ));
            }
            validate_gateway(&gateway, site)?;
            site.gateways[index] = gateway.clone();
            Ok(gateway)
        })
        .await?;
    info!(user = %user.username(), "gateway changed");
    Ok(AppJson(updated))
}

/// `DELETE /api/config/gateways/{id}`: only a gateway without devices, never the Local one.
pub async fn delete_gateway(
    State(state): State<AppState>,
    user: CurrentUser,
    AppPath(id): AppPath<u32>,
) -> Result<StatusCode, AppError> {
    state
        .configuration
        .update(move |site, _| {
            if !site.gateways.iter().any(|g| g.id == id) {
                return Err(AppError::NotFound);
            }
            if id == LOCAL_GATEWAY_ID {
                return Err(AppError::Conflict(
                    "error.gateway_local_permanent",
                    "The Local gateway cannot be deleted; switch it off instead.",
                ));
            }
            if site.devices.iter().any(|d| d.gateway == id) {
                return Err(AppError::Conflict(
                    "error.gateway_has_devices",
                    "Delete the devices of this gateway first.",
                ));
            }
            site.gateways.retain(|g| g.id != id);
            Ok(())
        })
        .await?;
    info!(user = %user.username(), "gateway deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/config/gateways/{id}/test`: does the link open?
pub async fn test_gateway(
    State(state): State<AppState>,
    _user: CurrentUser,
    AppPath(id): AppPath<u32>,
) -> Result<AppJson<TestReport>, AppError> {
    let site = state.configuration.current();
    let gateway = site
        .gateways
        .iter()
        .find(|g| g.id == id)
        .ok_or(AppError::NotFound)?;
    Ok(AppJson(state.acquisition.test_gateway(gateway).await))
}

/// Fills what the installer may leave out: the default name (§7.16.1.5) and the automatic load
/// type of water and gas counters.
fn normalise_device(device: &mut DeviceConfig, site: &SiteConfig) {
    device.name = device.name.trim().to_owned();
    if device.name.is_empty() {
        device.name = default_device_name(device, site);
    }
    match device.commodity {
        Some(Commodity::Water) => device.load_type = "water".to_owned(),
        Some(Commodity::Gas) => device.load_type = "gas".to_owned(),
        _ => {}
    }
}

/// `POST /api/config/devices`.
pub async fn create_device(
    State(state): State<AppState>,
    user: CurrentUser,
    AppJson(mut device): AppJson<DeviceConfig>,
) -> Result<(StatusCode, AppJson<DeviceConfig>), AppError> {
    let created = state
        .configuration
        .update(move |site, catalog| {
            device.id = site.issue_device_id();
            normalise_device(&mut device, site);
            validate_device(&device, site, catalog)?;
            site.devices.push(device.clone());
            Ok(device)
        })
        .await?;
    info!(user = %user.username(), "device created");
    Ok((StatusCode::CREATED, AppJson(created)))
}

/// `PUT /api/config/devices/{id}`: changes a device's settings or switches it on or off.
pub async fn update_device(
    State(state): State<AppState>,
    user: CurrentUser,
    AppPath(id): AppPath<u32>,
    AppJson(mut device): AppJson<DeviceConfig>,
) -> Result<AppJson<DeviceConfig>, AppError> {
    device.id = id;
    let updated = state
        .configuration
        .update(move |site, catalog| {
            let index = site
                .devices
                .iter()
                .position(|d| d.id == id)
                .ok_or(AppError::NotFound)?;
            normalise_device(&mut device, site);
            validate_device(&device, site, catalog)?;
            site.devices[index] = device.clone();
            Ok(device)
        })
        .await?;
    info!(user = %user.username(), "device changed");
    Ok(AppJson(updated))
}

/// `DELETE /api/config/devices/{id}`.
pub async fn delete_device(
    State(state): State<AppState>,
    user: CurrentUser,
    AppPath(id): AppPath<u32>,
) -> Result<StatusCode, AppError> {
    state
        .configuration
        .update(move |site, _| {
            let before = site.devices.len();
            site.devices.retain(|d| d.id != id);
            if site.devices.len() == before {
                return Err(AppError::NotFound);
            }
            Ok(())
        })
        .await?;
    info!(user = %user.username(), "device deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/config/devices/test`: reads a device once, saved or not, and shows what came back.
pub async fn test_device(
    State(state): State<AppState>,
    _user: CurrentUser,
    AppJson(mut device): AppJson<DeviceConfig>,
) -> Result<AppJson<TestReport>, AppError> {
    let site = state.configuration.current();
    normalise_device(&mut device, &site);
    // Testing an unsaved device may reuse a saved device's address or name: only the rules
    // about the device itself matter here.
    let mut alone = (*site).clone();
    alone.devices.clear();
    validate_device(&device, &alone, state.configuration.catalog())?;
    Ok(AppJson(
        state
            .acquisition
            .test_device(&device, &site, state.configuration.catalog())
            .await,
    ))
}
