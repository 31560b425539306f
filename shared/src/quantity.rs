//! The physical quantities a device can feed, independent of how a given model encodes them.

use serde::{Deserialize, Serialize};

use crate::units::Unit;

/// What a meter measures. A catalog register declares which quantity it feeds, so every page,
/// chart and export works the same whatever the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Quantity {
    /// Cumulative active energy drawn from the grid.
    ActiveEnergyImport,
    /// Cumulative active energy sent to the grid.
    ActiveEnergyExport,
    /// Total active power; positive when importing.
    ActivePower,
    ActivePowerL1,
    ActivePowerL2,
    ActivePowerL3,
    /// Phase-to-neutral voltages.
    VoltageL1,
    VoltageL2,
    VoltageL3,
    CurrentL1,
    CurrentL2,
    CurrentL3,
    Frequency,
    PowerFactor,
    /// Cumulative volume counted by a water or gas meter.
    Volume,
    /// Active power drawn from the grid, never negative (meters that report P+ and P− in two unsigned registers, such as AMS meters).
    ActivePowerImport,
    /// Active power sent to the grid, never negative (the P− register of such meters).
    ActivePowerExport,
    /// Cumulative reactive energy imported (Q+).
    ReactiveEnergyImport,
    /// Cumulative reactive energy exported (Q−).
    ReactiveEnergyExport,
    /// Active energy import as estimated by a device between the meter's own (hourly) totals:
    /// the last real total plus the energy integrated from power since. Kept apart from
    /// [`Quantity::ActiveEnergyImport`] so a bill never mixes an estimate with a metered total; it can
    /// step back slightly when the next real total arrives.
    ActiveEnergyImportEstimated,
    /// Estimated active energy export (see [`Quantity::ActiveEnergyImportEstimated`]).
    ActiveEnergyExportEstimated,
    /// Estimated reactive energy import (see [`Quantity::ActiveEnergyImportEstimated`]).
    ReactiveEnergyImportEstimated,
    /// Estimated reactive energy export (see [`Quantity::ActiveEnergyImportEstimated`]).
    ReactiveEnergyExportEstimated,
    /// Total reactive power; positive when inductive (importing).
    ReactivePower,
    ReactivePowerL1,
    ReactivePowerL2,
    ReactivePowerL3,
    /// Reactive power Q+, never negative (AMS meters).
    ReactivePowerImport,
    /// Reactive power Q−, never negative (AMS meters).
    ReactivePowerExport,
    /// Total apparent power.
    ApparentPower,
    ApparentPowerL1,
    ApparentPowerL2,
    ApparentPowerL3,
    /// Power factor of each phase.
    PowerFactorL1,
    PowerFactorL2,
    PowerFactorL3,
    /// Phase-to-phase voltages.
    VoltageL1L2,
    VoltageL2L3,
    VoltageL3L1,
    /// Current in the neutral conductor.
    CurrentNeutral,
    /// Total harmonic distortion of each phase voltage, in percent of the fundamental.
    VoltageThdL1,
    VoltageThdL2,
    VoltageThdL3,
    /// Total harmonic distortion of each phase current, in percent of the fundamental.
    CurrentThdL1,
    CurrentThdL2,
    CurrentThdL3,
    /// One harmonic of a phase voltage, in percent of the fundamental. Which harmonic is the
    /// register's `order` (see [`crate::RegisterSpec`]): one quantity serves every order.
    VoltageHarmonicL1,
    VoltageHarmonicL2,
    VoltageHarmonicL3,
    /// One harmonic of a phase current, in percent of the fundamental; the order is the register's.
    CurrentHarmonicL1,
    CurrentHarmonicL2,
    CurrentHarmonicL3,
    /// State of a digital input: 0 open, 1 closed. Which input is the register's `index`.
    DigitalInput,
    /// State of a relay output: 0 off, 1 on (whatever its NO/NC wiring). Which output is the
    /// register's `index`.
    RelayOutput,
    /// Value of an analogue input after the catalog's scale, in the unit the installer labels it
    /// with (4-20 mA, 0-10 V or an engineering value). Which input is the register's `index`.
    AnalogInput,
    /// Power a charging station delivers to the vehicle.
    EvChargingPower,
    /// Energy delivered in the current (or last) charging session; it restarts at zero with each
    /// session, so it is not a counter.
    EvSessionEnergy,
    /// The station's charging state code, as the model defines it (e.g. IEC 61851 A-F).
    EvChargingState,
    /// Whether a plug is connected: 0 unplugged, 1 plugged (model codes otherwise).
    EvPlugState,
    /// The charging current the station may offer the vehicle (the setpoint read back).
    EvMaxCurrent,
    /// The station's error code; 0 when there is no error.
    EvErrorCode,
    /// Temperature of a device (e.g. inside a converter).
    Temperature,
    /// Hours since the device last started (it restarts at zero after a power cut).
    OperatingHours,
    /// Identification: the firmware version as the device encodes it.
    FirmwareVersion,
    /// Identification: the serial number when the device gives it as a number.
    SerialNumber,
    /// Identification: the model code the device reports.
    ModelCode,
    /// The clock of a meter as read through it (e.g. an AMS meter behind a HAN converter): year.
    MeterClockYear,
    /// Meter clock: month (1-12).
    MeterClockMonth,
    /// Meter clock: day of the month (1-31).
    MeterClockDay,
    /// Meter clock: hour (0-23).
    MeterClockHour,
    /// Meter clock: minute.
    MeterClockMinute,
    /// Meter clock: second.
    MeterClockSecond,
    /// Cumulative active energy drawn from the grid on one phase (meters that count per phase).
    ActiveEnergyImportL1,
    ActiveEnergyImportL2,
    ActiveEnergyImportL3,
    /// Cumulative active energy sent to the grid on one phase.
    ActiveEnergyExportL1,
    ActiveEnergyExportL2,
    ActiveEnergyExportL3,
    /// Cumulative reactive energy imported (Q+) on one phase.
    ReactiveEnergyImportL1,
    ReactiveEnergyImportL2,
    ReactiveEnergyImportL3,
    /// Cumulative reactive energy exported (Q−) on one phase.
    ReactiveEnergyExportL1,
    ReactiveEnergyExportL2,
    ReactiveEnergyExportL3,
    /// Average of the phase-to-neutral voltages, as the meter computes it.
    VoltageAverage,
    /// Average of the phase-to-phase voltages, as the meter computes it.
    VoltageLineAverage,
    /// Average of the phase currents, as the meter computes it.
    CurrentAverage,
}

