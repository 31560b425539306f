//! How the installation is described beyond its gateways and devices (§7.16.2, §7.16.4): load
//! types, measure groups and panel boards, and how often values are recorded.
//!
//! The consumption pages total devices by load, by group and by panel board; these records are
//! what they group by. The rules live here once: the browser runs them as the user types and the
//! server runs them again before saving.

use serde::{Deserialize, Serialize};

use crate::config_rules::{DESCRIPTION_MAX_CHARS, NAME_MAX_CHARS};
use crate::site::{LOAD_TYPES, SiteConfig};
use crate::validation::FieldError;

/// Most load types, predefined included (§7.16.2.2).
pub const MAX_LOADS: usize = 14;
/// Most user-made load types.
pub const MAX_USER_LOADS: usize = 8;
/// Most measure groups one device belongs to (§7.16.2.3).
pub const MAX_GROUPS_PER_DEVICE: usize = 5;
/// Most measure groups, and most panel boards: enough for a large building, small enough to list.
pub const MAX_GROUPS: usize = 64;
pub const MAX_PANEL_BOARDS: usize = 64;
/// The sample rates offered (§7.16.4), in minutes.
pub const SAMPLE_MINUTES: [u32; 6] = [1, 5, 10, 15, 30, 60];
/// The default sample rate, in minutes.
pub const DEFAULT_SAMPLE_MINUTES: u32 = 10;
/// Prefix of the ids of user-made load types; predefined ones have fixed words as ids.
pub const USER_LOAD_PREFIX: &str = "load_";

/// A load type: one of the predefined RT 2012 usages, "others", or one the user made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LoadType {
    /// A word for predefined loads (`heating` …), `load_<n>` for user-made ones; devices refer to
    /// loads by it. Assigned by the server; ignored in create requests.
    #[serde(default)]
    pub id: String,
    /// The user's name for a user-made load; empty for predefined ones, which the interface
    /// shows in the user's language.
    #[serde(default)]
    pub name: String,
    #[serde(default = "enabled")]
    pub enabled: bool,
}

impl LoadType {
    /// True for the six RT 2012 usages and "others", which can be disabled but not erased.
    pub fn is_predefined(&self) -> bool {
        LOAD_TYPES.contains(&self.id.as_str())
    }
}

/// A measure group: a logical set of devices (a tenant's flat, a floor, a process).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MeasureGroup {
    /// Assigned by the server; ignored in create requests.
    #[serde(default)]
    pub id: u32,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default = "enabled")]
    pub enabled: bool,
}

/// A panel board: where gateways physically are (one gateway on one board).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PanelBoard {
    /// Assigned by the server; ignored in create requests.
    #[serde(default)]
    pub id: u32,
    pub name: String,
    /// Description or location.
    #[serde(default)]
    pub description: String,
    #[serde(default = "enabled")]
    pub enabled: bool,
    /// The gateways on this board; a gateway is on one board at most.
    #[serde(default)]
    pub gateways: Vec<u32>,
}

/// How values are recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Recording {
    /// Minutes between two recorded samples: one of [`SAMPLE_MINUTES`].
    #[serde(default = "default_sample_minutes")]
    pub sample_minutes: u32,
}

impl Default for Recording {
    fn default() -> Self {
        Recording {
            sample_minutes: DEFAULT_SAMPLE_MINUTES,
        }
    }
}

fn enabled() -> bool {
    true
}

fn default_sample_minutes() -> u32 {
    DEFAULT_SAMPLE_MINUTES
}

/// The predefined load types, all enabled.
pub fn default_loads() -> Vec<LoadType> {
    LOAD_TYPES
        .iter()
        .map(|id| LoadType {
            id: (*id).to_owned(),
            name: String::new(),
            enabled: true,
        })
        .collect()
}

/// `loads` with every predefined load present once, first and in their usual order, followed
/// by the user-made ones: a stored installation from an older version gains them.
pub fn with_predefined_loads(loads: &[LoadType]) -> Vec<LoadType> {
    let mut complete: Vec<LoadType> = default_loads()
        .into_iter()
        .map(|predefined| {
            loads
                .iter()
                .find(|load| load.id == predefined.id)
                .map(|stored| LoadType {
                    name: String::new(),
                    ..stored.clone()
                })
                .unwrap_or(predefined)
        })
        .collect();
    complete.extend(loads.iter().filter(|load| !load.is_predefined()).cloned());
    complete
}

