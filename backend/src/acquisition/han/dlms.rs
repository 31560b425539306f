//! DLMS/COSEM application layer of a HAN push: the LLC header, the data-notification APDU and the
//! General Block Transfer that Landis+Gyr meters use to split one notification over several frames.
//!
//! Only what an unsolicited push needs is decoded; ciphered APDUs are recognised and refused (the
//! Nordic HAN ports send clear text, meters that encrypt need a key we do not hold).

use thiserror::Error;

use super::axdr::{self, AxdrError, Value};
use super::clock::MeterClock;

/// LLC header of a response/unsolicited PDU (destination LSAP E6, source LSAP E7, quality 00).
const LLC_RESPONSE: [u8; 3] = [0xE6, 0xE7, 0x00];
/// LLC header of a request PDU; some meters use it for pushes too.
const LLC_REQUEST: [u8; 3] = [0xE6, 0xE6, 0x00];
/// data-notification APDU tag.
const TAG_DATA_NOTIFICATION: u8 = 0x0F;
/// general-block-transfer APDU tag.
const TAG_GENERAL_BLOCK_TRANSFER: u8 = 0xE0;
/// general-glo-ciphering and general-ded-ciphering tags.
const TAG_GLO_CIPHERING: u8 = 0xDB;
const TAG_DED_CIPHERING: u8 = 0xDC;
/// A reassembled notification larger than this is not a meter push.
const MAX_ASSEMBLED_LEN: usize = 64 * 1024;

/// Why a payload is not a usable DLMS push.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DlmsError {
    #[error("empty payload")]
    Empty,
    #[error("APDU is ciphered (tag {0:#04x}); encrypted HAN ports are not supported")]
    Encrypted(u8),
    #[error("APDU tag {0:#04x} is not a data-notification")]
    UnsupportedApdu(u8),
    #[error("APDU ends before its header is complete")]
    Truncated,
    #[error("notification body: {0}")]
    Body(#[from] AxdrError),
    #[error("block {got} arrived where block {expected} was due")]
    BlockOutOfOrder { expected: u16, got: u16 },
    #[error("block transfer exceeds {MAX_ASSEMBLED_LEN} bytes")]
    TooLong,
}

/// An unsolicited data-notification: what the meter pushes every few seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct DataNotification {
    /// long-invoke-id-and-priority.
    pub invoke_id: u32,
    /// The optional date-time of the APDU header, raw (12 bytes when present).
    pub date_time: Option<Vec<u8>>,
    /// The notification body, usually a structure or array holding the push list.
    pub body: Value,
}

impl DataNotification {
    /// The APDU header date-time as a clock reading, if present and valid.
    pub fn clock(&self) -> Option<MeterClock> {
        self.date_time.as_deref().and_then(MeterClock::from_cosem)
    }
}

/// One block of a General Block Transfer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// This is the last block.
    pub last: bool,
    /// Block number, counting from 1.
    pub number: u16,
    /// The slice of the inner APDU this block carries.
    pub data: Vec<u8>,
}

/// A decoded APDU.
#[derive(Debug, Clone, PartialEq)]
pub enum Apdu {
    DataNotification(DataNotification),
    Block(Block),
}

/// Removes the LLC header if there is one: HDLC payloads carry it, bare APDUs (e.g. from a TCP
/// bridge or a test vector) do not.
pub fn strip_llc(payload: &[u8]) -> &[u8] {
    payload
        .strip_prefix(&LLC_RESPONSE)
        .or_else(|| payload.strip_prefix(&LLC_REQUEST))
        .unwrap_or(payload)
}

/// Parses one APDU, with or without its LLC header.
pub fn parse_apdu(payload: &[u8]) -> Result<Apdu, DlmsError> {
    let apdu = strip_llc(payload);
    let (&tag, rest) = apdu.split_first().ok_or(DlmsError::Empty)?;
    match tag {
        TAG_DATA_NOTIFICATION => parse_notification(rest).map(Apdu::DataNotification),
        TAG_GENERAL_BLOCK_TRANSFER => parse_block(rest).map(Apdu::Block),
        TAG_GLO_CIPHERING | TAG_DED_CIPHERING => Err(DlmsError::Encrypted(tag)),
        other => Err(DlmsError::UnsupportedApdu(other)),
    }
}