impl Quantity {
    /// Every quantity, in display order.
    pub const ALL: [Quantity; 87] = [
        Quantity::ActiveEnergyImport,
        Quantity::ActiveEnergyExport,
        Quantity::ActivePower,
        Quantity::ActivePowerL1,
        Quantity::ActivePowerL2,
        Quantity::ActivePowerL3,
        Quantity::VoltageL1,
        Quantity::VoltageL2,
        Quantity::VoltageL3,
        Quantity::CurrentL1,
        Quantity::CurrentL2,
        Quantity::CurrentL3,
        Quantity::Frequency,
        Quantity::PowerFactor,
        Quantity::Volume,
        Quantity::ActivePowerImport,
        Quantity::ActivePowerExport,
        Quantity::ReactiveEnergyImport,
        Quantity::ReactiveEnergyExport,
        Quantity::ActiveEnergyImportEstimated,
        Quantity::ActiveEnergyExportEstimated,
        Quantity::ReactiveEnergyImportEstimated,
        Quantity::ReactiveEnergyExportEstimated,
        Quantity::ReactivePower,
        Quantity::ReactivePowerL1,
        Quantity::ReactivePowerL2,
        Quantity::ReactivePowerL3,
        Quantity::ReactivePowerImport,
        Quantity::ReactivePowerExport,
        Quantity::ApparentPower,
        Quantity::ApparentPowerL1,
        Quantity::ApparentPowerL2,
        Quantity::ApparentPowerL3,
        Quantity::PowerFactorL1,
        Quantity::PowerFactorL2,
        Quantity::PowerFactorL3,
        Quantity::VoltageL1L2,
        Quantity::VoltageL2L3,
        Quantity::VoltageL3L1,
        Quantity::CurrentNeutral,
        Quantity::VoltageThdL1,
        Quantity::VoltageThdL2,
        Quantity::VoltageThdL3,
        Quantity::CurrentThdL1,
        Quantity::CurrentThdL2,
        Quantity::CurrentThdL3,
        Quantity::VoltageHarmonicL1,
        Quantity::VoltageHarmonicL2,
        Quantity::VoltageHarmonicL3,
        Quantity::CurrentHarmonicL1,
        Quantity::CurrentHarmonicL2,
        Quantity::CurrentHarmonicL3,
        Quantity::DigitalInput,
        Quantity::RelayOutput,
        Quantity::AnalogInput,
        Quantity::EvChargingPower,
        Quantity::EvSessionEnergy,
        Quantity::EvChargingState,
        Quantity::EvPlugState,
        Quantity::EvMaxCurrent,
        Quantity::EvErrorCode,
        Quantity::Temperature,
        Quantity::OperatingHours,
        Quantity::FirmwareVersion,
        Quantity::SerialNumber,
        Quantity::ModelCode,
        Quantity::MeterClockYear,
        Quantity::MeterClockMonth,
        Quantity::MeterClockDay,
        Quantity::MeterClockHour,
        Quantity::MeterClockMinute,
        Quantity::MeterClockSecond,
        Quantity::ActiveEnergyImportL1,
        Quantity::ActiveEnergyImportL2,
        Quantity::ActiveEnergyImportL3,
        Quantity::ActiveEnergyExportL1,
        Quantity::ActiveEnergyExportL2,
        Quantity::ActiveEnergyExportL3,
        Quantity::ReactiveEnergyImportL1,
        Quantity::ReactiveEnergyImportL2,
        Quantity::ReactiveEnergyImportL3,
        Quantity::ReactiveEnergyExportL1,
        Quantity::ReactiveEnergyExportL2,
        Quantity::ReactiveEnergyExportL3,
        Quantity::VoltageAverage,
        Quantity::VoltageLineAverage,
        Quantity::CurrentAverage,
    ];