/// The id the next user-made load gets: the first `load_<n>` not in use.
pub fn next_load_id(loads: &[LoadType]) -> String {
    (1..)
        .map(|number| format!("{USER_LOAD_PREFIX}{number}"))
        .find(|id| loads.iter().all(|load| &load.id != id))
        .unwrap_or_default()
}

fn error(field: &'static str, code: &'static str, message: &'static str) -> FieldError {
    FieldError {
        field,
        code,
        message,
    }
}

fn check_name(name: &str, taken: impl Iterator<Item = String>) -> Result<(), FieldError> {
    let trimmed = name.trim();
    if trimmed.is_empty() {
        return Err(error("name", "error.name_required", "A name is required."));
    }
    if trimmed.chars().count() > NAME_MAX_CHARS {
        return Err(error(
            "name",
            "error.name_too_long",
            "The name is longer than 32 characters.",
        ));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(error(
            "name",
            "error.name_characters",
            "The name contains control characters.",
        ));
    }
    let lower = trimmed.to_lowercase();
    if taken
        .map(|other| other.trim().to_lowercase())
        .any(|other| other == lower)
    {
        return Err(error(
            "name",
            "error.name_taken",
            "Another one already has this name.",
        ));
    }
    Ok(())
}

fn check_description(description: &str) -> Result<(), FieldError> {
    if description.chars().count() > DESCRIPTION_MAX_CHARS {
        return Err(error(
            "description",
            "error.description_too_long",
            "The description is longer than 128 characters.",
        ));
    }
    if description.chars().any(char::is_control) {
        return Err(error(
            "description",
            "error.description_characters",
            "The description contains control characters.",
        ));
    }
    Ok(())
}

/// A load type as created or changed. `site` is the installation it joins (its own entry, if
/// any, is recognised by id). Predefined loads may only be switched on or off.
pub fn validate_load(load: &LoadType, site: &SiteConfig) -> Result<(), FieldError> {
    let existing = site.loads.iter().find(|other| other.id == load.id);
    if load.is_predefined() {
        if !load.name.is_empty() {
            return Err(error(
                "name",
                "error.load_predefined",
                "Predefined loads keep their name; they can only be disabled.",
            ));
        }
        return Ok(());
    }
    if existing.is_none() {
        let user_loads = site
            .loads
            .iter()
            .filter(|other| !other.is_predefined())
            .count();
        if user_loads >= MAX_USER_LOADS || site.loads.len() >= MAX_LOADS {
            return Err(error(
                "name",
                "error.loads_full",
                "There can be 14 load types at most, 8 of them made by users.",
            ));
        }
    }
    check_name(
        &load.name,
        site.loads
            .iter()
            .filter(|other| other.id != load.id && !other.is_predefined())
            .map(|other| other.name.clone()),
    )
}

/// A measure group as created or changed.
pub fn validate_group(group: &MeasureGroup, site: &SiteConfig) -> Result<(), FieldError> {
    if group.id == 0 && site.groups.len() >= MAX_GROUPS {
        return Err(error(
            "name",
            "error.groups_full",
            "There can be 64 measure groups at most.",
        ));
    }
    check_name(
        &group.name,
        site.groups
            .iter()
            .filter(|other| other.id != group.id)
            .map(|other| other.name.clone()),
    )?;
    check_description(&group.description)
}

/// A panel board as created or changed.
pub fn validate_panel_board(board: &PanelBoard, site: &SiteConfig) -> Result<(), FieldError> {
    if board.id == 0 && site.panel_boards.len() >= MAX_PANEL_BOARDS {
        return Err(error(
            "name",
            "error.panel_boards_full",
            "There can be 64 panel boards at most.",
        ));
    }
    check_name(
        &board.name,
        site.panel_boards
            .iter()
            .filter(|other| other.id != board.id)
            .map(|other| other.name.clone()),
    )?;
    check_description(&board.description)?;
    for (position, gateway) in board.gateways.iter().enumerate() {
        if board.gateways[..position].contains(gateway)
            || !site.gateways.iter().any(|existing| existing.id == *gateway)
        {
            return Err(error(
                "gateways",
                "error.gateway_unknown",
                "That gateway does not exist.",
            ));
        }
        if site
            .panel_boards
            .iter()
            .any(|other| other.id != board.id && other.gateways.contains(gateway))
        {
            return Err(error(
                "gateways",
                "error.gateway_on_other_board",
                "A gateway is on one panel board only; take it off the other board first.",
            ));
        }
    }
    Ok(())
}