/// `rest` follows the 0x0F tag: invoke-id (4), optional date-time, body. Bytes after the body
/// are ignored (some meters pad).
fn parse_notification(rest: &[u8]) -> Result<DataNotification, DlmsError> {
    let (invoke, rest) = rest.split_first_chunk::<4>().ok_or(DlmsError::Truncated)?;
    let (&marker, rest) = rest.split_first().ok_or(DlmsError::Truncated)?;
    // The date-time is an OCTET STRING of length 0 or 12: `00` (absent, Aidon) or `0C` + 12
    // bytes (Kamstrup). Kaifa and Landis+Gyr prefix it with the Data tag: `09 0C` + 12 bytes.
    let (date_time, rest) = match marker {
        0x00 => (None, rest),
        0x09 => {
            let (length, used) = axdr::decode_length(rest).map_err(|_| DlmsError::Truncated)?;
            take(rest, used, length)?
        }
        length => take(rest, 0, usize::from(length))?,
    };
    let (body, _) = axdr::decode(rest)?;
    Ok(DataNotification {
        invoke_id: u32::from_be_bytes(*invoke),
        date_time,
        body,
    })
}

fn take(bytes: &[u8], skip: usize, length: usize) -> Result<(Option<Vec<u8>>, &[u8]), DlmsError> {
    let end = skip.checked_add(length).ok_or(DlmsError::Truncated)?;
    let value = bytes.get(skip..end).ok_or(DlmsError::Truncated)?;
    let rest = bytes.get(end..).ok_or(DlmsError::Truncated)?;
    Ok((Some(value.to_vec()), rest))
}

/// `rest` follows the 0xE0 tag: block-control (last-block bit 7, streaming bit 6, window),
/// block-number (2), block-number-ack (2), block-data (A-XDR length + bytes).
fn parse_block(rest: &[u8]) -> Result<Block, DlmsError> {
    let (header, rest) = rest.split_first_chunk::<5>().ok_or(DlmsError::Truncated)?;
    let (length, used) = axdr::decode_length(rest).map_err(|_| DlmsError::Truncated)?;
    let (data, _) = take(rest, used, length)?;
    Ok(Block {
        last: header[0] & 0x80 != 0,
        number: u16::from_be_bytes([header[1], header[2]]),
        data: data.unwrap_or_default(),
    })
}

/// Turns a sequence of HDLC payloads into data-notifications, joining General Block Transfer
/// blocks. A missing or repeated block drops the transfer in progress; block 1 always starts over,
/// so the next complete push decodes.
#[derive(Debug, Default, Clone)]
pub struct ApduAssembler {
    blocks: Vec<u8>,
    next_block: Option<u16>,
}

impl ApduAssembler {
    /// An assembler with no transfer in progress.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one payload; returns a notification when one is complete.
    pub fn push(&mut self, payload: &[u8]) -> Result<Option<DataNotification>, DlmsError> {
        match parse_apdu(payload)? {
            Apdu::DataNotification(notification) => {
                self.reset();
                Ok(Some(notification))
            }
            Apdu::Block(block) => self.push_block(block),
        }
    }

    /// Abandons a block transfer in progress.
    pub fn reset(&mut self) {
        self.blocks.clear();
        self.next_block = None;
    }