    /// The unit values of this quantity are stored and sent in (SI-like base units: Wh, W, V, A, Hz,
    /// m³, varh, var, VA, %, °C, h; states and codes are plain numbers).
    pub fn unit(self) -> Unit {
        match self {
            Quantity::ActiveEnergyImport
            | Quantity::ActiveEnergyExport
            | Quantity::ActiveEnergyImportEstimated
            | Quantity::ActiveEnergyExportEstimated
            | Quantity::ActiveEnergyImportL1
            | Quantity::ActiveEnergyImportL2
            | Quantity::ActiveEnergyImportL3
            | Quantity::ActiveEnergyExportL1
            | Quantity::ActiveEnergyExportL2
            | Quantity::ActiveEnergyExportL3
            | Quantity::EvSessionEnergy => Unit::WattHour,
            Quantity::ActivePower
            | Quantity::ActivePowerL1
            | Quantity::ActivePowerL2
            | Quantity::ActivePowerL3
            | Quantity::ActivePowerImport
            | Quantity::ActivePowerExport
            | Quantity::EvChargingPower => Unit::Watt,
            Quantity::VoltageL1
            | Quantity::VoltageL2
            | Quantity::VoltageL3
            | Quantity::VoltageL1L2
            | Quantity::VoltageL2L3
            | Quantity::VoltageL3L1
            | Quantity::VoltageAverage
            | Quantity::VoltageLineAverage => Unit::Volt,
            Quantity::CurrentL1
            | Quantity::CurrentL2
            | Quantity::CurrentL3
            | Quantity::CurrentNeutral
            | Quantity::CurrentAverage
            | Quantity::EvMaxCurrent => Unit::Ampere,
            Quantity::Frequency => Unit::Hertz,
            Quantity::PowerFactor
            | Quantity::PowerFactorL1
            | Quantity::PowerFactorL2
            | Quantity::PowerFactorL3
            | Quantity::AnalogInput => Unit::None,
            Quantity::Volume => Unit::CubicMetre,
            Quantity::ReactiveEnergyImport
            | Quantity::ReactiveEnergyExport
            | Quantity::ReactiveEnergyImportEstimated
            | Quantity::ReactiveEnergyExportEstimated
            | Quantity::ReactiveEnergyImportL1
            | Quantity::ReactiveEnergyImportL2
            | Quantity::ReactiveEnergyImportL3
            | Quantity::ReactiveEnergyExportL1
            | Quantity::ReactiveEnergyExportL2
            | Quantity::ReactiveEnergyExportL3 => Unit::VarHour,
            Quantity::ReactivePower
            | Quantity::ReactivePowerL1
            | Quantity::ReactivePowerL2
            | Quantity::ReactivePowerL3
            | Quantity::ReactivePowerImport
            | Quantity::ReactivePowerExport => Unit::Var,
            Quantity::ApparentPower
            | Quantity::ApparentPowerL1
            | Quantity::ApparentPowerL2
            | Quantity::ApparentPowerL3 => Unit::VoltAmpere,
            Quantity::VoltageThdL1
            | Quantity::VoltageThdL2
            | Quantity::VoltageThdL3
            | Quantity::CurrentThdL1
            | Quantity::CurrentThdL2
            | Quantity::CurrentThdL3
            | Quantity::VoltageHarmonicL1
            | Quantity::VoltageHarmonicL2
            | Quantity::VoltageHarmonicL3
            | Quantity::CurrentHarmonicL1
            | Quantity::CurrentHarmonicL2
            | Quantity::CurrentHarmonicL3 => Unit::Percent,
            Quantity::DigitalInput
            | Quantity::RelayOutput
            | Quantity::EvChargingState
            | Quantity::EvPlugState
            | Quantity::EvErrorCode
            | Quantity::FirmwareVersion
            | Quantity::SerialNumber
            | Quantity::ModelCode
            | Quantity::MeterClockYear
            | Quantity::MeterClockMonth
            | Quantity::MeterClockDay
            | Quantity::MeterClockHour
            | Quantity::MeterClockMinute
            | Quantity::MeterClockSecond => Unit::State,
            Quantity::Temperature => Unit::DegreeCelsius,
            Quantity::OperatingHours => Unit::Hour,
        }
    }