/// The recording settings.
pub fn validate_recording(recording: &Recording) -> Result<(), FieldError> {
    if SAMPLE_MINUTES.contains(&recording.sample_minutes) {
        Ok(())
    } else {
        Err(error(
            "sample_minutes",
            "error.sample_rate",
            "The sample rate must be 1, 5, 10, 15, 30 or 60 minutes.",
        ))
    }
}

/// A device's measure groups: at most five, each existing, none twice.
pub fn validate_device_groups(groups: &[u32], site: &SiteConfig) -> Result<(), FieldError> {
    if groups.len() > MAX_GROUPS_PER_DEVICE {
        return Err(error(
            "groups",
            "error.groups_per_device",
            "A device can be in 5 measure groups at most.",
        ));
    }
    for (position, id) in groups.iter().enumerate() {
        if groups[..position].contains(id) {
            return Err(error(
                "groups",
                "error.group_twice",
                "The device is in the same group twice.",
            ));
        }
        if !site.groups.iter().any(|group| group.id == *id) {
            return Err(error(
                "groups",
                "error.group_unknown",
                "That measure group does not exist.",
            ));
        }
    }
    Ok(())
}

/// Every error code these rules produce, so the translation test can check them all.
pub const INSTALLATION_ERROR_CODES: &[&str] = &[
    "error.name_required",
    "error.name_too_long",
    "error.name_characters",
    "error.name_taken",
    "error.description_too_long",
    "error.description_characters",
    "error.load_predefined",
    "error.loads_full",
    "error.groups_full",
    "error.panel_boards_full",
    "error.sample_rate",
    "error.groups_per_device",
    "error.group_twice",
    "error.group_unknown",
    "error.gateway_unknown",
    "error.gateway_on_other_board",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> SiteConfig {
        SiteConfig {
            loads: default_loads(),
            ..SiteConfig::default()
        }
    }

    fn user_load(name: &str) -> LoadType {
        LoadType {
            id: String::new(),
            name: name.to_owned(),
            enabled: true,
        }
    }

    #[test]
    fn predefined_loads_are_always_there_and_first() {
        let mut site = site();
        let custom = LoadType {
            id: "load_1".into(),
            name: "Kitchen".into(),
            enabled: true,
        };
        let disabled_heating = LoadType {
            id: "heating".into(),
            name: "renamed behind our back".into(),
            enabled: false,
        };
        site.loads = vec![custom.clone(), disabled_heating];
        let complete = with_predefined_loads(&site.loads);
        assert_eq!(complete.len(), LOAD_TYPES.len() + 1);
        assert_eq!(complete[0].id, "heating");
        assert!(
            !complete[0].enabled,
            "the stored state of a predefined load is kept"
        );
        assert_eq!(complete[0].name, "", "predefined loads have no user name");
        assert_eq!(complete.last(), Some(&custom));
        assert_eq!(next_load_id(&complete), "load_2");
    }

    #[test]
    fn at_most_eight_user_loads_and_fourteen_in_all() {
        let mut site = site();
        for number in 1..=7 {
            let mut load = user_load(&format!("Load {number}"));
            assert_eq!(validate_load(&load, &site), Ok(()), "load {number}");
            load.id = next_load_id(&site.loads);
            site.loads.push(load);
        }
        // 7 predefined + 7 user-made = 14: full although fewer than 8 are user-made.
        let refused = validate_load(&user_load("One more"), &site).unwrap_err();
        assert_eq!(refused.code, "error.loads_full");
        // Changing an existing one is still fine.
        let mut existing = site.loads[8].clone();
        existing.name = "Renamed".into();
        assert_eq!(validate_load(&existing, &site), Ok(()));
    }

    #[test]
    fn load_names_are_required_unique_and_predefined_ones_fixed() {
        let mut site = site();
        site.loads.push(LoadType {
            id: "load_1".into(),
            name: "Kitchen".into(),
            enabled: true,
        });
        assert_eq!(
            validate_load(&user_load("  "), &site).unwrap_err().code,
            "error.name_required"
        );
        assert_eq!(
            validate_load(&user_load("kitchen "), &site)
                .unwrap_err()
                .code,
            "error.name_taken"
        );
        assert_eq!(
            validate_load(&user_load(&"x".repeat(33)), &site)
                .unwrap_err()
                .code,
            "error.name_too_long"
        );
        let renamed_heating = LoadType {
            id: "heating".into(),
            name: "Warmth".into(),
            enabled: true,
        };
        assert_eq!(
            validate_load(&renamed_heating, &site).unwrap_err().code,
            "error.load_predefined"
        );
        let disabled_heating = LoadType {
            id: "heating".into(),
            name: String::new(),
            enabled: false,
        };
        assert_eq!(validate_load(&disabled_heating, &site), Ok(()));
    }

    #[test]
    fn groups_and_boards_need_unique_names_and_short_descriptions() {
        let mut site = site();
        site.groups.push(MeasureGroup {
            id: 1,
            name: "Floor 1".into(),
            description: String::new(),
            enabled: true,
        });
        let mut group = MeasureGroup {
            id: 0,
            name: "floor 1".into(),
            description: String::new(),
            enabled: true,
        };
        assert_eq!(
            validate_group(&group, &site).unwrap_err().code,
            "error.name_taken"
        );
        group.name = "Floor 2".into();
        group.description = "d".repeat(129);
        assert_eq!(
            validate_group(&group, &site).unwrap_err().field,
            "description"
        );
        group.description = "East wing".into();
        assert_eq!(validate_group(&group, &site), Ok(()));
        // The group itself keeps its name when edited.
        let same = site.groups[0].clone();
        assert_eq!(validate_group(&same, &site), Ok(()));

        let mut board = PanelBoard {
            id: 0,
            name: String::new(),
            description: String::new(),
            enabled: true,
            gateways: Vec::new(),
        };
        assert_eq!(
            validate_panel_board(&board, &site).unwrap_err().code,
            "error.name_required"
        );
        // A board holds existing gateways, each on one board only.
        site.gateways.push(crate::site::GatewayConfig {
            id: 1,
            name: "Local".into(),
            description: String::new(),
            link: crate::site::GatewayLink::ModbusTcp {
                host: "10.0.0.2".into(),
                port: 502,
                timeout_ms: 300,
            },
            enabled: true,
        });
        board.name = "Main board".into();
        board.gateways = vec![2];
        assert_eq!(
            validate_panel_board(&board, &site).unwrap_err().code,
            "error.gateway_unknown"
        );
        board.gateways = vec![1];
        assert_eq!(validate_panel_board(&board, &site), Ok(()));
        site.panel_boards.push(PanelBoard {
            id: 1,
            ..board.clone()
        });
        let mut second = board.clone();
        second.name = "Second board".into();
        assert_eq!(
            validate_panel_board(&second, &site).unwrap_err().code,
            "error.gateway_on_other_board"
        );
        // The board itself may be saved again with its gateway.
        assert_eq!(
            validate_panel_board(&site.panel_boards[0].clone(), &site),
            Ok(())
        );
    }

    #[test]
    fn a_device_is_in_five_existing_groups_at_most() {
        let mut site = site();
        for id in 1..=6 {
            site.groups.push(MeasureGroup {
                id,
                name: format!("Group {id}"),
                description: String::new(),
                enabled: true,
            });
        }
        assert_eq!(validate_device_groups(&[1, 2, 3, 4, 5], &site), Ok(()));
        assert_eq!(
            validate_device_groups(&[1, 2, 3, 4, 5, 6], &site)
                .unwrap_err()
                .code,
            "error.groups_per_device"
        );
        assert_eq!(
            validate_device_groups(&[1, 1], &site).unwrap_err().code,
            "error.group_twice"
        );
        assert_eq!(
            validate_device_groups(&[9], &site).unwrap_err().code,
            "error.group_unknown"
        );
    }

    #[test]
    fn only_the_offered_sample_rates_are_accepted() {
        for minutes in SAMPLE_MINUTES {
            assert_eq!(
                validate_recording(&Recording {
                    sample_minutes: minutes
                }),
                Ok(())
            );
        }
        for minutes in [0, 2, 20, 61, 1440] {
            assert!(
                validate_recording(&Recording {
                    sample_minutes: minutes
                })
                .is_err()
            );
        }
        assert_eq!(Recording::default().sample_minutes, 10);
    }
}
