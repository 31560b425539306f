//! IEC 62056-46 HDLC framing as AMS meters push it on the HAN port.
//!
//! A frame is `7E | format (2) | dest addr | src addr | control | HCS (2) | information | FCS (2) | 7E`.
//! The HAN port does no octet stuffing, so `7E` and `7D` can occur inside a frame: a frame is
//! delimited by the 11-bit length of its format field, never by the next flag. The length counts
//! every byte between the two flags. HCS and FCS are CRC-16/X.25, least significant byte first.

use thiserror::Error;

use super::crc::crc16_x25;

/// The opening and closing flag.
pub const FLAG: u8 = 0x7E;

/// Frame format type 3 (the upper nibble of the first format byte), the only one DLMS uses.
const FORMAT_TYPE_3: u8 = 0xA0;
/// Segmentation bit of the format field: more segments of this information field follow.
const SEGMENT_BIT: u8 = 0x08;
/// An HDLC address is at most four bytes (extended addressing, LSB 1 marks the last byte).
const MAX_ADDRESS_LEN: usize = 4;
/// Format (2) + shortest addresses (1 + 1) + control (1) + FCS (2).
const MIN_FRAME_LEN: usize = 7;
/// Upper bound on a reassembled segmented information field; real pushes are a few hundred bytes.
const MAX_REASSEMBLED_LEN: usize = 64 * 1024;
/// The reader never needs more than one maximal frame (2047 + 2 flags) plus a look-ahead margin.
const MAX_BUFFERED: usize = 4 * 2050;

/// Why bytes were not accepted as a frame.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HdlcError {
    #[error("frame does not start with the 0x7E flag")]
    MissingOpeningFlag,
    #[error("frame format type {0:#04x} is not HDLC type 3 (0xA_)")]
    BadFormat(u8),
    #[error("frame length field {0} is too short for a frame")]
    LengthTooShort(usize),
    #[error("frame is truncated: {have} of {need} bytes")]
    Truncated { have: usize, need: usize },
    #[error("address longer than 4 bytes or not terminated")]
    BadAddress,
    #[error("header check sequence mismatch: frame says {wire:#06x}, computed {computed:#06x}")]
    HcsMismatch { wire: u16, computed: u16 },
    #[error("frame check sequence mismatch: frame says {wire:#06x}, computed {computed:#06x}")]
    FcsMismatch { wire: u16, computed: u16 },
    #[error("no closing 0x7E flag where the length field says the frame ends")]
    MissingClosingFlag,
    #[error("segmented information field exceeds {MAX_REASSEMBLED_LEN} bytes")]
    ReassemblyTooLong,
}

/// A validated HDLC frame (or a reassembled sequence of segments).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Destination address bytes as sent (the last byte has its LSB set).
    pub destination: Vec<u8>,
    /// Source address bytes as sent.
    pub source: Vec<u8>,
    /// Control byte (0x13 = UI frame with the final bit, what push meters send).
    pub control: u8,
    /// True if the segmentation bit was set (more segments follow). Always false on frames the
    /// [`FrameReader`] hands out, since it joins segments first.
    pub segmented: bool,
    /// The information field: the LLC header `E6 E7 00` and the DLMS APDU.
    pub information: Vec<u8>,
}

/// Where a frame's header ends, read from the bytes after the opening flag.
struct Header {
    /// Bytes between the flags, from the length field.
    length: usize,
    segmented: bool,
    destination: std::ops::Range<usize>,
    source: std::ops::Range<usize>,
    control_at: usize,
}