    fn push_block(&mut self, block: Block) -> Result<Option<DataNotification>, DlmsError> {
        if block.number == 1 {
            self.reset();
        } else if self.next_block != Some(block.number) {
            let expected = self.next_block.unwrap_or(1);
            self.reset();
            return Err(DlmsError::BlockOutOfOrder {
                expected,
                got: block.number,
            });
        }
        if self.blocks.len() + block.data.len() > MAX_ASSEMBLED_LEN {
            self.reset();
            return Err(DlmsError::TooLong);
        }
        self.blocks.extend_from_slice(&block.data);
        self.next_block = block.number.checked_add(1);
        if !block.last {
            return Ok(None);
        }
        let inner = std::mem::take(&mut self.blocks);
        self.reset();
        match parse_apdu(&inner)? {
            Apdu::DataNotification(notification) => Ok(Some(notification)),
            // A block transfer nested in a block transfer is not something meters send.
            Apdu::Block(_) => Err(DlmsError::UnsupportedApdu(TAG_GENERAL_BLOCK_TRANSFER)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn kaifa_list1_with_and_without_llc() {
        let with = hex("E6E7000F40000000090C07E3020401173416FF800000020106000016DC");
        for payload in [&with[..], &with[3..]] {
            let Apdu::DataNotification(n) = parse_apdu(payload).unwrap() else {
                panic!("not a notification");
            };
            assert_eq!(n.invoke_id, 0x4000_0000);
            assert_eq!(n.clock().unwrap().to_iso8601(), "2019-02-04T23:52:22");
            assert_eq!(n.body, Value::Structure(vec![Value::U32(5852)]));
        }
    }

    #[test]
    fn aidon_without_header_date_time() {
        let payload = hex("E6E7000F40000000000101020309060100010700FF060000011802020F00161B");
        let Apdu::DataNotification(n) = parse_apdu(&payload).unwrap() else {
            panic!("not a notification");
        };
        assert_eq!(n.date_time, None);
        assert_eq!(n.body.elements().map(<[Value]>::len), Some(1));
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        assert_eq!(parse_apdu(&[]), Err(DlmsError::Empty));
        assert_eq!(parse_apdu(&[0xE6, 0xE7, 0x00]), Err(DlmsError::Empty));
        assert_eq!(parse_apdu(&[0xDB, 0x08]), Err(DlmsError::Encrypted(0xDB)));
        assert_eq!(
            parse_apdu(&[0xC4, 0x01]),
            Err(DlmsError::UnsupportedApdu(0xC4))
        );
        assert_eq!(parse_apdu(&[0x0F, 0x40, 0x00]), Err(DlmsError::Truncated));
        assert_eq!(
            parse_apdu(&[0x0F, 0, 0, 0, 0, 0x0C, 1, 2]),
            Err(DlmsError::Truncated)
        );
        assert!(matches!(
            parse_apdu(&[0x0F, 0, 0, 0, 0, 0x00, 0x02, 0x05]),
            Err(DlmsError::Body(_))
        ));
    }

    fn block(control: u8, number: u16, data: &[u8]) -> Vec<u8> {
        let mut out = vec![0xE6, 0xE7, 0x00, 0xE0, control];
        out.extend(number.to_be_bytes());
        out.extend([0, 0, data.len() as u8]);
        out.extend(data);
        out
    }

    #[test]
    fn joins_general_block_transfer() {
        let apdu = hex("0F40000000000201060000011A");
        let mut assembler = ApduAssembler::new();
        assert_eq!(assembler.push(&block(0x40, 1, &apdu[..4])), Ok(None));
        assert_eq!(assembler.push(&block(0x40, 2, &apdu[4..9])), Ok(None));
        let n = assembler
            .push(&block(0xC0, 3, &apdu[9..]))
            .unwrap()
            .unwrap();
        assert_eq!(n.body, Value::Structure(vec![Value::U32(282)]));
    }

    #[test]
    fn missing_block_drops_the_transfer_and_recovers() {
        let apdu = hex("0F40000000000201060000011A");
        let mut assembler = ApduAssembler::new();
        assert_eq!(assembler.push(&block(0x40, 1, &apdu[..4])), Ok(None));
        assert_eq!(
            assembler.push(&block(0xC0, 3, &apdu[9..])),
            Err(DlmsError::BlockOutOfOrder {
                expected: 2,
                got: 3
            })
        );
        assert_eq!(assembler.push(&block(0x40, 1, &apdu[..4])), Ok(None));
        assert!(
            assembler
                .push(&block(0xC0, 2, &apdu[4..]))
                .unwrap()
                .is_some()
        );
    }
}
