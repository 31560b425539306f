//! Decoders for what smart electricity meters push on their customer port, so the gateway can
//! read a meter directly instead of through a HAN-to-Modbus converter.
//!
//! - HAN (Norway, Sweden, Denmark, Switzerland …): IEC 62056-46 HDLC frames carrying DLMS/COSEM
//!   data-notifications ([`hdlc`], [`dlms`], [`axdr`], [`lists`]), joined by [`HanDecoder`].
//! - P1 (Netherlands, Belgium, and the Nordic P1 variants): DSMR text telegrams ([`p1`]).
//!
//! Both end in a [`HanReading`] in base units whose [`HanReading::to_readings`] feeds the same
//! quantities as a Modbus meter; [`EnergyEstimator`] adds estimated totals between the meter's
//! hourly ones. All of that is pure: no I/O, no clock, and no input can make it panic (see the
//! fuzz targets in `fuzz/`). The one place with I/O is [`reader`]: the task that owns a HAN
//! gateway's serial port.

pub mod axdr;
pub mod clock;
pub mod crc;
pub mod decoder;
pub mod dlms;
pub mod estimator;
pub mod hdlc;
pub mod lists;
pub mod obis;
pub mod p1;
pub mod reader;
pub mod reading;

pub use clock::MeterClock;
pub use decoder::{HanDecoder, HanError, decode_payload};
pub use dlms::{ApduAssembler, DataNotification, DlmsError};
pub use estimator::EnergyEstimator;
pub use hdlc::{Frame, FrameReader, HdlcError};
pub use lists::{ListError, decode_notification};
pub use obis::Obis;
pub use p1::{MbusReading, P1Error, P1Telegram, TelegramReader};
pub use reader::{HanPorts, ListenError, PortSettings};
pub use reading::{HanReading, Manufacturer};