/// Reads the format field and addresses of the frame starting at `bytes[0] == FLAG`. `Ok(None)`
/// means more bytes are needed to tell.
fn read_header(bytes: &[u8]) -> Result<Option<Header>, HdlcError> {
    match bytes.first() {
        None => return Ok(None),
        Some(&FLAG) => {}
        Some(_) => return Err(HdlcError::MissingOpeningFlag),
    }
    let (Some(&f0), Some(&f1)) = (bytes.get(1), bytes.get(2)) else {
        return Ok(None);
    };
    if f0 & 0xF0 != FORMAT_TYPE_3 {
        return Err(HdlcError::BadFormat(f0));
    }
    let length = (usize::from(f0 & 0x07) << 8) | usize::from(f1);
    if length < MIN_FRAME_LEN {
        return Err(HdlcError::LengthTooShort(length));
    }
    let Some(destination) = read_address(bytes, 3)? else {
        return Ok(None);
    };
    let Some(source) = read_address(bytes, destination.end)? else {
        return Ok(None);
    };
    let control_at = source.end;
    // The header (flag excluded) must still leave room for the FCS inside the length.
    if control_at + 2 > length {
        return Err(HdlcError::LengthTooShort(length));
    }
    Ok(Some(Header {
        length,
        segmented: f0 & SEGMENT_BIT != 0,
        destination,
        source,
        control_at,
    }))
}

/// An address runs until the byte whose least significant bit is 1.
fn read_address(bytes: &[u8], start: usize) -> Result<Option<std::ops::Range<usize>>, HdlcError> {
    for offset in 0..MAX_ADDRESS_LEN {
        match bytes.get(start + offset) {
            None => return Ok(None),
            Some(byte) if byte & 1 == 1 => return Ok(Some(start..start + offset + 1)),
            Some(_) => {}
        }
    }
    Err(HdlcError::BadAddress)
}

fn le_u16(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes([*bytes.get(at)?, *bytes.get(at + 1)?]))
}

/// The outcome of looking at the bytes from one flag on.
enum Attempt {
    /// A complete frame and the number of bytes it spans, flags included.
    Frame(Frame, usize),
    /// Could still be a frame: wait for more bytes.
    NeedMore,
    /// Not a frame from this flag.
    Invalid(HdlcError),
}

/// Checks the frame that starts at `bytes[0]` (a flag) as far as the available bytes allow.
/// The HCS is checked as soon as the header is in, so a corrupt length is caught early.
fn attempt(bytes: &[u8]) -> Attempt {
    let header = match read_header(bytes) {
        Ok(Some(header)) => header,
        Ok(None) => return Attempt::NeedMore,
        Err(error) => return Attempt::Invalid(error),
    };
    let total = header.length + 2;
    let fcs_at = header.length - 1; // index of the FCS in `bytes` (flag at 0)
    let has_information = header.control_at + 1 + 2 < fcs_at;
    if has_information {
        let hcs_at = header.control_at + 1;
        let Some(wire) = le_u16(bytes, hcs_at) else {
            return Attempt::NeedMore;
        };
        let computed = crc16_x25(&bytes[1..hcs_at]);
        if wire != computed {
            return Attempt::Invalid(HdlcError::HcsMismatch { wire, computed });
        }
    }
    if bytes.len() < total {
        return Attempt::NeedMore;
    }
    if bytes[total - 1] != FLAG {
        return Attempt::Invalid(HdlcError::MissingClosingFlag);
    }
    let computed = crc16_x25(&bytes[1..fcs_at]);
    let wire = le_u16(bytes, fcs_at).unwrap_or(!computed);
    if wire != computed {
        return Attempt::Invalid(HdlcError::FcsMismatch { wire, computed });
    }
    let information = if has_information {
        bytes[header.control_at + 3..fcs_at].to_vec()
    } else {
        Vec::new()
    };
    Attempt::Frame(
        Frame {
            destination: bytes[header.destination].to_vec(),
            source: bytes[header.source].to_vec(),
            control: bytes[header.control_at],
            segmented: header.segmented,
            information,
        },
        total,
    )
}

/// Parses exactly one frame `7E … 7E`; trailing bytes after the closing flag are an error only if
/// they make the length field disagree (they are ignored otherwise, use [`FrameReader`] for streams).
pub fn parse_frame(bytes: &[u8]) -> Result<Frame, HdlcError> {
    match attempt(bytes) {
        Attempt::Frame(frame, _) => Ok(frame),
        Attempt::Invalid(error) => Err(error),
        Attempt::NeedMore => {
            let need = match read_header(bytes) {
                Ok(Some(header)) => header.length + 2,
                _ => MIN_FRAME_LEN + 2,
            };
            Err(HdlcError::Truncated {
                have: bytes.len(),
                need,
            })
        }
    }
}