    /// Counters only grow (until a meter reset): consumption is their difference over time.
    pub fn is_counter(self) -> bool {
        matches!(
            self,
            Quantity::ActiveEnergyImport
                | Quantity::ActiveEnergyExport
                | Quantity::Volume
                | Quantity::ReactiveEnergyImport
                | Quantity::ReactiveEnergyExport
                | Quantity::ActiveEnergyImportEstimated
                | Quantity::ActiveEnergyExportEstimated
                | Quantity::ReactiveEnergyImportEstimated
                | Quantity::ReactiveEnergyExportEstimated
                | Quantity::ActiveEnergyImportL1
                | Quantity::ActiveEnergyImportL2
                | Quantity::ActiveEnergyImportL3
                | Quantity::ActiveEnergyExportL1
                | Quantity::ActiveEnergyExportL2
                | Quantity::ActiveEnergyExportL3
                | Quantity::ReactiveEnergyImportL1
                | Quantity::ReactiveEnergyImportL2
                | Quantity::ReactiveEnergyImportL3
                | Quantity::ReactiveEnergyExportL1
                | Quantity::ReactiveEnergyExportL2
                | Quantity::ReactiveEnergyExportL3
        )
    }

    /// Quantities of which a device has several, told apart by the register's `index`
    /// (input 1, input 2 …): digital and analogue inputs and relay outputs.
    pub fn is_indexed(self) -> bool {
        matches!(
            self,
            Quantity::DigitalInput | Quantity::RelayOutput | Quantity::AnalogInput
        )
    }

    /// Harmonic quantities, told apart by the register's `order` (2nd, 3rd … harmonic).
    pub fn is_harmonic(self) -> bool {
        matches!(
            self,
            Quantity::VoltageHarmonicL1
                | Quantity::VoltageHarmonicL2
                | Quantity::VoltageHarmonicL3
                | Quantity::CurrentHarmonicL1
                | Quantity::CurrentHarmonicL2
                | Quantity::CurrentHarmonicL3
        )
    }

    /// The metered counter an estimated counter stands in for between two real totals, or None
    /// when the quantity is not an estimate.
    pub fn estimate_of(self) -> Option<Quantity> {
        match self {
            Quantity::ActiveEnergyImportEstimated => Some(Quantity::ActiveEnergyImport),
            Quantity::ActiveEnergyExportEstimated => Some(Quantity::ActiveEnergyExport),
            Quantity::ReactiveEnergyImportEstimated => Some(Quantity::ReactiveEnergyImport),
            Quantity::ReactiveEnergyExportEstimated => Some(Quantity::ReactiveEnergyExport),
            _ => None,
        }
    }

    /// Values that describe the device rather than measure anything (read once is enough).
    pub fn is_identification(self) -> bool {
        matches!(
            self,
            Quantity::FirmwareVersion | Quantity::SerialNumber | Quantity::ModelCode
        )
    }

