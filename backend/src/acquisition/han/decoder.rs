//! The whole HAN receive path in one streaming object: bytes in, meter readings out.

use thiserror::Error;

use super::dlms::{ApduAssembler, DlmsError};
use super::hdlc::{FrameReader, HdlcError};
use super::lists::{ListError, decode_notification};
use super::reading::HanReading;

/// Why a frame did not give a reading. None of these stop the stream: the next push decodes.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HanError {
    #[error("HDLC: {0}")]
    Hdlc(#[from] HdlcError),
    #[error("DLMS: {0}")]
    Dlms(#[from] DlmsError),
    #[error("list: {0}")]
    List(#[from] ListError),
}

/// Decodes one DLMS payload (an HDLC information field, with or without the LLC header) that
/// holds a complete data-notification.
pub fn decode_payload(payload: &[u8]) -> Result<HanReading, HanError> {
    let mut assembler = ApduAssembler::new();
    match assembler.push(payload)? {
        Some(notification) => Ok(decode_notification(&notification)?),
        None => Err(HanError::Dlms(DlmsError::Truncated)),
    }
}

/// Streaming HAN decoder: HDLC framing, segment and block reassembly, list mapping.
#[derive(Debug, Default, Clone)]
pub struct HanDecoder {
    frames: FrameReader,
    apdus: ApduAssembler,
}

impl HanDecoder {
    /// A decoder with nothing buffered.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends bytes as received from the port, in any chunking.
    pub fn push(&mut self, bytes: &[u8]) {
        self.frames.push(bytes);
    }

    /// Drops partial frames and block transfers, e.g. after the line was idle for a while.
    pub fn reset(&mut self) {
        self.frames.reset();
        self.apdus.reset();
    }

    /// The next reading, an error for a rejected frame or payload, or `None` when more bytes are
    /// needed.
    pub fn pop(&mut self) -> Option<Result<HanReading, HanError>> {
        loop {
            let frame = match self.frames.pop()? {
                Ok(frame) => frame,
                Err(error) => {
                    // A lost frame breaks any block transfer it may have belonged to.
                    self.apdus.reset();
                    return Some(Err(error.into()));
                }
            };
            match self.apdus.push(&frame.information) {
                Ok(Some(notification)) => {
                    return Some(decode_notification(&notification).map_err(HanError::from));
                }
                Ok(None) => continue,
                Err(error) => return Some(Err(error.into())),
            }
        }
    }
}