/// Streaming frame reader: push bytes as the serial port delivers them, in any chunking, and pop
/// validated frames (segments already joined).
///
/// It survives what a HAN line does in practice: garbage before or between frames, a frame cut
/// off when the line drops, bit errors (bad HCS/FCS). A rejected frame is reported once and the
/// reader resynchronises on the next `7E` after its opening flag, so the following good frame is
/// not lost. A frame whose line dropped is abandoned as soon as a complete valid frame is found
/// further on in the buffer; call [`FrameReader::reset`] after a long silence to drop it at once.
#[derive(Debug, Default, Clone)]
pub struct FrameReader {
    buffer: Vec<u8>,
    segments: Vec<u8>,
    in_segments: bool,
    /// Bytes skipped because they could not start a frame.
    discarded: u64,
}

impl FrameReader {
    /// A reader with nothing buffered.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// Drops everything buffered, e.g. after an idle gap longer than a push interval.
    pub fn reset(&mut self) {
        self.discarded += self.buffer.len() as u64;
        self.buffer.clear();
        self.segments.clear();
        self.in_segments = false;
    }

    /// How many bytes were skipped so far because they were not part of a valid frame.
    pub fn discarded_bytes(&self) -> u64 {
        self.discarded
    }

    /// The next complete frame, an error for a rejected one, or `None` when more bytes are needed.
    pub fn pop(&mut self) -> Option<Result<Frame, HdlcError>> {
        loop {
            self.skip_to_flag();
            match attempt(&self.buffer) {
                Attempt::Frame(frame, total) => {
                    // Keep the closing flag: it may double as the next frame's opening flag.
                    self.consume(total - 1, false);
                    match self.join_segments(frame) {
                        Some(result) => return Some(result),
                        None => continue,
                    }
                }
                Attempt::Invalid(error) => {
                    self.consume(1, true);
                    let noisy = !matches!(
                        error,
                        HdlcError::BadFormat(_)
                            | HdlcError::LengthTooShort(_)
                            | HdlcError::BadAddress
                    );
                    if noisy {
                        // A corrupt frame may have been one of the segments being joined.
                        self.segments.clear();
                        self.in_segments = false;
                        return Some(Err(error));
                    }
                    // A flag that is not followed by a frame header (e.g. the closing flag of
                    // the previous frame or a stray 0x7E in noise) is not worth an error.
                }
                Attempt::NeedMore => {
                    if let Some(skip) = self.later_complete_frame() {
                        self.consume(skip, true);
                        self.segments.clear();
                        self.in_segments = false;
                        return Some(Err(HdlcError::Truncated {
                            have: skip,
                            need: self.declared_length().unwrap_or(skip),
                        }));
                    }
                    if self.buffer.len() > MAX_BUFFERED {
                        // Cannot happen with a valid length field; guards against misuse.
                        self.consume(1, true);
                        continue;
                    }
                    return None;
                }
            }
        }
    }

    /// Drops bytes before the next flag.
    fn skip_to_flag(&mut self) {
        let skip = self
            .buffer
            .iter()
            .position(|&b| b == FLAG)
            .unwrap_or(self.buffer.len());
        self.consume(skip, true);
    }

    fn consume(&mut self, count: usize, discarded: bool) {
        let count = count.min(self.buffer.len());
        if discarded {
            self.discarded += count as u64;
        }
        self.buffer.drain(..count);
    }

    fn declared_length(&self) -> Option<usize> {
        match read_header(&self.buffer) {
            Ok(Some(header)) => Some(header.length + 2),
            _ => None,
        }
    }

    /// While the frame at the front is incomplete, looks for a complete valid frame starting at
    /// a later flag: if one is there, the front frame was cut off by a line drop.
    fn later_complete_frame(&self) -> Option<usize> {
        self.buffer
            .iter()
            .enumerate()
            .skip(1)
            .filter(|&(_, &b)| b == FLAG)
            .map(|(at, _)| at)
            .find(|&at| matches!(attempt(&self.buffer[at..]), Attempt::Frame(..)))
    }