    /// Stable small number used as a storage key; never reorder existing entries.
    pub fn code(self) -> u16 {
        match self {
            Quantity::ActiveEnergyImport => 1,
            Quantity::ActiveEnergyExport => 2,
            Quantity::ActivePower => 3,
            Quantity::ActivePowerL1 => 4,
            Quantity::ActivePowerL2 => 5,
            Quantity::ActivePowerL3 => 6,
            Quantity::VoltageL1 => 7,
            Quantity::VoltageL2 => 8,
            Quantity::VoltageL3 => 9,
            Quantity::CurrentL1 => 10,
            Quantity::CurrentL2 => 11,
            Quantity::CurrentL3 => 12,
            Quantity::Frequency => 13,
            Quantity::PowerFactor => 14,
            Quantity::Volume => 15,
            Quantity::ActivePowerImport => 16,
            Quantity::ActivePowerExport => 17,
            Quantity::ReactiveEnergyImport => 18,
            Quantity::ReactiveEnergyExport => 19,
            Quantity::ActiveEnergyImportEstimated => 20,
            Quantity::ActiveEnergyExportEstimated => 21,
            Quantity::ReactiveEnergyImportEstimated => 22,
            Quantity::ReactiveEnergyExportEstimated => 23,
            Quantity::ReactivePower => 24,
            Quantity::ReactivePowerL1 => 25,
            Quantity::ReactivePowerL2 => 26,
            Quantity::ReactivePowerL3 => 27,
            Quantity::ReactivePowerImport => 28,
            Quantity::ReactivePowerExport => 29,
            Quantity::ApparentPower => 30,
            Quantity::ApparentPowerL1 => 31,
            Quantity::ApparentPowerL2 => 32,
            Quantity::ApparentPowerL3 => 33,
            Quantity::PowerFactorL1 => 34,
            Quantity::PowerFactorL2 => 35,
            Quantity::PowerFactorL3 => 36,
            Quantity::VoltageL1L2 => 37,
            Quantity::VoltageL2L3 => 38,
            Quantity::VoltageL3L1 => 39,
            Quantity::CurrentNeutral => 40,
            Quantity::VoltageThdL1 => 41,
            Quantity::VoltageThdL2 => 42,
            Quantity::VoltageThdL3 => 43,
            Quantity::CurrentThdL1 => 44,
            Quantity::CurrentThdL2 => 45,
            Quantity::CurrentThdL3 => 46,
            Quantity::VoltageHarmonicL1 => 47,
            Quantity::VoltageHarmonicL2 => 48,
            Quantity::VoltageHarmonicL3 => 49,
            Quantity::CurrentHarmonicL1 => 50,
            Quantity::CurrentHarmonicL2 => 51,
            Quantity::CurrentHarmonicL3 => 52,
            Quantity::DigitalInput => 53,
            Quantity::RelayOutput => 54,
            Quantity::AnalogInput => 55,
            Quantity::EvChargingPower => 56,
            Quantity::EvSessionEnergy => 57,
            Quantity::EvChargingState => 58,
            Quantity::EvPlugState => 59,
            Quantity::EvMaxCurrent => 60,
            Quantity::EvErrorCode => 61,
            Quantity::Temperature => 62,
            Quantity::OperatingHours => 63,
            Quantity::FirmwareVersion => 64,
            Quantity::SerialNumber => 65,
            Quantity::ModelCode => 66,
            Quantity::MeterClockYear => 67,
            Quantity::MeterClockMonth => 68,
            Quantity::MeterClockDay => 69,
            Quantity::MeterClockHour => 70,
            Quantity::MeterClockMinute => 71,
            Quantity::MeterClockSecond => 72,
            Quantity::ActiveEnergyImportL1 => 73,
            Quantity::ActiveEnergyImportL2 => 74,
            Quantity::ActiveEnergyImportL3 => 75,
            Quantity::ActiveEnergyExportL1 => 76,
            Quantity::ActiveEnergyExportL2 => 77,
            Quantity::ActiveEnergyExportL3 => 78,
            Quantity::ReactiveEnergyImportL1 => 79,
            Quantity::ReactiveEnergyImportL2 => 80,
            Quantity::ReactiveEnergyImportL3 => 81,
            Quantity::ReactiveEnergyExportL1 => 82,
            Quantity::ReactiveEnergyExportL2 => 83,
            Quantity::ReactiveEnergyExportL3 => 84,
            Quantity::VoltageAverage => 85,
            Quantity::VoltageLineAverage => 86,
            Quantity::CurrentAverage => 87,
        }
    }