    /// Joins segmented information fields; returns the frame once its last segment is in.
    fn join_segments(&mut self, mut frame: Frame) -> Option<Result<Frame, HdlcError>> {
        if !frame.segmented && !self.in_segments {
            return Some(Ok(frame));
        }
        if self.segments.len() + frame.information.len() > MAX_REASSEMBLED_LEN {
            self.segments.clear();
            self.in_segments = false;
            return Some(Err(HdlcError::ReassemblyTooLong));
        }
        self.segments.extend_from_slice(&frame.information);
        if frame.segmented {
            self.in_segments = true;
            return None;
        }
        self.in_segments = false;
        frame.information = std::mem::take(&mut self.segments);
        Some(Ok(frame))
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

    /// Kaifa list 1 (roarfred capture).
    const KAIFA_LIST1: &str =
        "7EA027010201105A87E6E7000F40000000090C07E1090E04151102FF800000020106000002FF219D7E";

    /// Builds a frame around `information` with correct HCS and FCS.
    fn build(information: &[u8], segmented: bool) -> Vec<u8> {
        let length = 2 + 1 + 2 + 1 + 2 + information.len() + 2;
        let mut body = vec![
            0xA0 | ((length >> 8) as u8 & 0x07) | if segmented { SEGMENT_BIT } else { 0 },
            length as u8,
            0x00,
            0x03, // two-byte destination 00 03
            0x21, // source
            0x13,
        ];
        let hcs = crc16_x25(&body);
        body.extend_from_slice(&hcs.to_le_bytes());
        body.extend_from_slice(information);
        let fcs = crc16_x25(&body);
        body.extend_from_slice(&fcs.to_le_bytes());
        let mut frame = vec![FLAG];
        frame.extend(body);
        frame.push(FLAG);
        frame
    }

    fn pop_all(reader: &mut FrameReader) -> Vec<Result<Frame, HdlcError>> {
        std::iter::from_fn(|| reader.pop()).collect()
    }

    #[test]
    fn parses_a_real_frame() {
        let frame = parse_frame(&hex(KAIFA_LIST1)).unwrap();
        assert_eq!(frame.destination, vec![0x01]);
        assert_eq!(frame.source, vec![0x02, 0x01]);
        assert_eq!(frame.control, 0x10);
        assert_eq!(&frame.information[..4], &[0xE6, 0xE7, 0x00, 0x0F]);
        // 41 bytes minus flags (2), format (2), addresses (3), control, HCS (2) and FCS (2).
        assert_eq!(frame.information.len(), 29);
    }

    #[test]
    fn rejects_a_flipped_bit_anywhere() {
        let good = hex(KAIFA_LIST1);
        for at in 1..good.len() - 1 {
            let mut bad = good.clone();
            bad[at] ^= 0x10;
            assert!(parse_frame(&bad).is_err(), "flip at {at}");
        }
    }

    #[test]
    fn frames_by_length_not_by_flag() {
        let mut information = vec![0xE6, 0xE7, 0x00, 0x7E, 0x7D, 0x7E, 0x7E];
        information.extend_from_slice(&[0x7E; 5]);
        let frame = build(&information, false);
        assert_eq!(parse_frame(&frame).unwrap().information, information);
        let mut reader = FrameReader::new();
        reader.push(&frame);
        let out = pop_all(&mut reader);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].as_ref().unwrap().information, information);
    }

    #[test]
    fn truncated_frame_is_reported() {
        let good = hex(KAIFA_LIST1);
        assert!(matches!(
            parse_frame(&good[..20]),
            Err(HdlcError::Truncated { have: 20, need: 41 })
        ));
    }

    #[test]
    fn frame_without_information_field() {
        let mut body = vec![0xA0, 0x07, 0x03, 0x21, 0x93];
        let fcs = crc16_x25(&body);
        body.extend_from_slice(&fcs.to_le_bytes());
        let mut frame = vec![FLAG];
        frame.extend(body);
        frame.push(FLAG);
        let parsed = parse_frame(&frame).unwrap();
        assert!(parsed.information.is_empty());
        assert_eq!(parsed.control, 0x93);
    }

    #[test]
    fn any_chunking_gives_the_same_frames() {
        let a = build(b"\xE6\xE7\x00first", false);
        let b = build(b"\xE6\xE7\x00second\x7E", false);
        let mut stream = b"garbage\x7E\x7E\xA0".to_vec();
        stream.extend(&a);
        stream.extend(b"\x00\x01noise");
        stream.extend(&b[1..]); // shares no flag: starts without its own opening flag → lost
        stream.extend(&b);
        stream.extend(&a);
        let mut whole = FrameReader::new();
        whole.push(&stream);
        let expected: Vec<_> = pop_all(&mut whole)
            .into_iter()
            .filter_map(Result::ok)
            .collect();
        assert_eq!(expected.len(), 3);
        for chunk in 1..=stream.len() {
            let mut reader = FrameReader::new();
            let mut got = Vec::new();
            for piece in stream.chunks(chunk) {
                reader.push(piece);
                got.extend(pop_all(&mut reader).into_iter().filter_map(Result::ok));
            }
            assert_eq!(got, expected, "chunk size {chunk}");
        }
    }

    #[test]
    fn bad_checksum_then_good_frame() {
        let mut bad = build(b"\xE6\xE7\x00bad one", false);
        let len = bad.len();
        bad[len - 3] ^= 0xFF; // FCS
        let good = build(b"\xE6\xE7\x00good", false);
        let mut reader = FrameReader::new();
        reader.push(&bad);
        reader.push(&good);
        let out = pop_all(&mut reader);
        assert!(matches!(out[0], Err(HdlcError::FcsMismatch { .. })));
        assert_eq!(out.iter().filter(|r| r.is_ok()).count(), 1);
        assert_eq!(
            out.last().unwrap().as_ref().unwrap().information,
            b"\xE6\xE7\x00good"
        );
    }

    #[test]
    fn shared_flag_between_frames() {
        let a = build(b"\xE6\xE7\x00one", false);
        let b = build(b"\xE6\xE7\x00two", false);
        let mut stream = a.clone();
        stream.extend(&b[1..]);
        let mut reader = FrameReader::new();
        reader.push(&stream);
        let got: Vec<_> = pop_all(&mut reader)
            .into_iter()
            .filter_map(Result::ok)
            .collect();
        assert_eq!(got.len(), 2);
    }

    #[test]
    fn line_drop_mid_frame_does_not_swallow_the_next_frame() {
        // A long frame cut off after 30 bytes, then a short complete frame: the short one sits
        // entirely inside the long frame's declared length.
        let long = build(&[0x55; 300], false);
        let short = build(b"\xE6\xE7\x00next", false);
        let mut stream = long[..30].to_vec();
        stream.extend(&short);
        let mut reader = FrameReader::new();
        reader.push(&stream);
        let out = pop_all(&mut reader);
        assert!(matches!(out[0], Err(HdlcError::Truncated { .. })));
        assert_eq!(out[1].as_ref().unwrap().information, b"\xE6\xE7\x00next");
    }

    #[test]
    fn joins_segments() {
        let first = build(b"\xE6\xE7\x00part one,", true);
        let second = build(b" part two", false);
        let mut reader = FrameReader::new();
        reader.push(&first);
        assert!(reader.pop().is_none());
        reader.push(&second);
        let frame = reader.pop().unwrap().unwrap();
        assert!(!frame.segmented);
        assert_eq!(frame.information, b"\xE6\xE7\x00part one, part two");
    }

    #[test]
    fn garbage_only_is_dropped() {
        let mut reader = FrameReader::new();
        reader.push(&[0x00, 0x11, 0x7E, 0x7E, 0x7E, 0xA0, 0x01, 0x22]);
        assert!(pop_all(&mut reader).is_empty());
        reader.push(&build(b"\xE6\xE7\x00ok", false));
        let got: Vec<_> = pop_all(&mut reader)
            .into_iter()
            .filter_map(Result::ok)
            .collect();
        assert_eq!(got.len(), 1);
        assert!(reader.discarded_bytes() > 0);
    }
}