    /// The inverse of [`Quantity::code`].
    pub fn from_code(code: u16) -> Option<Quantity> {
        Quantity::ALL
            .into_iter()
            .find(|quantity| quantity.code() == code)
    }

    /// Translation key of the quantity's label.
    pub fn label_key(self) -> &'static str {
        match self {
            Quantity::ActiveEnergyImport => "quantity.active_energy_import",
            Quantity::ActiveEnergyExport => "quantity.active_energy_export",
            Quantity::ActivePower => "quantity.active_power",
            Quantity::ActivePowerL1 => "quantity.active_power_l1",
            Quantity::ActivePowerL2 => "quantity.active_power_l2",
            Quantity::ActivePowerL3 => "quantity.active_power_l3",
            Quantity::VoltageL1 => "quantity.voltage_l1",
            Quantity::VoltageL2 => "quantity.voltage_l2",
            Quantity::VoltageL3 => "quantity.voltage_l3",
            Quantity::CurrentL1 => "quantity.current_l1",
            Quantity::CurrentL2 => "quantity.current_l2",
            Quantity::CurrentL3 => "quantity.current_l3",
            Quantity::Frequency => "quantity.frequency",
            Quantity::PowerFactor => "quantity.power_factor",
            Quantity::Volume => "quantity.volume",
            Quantity::ActivePowerImport => "quantity.active_power_import",
            Quantity::ActivePowerExport => "quantity.active_power_export",
            Quantity::ReactiveEnergyImport => "quantity.reactive_energy_import",
            Quantity::ReactiveEnergyExport => "quantity.reactive_energy_export",
            Quantity::ActiveEnergyImportEstimated => "quantity.active_energy_import_estimated",
            Quantity::ActiveEnergyExportEstimated => "quantity.active_energy_export_estimated",
            Quantity::ReactiveEnergyImportEstimated => "quantity.reactive_energy_import_estimated",
            Quantity::ReactiveEnergyExportEstimated => "quantity.reactive_energy_export_estimated",
            Quantity::ReactivePower => "quantity.reactive_power",
            Quantity::ReactivePowerL1 => "quantity.reactive_power_l1",
            Quantity::ReactivePowerL2 => "quantity.reactive_power_l2",
            Quantity::ReactivePowerL3 => "quantity.reactive_power_l3",
            Quantity::ReactivePowerImport => "quantity.reactive_power_import",
            Quantity::ReactivePowerExport => "quantity.reactive_power_export",
            Quantity::ApparentPower => "quantity.apparent_power",
            Quantity::ApparentPowerL1 => "quantity.apparent_power_l1",
            Quantity::ApparentPowerL2 => "quantity.apparent_power_l2",
            Quantity::ApparentPowerL3 => "quantity.apparent_power_l3",
            Quantity::PowerFactorL1 => "quantity.power_factor_l1",
            Quantity::PowerFactorL2 => "quantity.power_factor_l2",
            Quantity::PowerFactorL3 => "quantity.power_factor_l3",
            Quantity::VoltageL1L2 => "quantity.voltage_l1_l2",
            Quantity::VoltageL2L3 => "quantity.voltage_l2_l3",
            Quantity::VoltageL3L1 => "quantity.voltage_l3_l1",
            Quantity::CurrentNeutral => "quantity.current_neutral",
            Quantity::VoltageThdL1 => "quantity.voltage_thd_l1",
            Quantity::VoltageThdL2 => "quantity.voltage_thd_l2",
            Quantity::VoltageThdL3 => "quantity.voltage_thd_l3",
            Quantity::CurrentThdL1 => "quantity.current_thd_l1",
            Quantity::CurrentThdL2 => "quantity.current_thd_l2",
            Quantity::CurrentThdL3 => "quantity.current_thd_l3",
            Quantity::VoltageHarmonicL1 => "quantity.voltage_harmonic_l1",
            Quantity::VoltageHarmonicL2 => "quantity.voltage_harmonic_l2",
            Quantity::VoltageHarmonicL3 => "quantity.voltage_harmonic_l3",
            Quantity::CurrentHarmonicL1 => "quantity.current_harmonic_l1",
            Quantity::CurrentHarmonicL2 => "quantity.current_harmonic_l2",
            Quantity::CurrentHarmonicL3 => "quantity.current_harmonic_l3",
            Quantity::DigitalInput => "quantity.digital_input",
            Quantity::RelayOutput => "quantity.relay_output",
            Quantity::AnalogInput => "quantity.analog_input",
            Quantity::EvChargingPower => "quantity.ev_charging_power",
            Quantity::EvSessionEnergy => "quantity.ev_session_energy",
            Quantity::EvChargingState => "quantity.ev_charging_state",
            Quantity::EvPlugState => "quantity.ev_plug_state",
            Quantity::EvMaxCurrent => "quantity.ev_max_current",
            Quantity::EvErrorCode => "quantity.ev_error_code",
            Quantity::Temperature => "quantity.temperature",
            Quantity::OperatingHours => "quantity.operating_hours",
            Quantity::FirmwareVersion => "quantity.firmware_version",
            Quantity::SerialNumber => "quantity.serial_number",
            Quantity::ModelCode => "quantity.model_code",
            Quantity::MeterClockYear => "quantity.meter_clock_year",
            Quantity::MeterClockMonth => "quantity.meter_clock_month",
            Quantity::MeterClockDay => "quantity.meter_clock_day",
            Quantity::MeterClockHour => "quantity.meter_clock_hour",
            Quantity::MeterClockMinute => "quantity.meter_clock_minute",
            Quantity::MeterClockSecond => "quantity.meter_clock_second",
            Quantity::ActiveEnergyImportL1 => "quantity.active_energy_import_l1",
            Quantity::ActiveEnergyImportL2 => "quantity.active_energy_import_l2",
            Quantity::ActiveEnergyImportL3 => "quantity.active_energy_import_l3",
            Quantity::ActiveEnergyExportL1 => "quantity.active_energy_export_l1",
            Quantity::ActiveEnergyExportL2 => "quantity.active_energy_export_l2",
            Quantity::ActiveEnergyExportL3 => "quantity.active_energy_export_l3",
            Quantity::ReactiveEnergyImportL1 => "quantity.reactive_energy_import_l1",
            Quantity::ReactiveEnergyImportL2 => "quantity.reactive_energy_import_l2",
            Quantity::ReactiveEnergyImportL3 => "quantity.reactive_energy_import_l3",
            Quantity::ReactiveEnergyExportL1 => "quantity.reactive_energy_export_l1",
            Quantity::ReactiveEnergyExportL2 => "quantity.reactive_energy_export_l2",
            Quantity::ReactiveEnergyExportL3 => "quantity.reactive_energy_export_l3",
            Quantity::VoltageAverage => "quantity.voltage_average",
            Quantity::VoltageLineAverage => "quantity.voltage_line_average",
            Quantity::CurrentAverage => "quantity.current_average",
        }
    }
}

/// What a device meters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Commodity {
    Electricity,
    Water,
    Gas,
    Heat,
}

impl Commodity {
    /// The counter whose difference is this commodity's consumption.
    pub fn consumption_quantity(self) -> Quantity {
        match self {
            Commodity::Electricity | Commodity::Heat => Quantity::ActiveEnergyImport,
            Commodity::Water | Commodity::Gas => Quantity::Volume,
        }
    }

    /// Translation key of the commodity's name.
    pub fn label_key(self) -> &'static str {
        match self {
            Commodity::Electricity => "commodity.electricity",
            Commodity::Water => "commodity.water",
            Commodity::Gas => "commodity.gas",
            Commodity::Heat => "commodity.heat",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        let mut codes: Vec<u16> = Quantity::ALL.iter().map(|q| q.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), Quantity::ALL.len());
        for quantity in Quantity::ALL {
            assert_eq!(Quantity::from_code(quantity.code()), Some(quantity));
        }
        assert_eq!(Quantity::from_code(0), None);
    }

    #[test]
    fn only_cumulative_registers_are_counters() {
        assert!(Quantity::ActiveEnergyImport.is_counter());
        assert!(Quantity::Volume.is_counter());
        assert!(!Quantity::ActivePower.is_counter());
        assert!(!Quantity::VoltageL1.is_counter());
        assert!(Quantity::ReactiveEnergyExport.is_counter());
        assert!(Quantity::ActiveEnergyImportEstimated.is_counter());
        // A session's energy restarts with each session: its difference is not a consumption.
        assert!(!Quantity::EvSessionEnergy.is_counter());
        assert!(!Quantity::DigitalInput.is_counter());
    }

    #[test]
    fn existing_codes_never_move() {
        // Stored series are keyed by these numbers: the first fifteen are frozen.
        let frozen = [
            (Quantity::ActiveEnergyImport, 1),
            (Quantity::ActivePower, 3),
            (Quantity::VoltageL1, 7),
            (Quantity::PowerFactor, 14),
            (Quantity::Volume, 15),
        ];
        for (quantity, code) in frozen {
            assert_eq!(quantity.code(), code);
        }
        // New quantities are appended after them, in ALL's order.
        for (position, quantity) in Quantity::ALL.iter().enumerate() {
            assert_eq!(usize::from(quantity.code()), position + 1, "{quantity:?}");
        }
    }

    #[test]
    fn label_keys_follow_the_serialised_name() {
        for quantity in Quantity::ALL {
            let name = serde_json::to_value(quantity).unwrap();
            let name = name.as_str().unwrap();
            assert_eq!(quantity.label_key(), format!("quantity.{name}"));
            let back: Quantity = serde_json::from_value(serde_json::json!(name)).unwrap();
            assert_eq!(back, quantity);
        }
    }

    #[test]
    fn new_quantities_have_their_units() {
        assert_eq!(Quantity::ReactiveEnergyImport.unit(), Unit::VarHour);
        assert_eq!(Quantity::ReactivePowerL2.unit(), Unit::Var);
        assert_eq!(Quantity::ApparentPower.unit(), Unit::VoltAmpere);
        assert_eq!(Quantity::PowerFactorL3.unit(), Unit::None);
        assert_eq!(Quantity::VoltageL3L1.unit(), Unit::Volt);
        assert_eq!(Quantity::CurrentNeutral.unit(), Unit::Ampere);
        assert_eq!(Quantity::VoltageThdL1.unit(), Unit::Percent);
        assert_eq!(Quantity::CurrentHarmonicL2.unit(), Unit::Percent);
        assert_eq!(Quantity::DigitalInput.unit(), Unit::State);
        assert_eq!(Quantity::EvChargingPower.unit(), Unit::Watt);
        assert_eq!(Quantity::EvSessionEnergy.unit(), Unit::WattHour);
        assert_eq!(Quantity::EvMaxCurrent.unit(), Unit::Ampere);
        assert_eq!(Quantity::Temperature.unit(), Unit::DegreeCelsius);
        assert_eq!(Quantity::OperatingHours.unit(), Unit::Hour);
    }

    #[test]
    fn per_phase_energies_are_counters_and_averages_gauges() {
        for quantity in [
            Quantity::ActiveEnergyImportL1,
            Quantity::ActiveEnergyExportL3,
            Quantity::ReactiveEnergyImportL2,
            Quantity::ReactiveEnergyExportL1,
        ] {
            assert!(quantity.is_counter(), "{quantity:?}");
        }
        assert_eq!(Quantity::ActiveEnergyExportL2.unit(), Unit::WattHour);
        assert_eq!(Quantity::ReactiveEnergyImportL3.unit(), Unit::VarHour);
        for quantity in [
            Quantity::VoltageAverage,
            Quantity::VoltageLineAverage,
            Quantity::CurrentAverage,
        ] {
            assert!(!quantity.is_counter(), "{quantity:?}");
        }
        assert_eq!(Quantity::VoltageLineAverage.unit(), Unit::Volt);
        assert_eq!(Quantity::CurrentAverage.unit(), Unit::Ampere);
        // Appended after the frozen codes, never renumbered.
        assert_eq!(Quantity::ActiveEnergyImportL1.code(), 73);
        assert_eq!(Quantity::CurrentAverage.code(), 87);
    }

    #[test]
    fn indexed_harmonic_and_estimated_quantities_are_marked() {
        assert!(Quantity::DigitalInput.is_indexed());
        assert!(!Quantity::VoltageL1.is_indexed());
        assert!(Quantity::VoltageHarmonicL1.is_harmonic());
        assert!(!Quantity::VoltageThdL1.is_harmonic());
        assert_eq!(
            Quantity::ActiveEnergyImportEstimated.estimate_of(),
            Some(Quantity::ActiveEnergyImport)
        );
        assert_eq!(Quantity::ActiveEnergyImport.estimate_of(), None);
        assert!(Quantity::FirmwareVersion.is_identification());
    }

    #[test]
    fn water_consumption_is_volume_and_electricity_is_energy() {
        assert_eq!(Commodity::Water.consumption_quantity(), Quantity::Volume);
        assert_eq!(
            Commodity::Electricity.consumption_quantity(),
            Quantity::ActiveEnergyImport
        );
    }
}
