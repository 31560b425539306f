//! Modbus PDUs (function code and data, the part RTU and TCP frames share) to and from requests
//! and answers, so both transports decode and encode exactly alike.

use tokio_modbus::prelude::{ExceptionCode, Request, Response};

/// The most coils or discrete inputs one read may ask for.
pub(crate) const MAX_READ_BITS: u16 = 2000;
/// The most registers one read may ask for.
pub(crate) const MAX_READ_WORDS: u16 = 125;
/// The most coils one write may carry.
const MAX_WRITE_BITS: u16 = 1968;
/// The most registers one write may carry.
const MAX_WRITE_WORDS: u16 = 123;

/// The request carried by `pdu`: reads (functions 1 to 4) and writes (5, 6, 15, 16). Any other
/// function comes back as [`Request::Custom`] for the device to refuse.
pub(crate) fn parse_request(pdu: &[u8]) -> Result<Request<'static>, ExceptionCode> {
    let Some((&function, data)) = pdu.split_first() else {
        return Err(ExceptionCode::IllegalFunction);
    };
    let word = |at: usize| u16::from_be_bytes([data[at], data[at + 1]]);
    let pair = |limit: u16| match data {
        [_, _, _, _] => {
            let count = word(2);
            if count == 0 || count > limit {
                Err(ExceptionCode::IllegalDataValue)
            } else {
                Ok((word(0), count))
            }
        }
        _ => Err(ExceptionCode::IllegalDataValue),
    };
    // Address, quantity, byte count and the values of a multiple write.
    let multiple = |limit: u16, bytes_for: fn(u16) -> usize| {
        if data.len() < 5 {
            return Err(ExceptionCode::IllegalDataValue);
        }
        let (address, count) = (word(0), word(2));
        let bytes = usize::from(data[4]);
        if count == 0 || count > limit || bytes != bytes_for(count) || data.len() != 5 + bytes {
            return Err(ExceptionCode::IllegalDataValue);
        }
        Ok((address, count, &data[5..]))
    };
    match function {
        1 => pair(MAX_READ_BITS).map(|(address, count)| Request::ReadCoils(address, count)),
        2 => {
            pair(MAX_READ_BITS).map(|(address, count)| Request::ReadDiscreteInputs(address, count))
        }
        3 => pair(MAX_READ_WORDS)
            .map(|(address, count)| Request::ReadHoldingRegisters(address, count)),
        4 => {
            pair(MAX_READ_WORDS).map(|(address, count)| Request::ReadInputRegisters(address, count))
        }
        5 => match data {
            [_, _, _, _] => match word(2) {
                0xFF00 => Ok(Request::WriteSingleCoil(word(0), true)),
                0x0000 => Ok(Request::WriteSingleCoil(word(0), false)),
                _ => Err(ExceptionCode::IllegalDataValue),
            },
            _ => Err(ExceptionCode::IllegalDataValue),
        },
        6 => match data {
            [_, _, _, _] => Ok(Request::WriteSingleRegister(word(0), word(2))),
            _ => Err(ExceptionCode::IllegalDataValue),
        },
        15 => multiple(MAX_WRITE_BITS, |count| usize::from(count).div_ceil(8)).map(
            |(address, count, bytes)| {
                let bits: Vec<bool> = (0..usize::from(count))
                    .map(|bit| bytes[bit / 8] >> (bit % 8) & 1 == 1)
                    .collect();
                Request::WriteMultipleCoils(address, bits.into())
            },
        ),
        16 => {
            multiple(MAX_WRITE_WORDS, |count| 2 * usize::from(count)).map(|(address, _, bytes)| {
                let words: Vec<u16> = bytes
                    .chunks_exact(2)
                    .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
                    .collect();
                Request::WriteMultipleRegisters(address, words.into())
            })
        }
        _ => Ok(Request::Custom(function, data.to_vec().into())),
    }
}

/// The PDU answering a request with function `function`.
pub(crate) fn encode_answer(function: u8, answer: Result<Response, ExceptionCode>) -> Vec<u8> {
    let words = |pdu: &mut Vec<u8>, values: &[u16]| {
        for value in values {
            pdu.extend_from_slice(&value.to_be_bytes());
        }
    };
    match answer {
        Ok(Response::ReadHoldingRegisters(values) | Response::ReadInputRegisters(values)) => {
            let mut pdu = Vec::with_capacity(2 + values.len() * 2);
            pdu.push(function);
            // At most 125 words: the byte count fits.
            pdu.push((values.len() * 2) as u8);
            words(&mut pdu, &values);
            pdu
        }
        Ok(Response::ReadCoils(bits) | Response::ReadDiscreteInputs(bits)) => {
            let mut packed = vec![0u8; bits.len().div_ceil(8)];
            for (bit, on) in bits.iter().enumerate() {
                if *on {
                    packed[bit / 8] |= 1 << (bit % 8);
                }
            }
            let mut pdu = vec![function, packed.len() as u8];
            pdu.extend_from_slice(&packed);
            pdu
        }
        // Writes are confirmed by echoing address and value, or address and quantity.
        Ok(Response::WriteSingleCoil(address, on)) => {
            let mut pdu = vec![function];
            words(&mut pdu, &[address, if on { 0xFF00 } else { 0 }]);
            pdu
        }
        Ok(
            Response::WriteSingleRegister(address, second)
            | Response::WriteMultipleCoils(address, second)
            | Response::WriteMultipleRegisters(address, second),
        ) => {
            let mut pdu = vec![function];
            words(&mut pdu, &[address, second]);
            pdu
        }
        // The devices answer nothing else; should one ever, it is a device failure, not a panic.
        Ok(_) => vec![
            function | 0x80,
            u8::from(ExceptionCode::ServerDeviceFailure),
        ],
        Err(exception) => vec![function | 0x80, u8::from(exception)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_parse_and_other_functions_pass_through() {
        assert_eq!(
            parse_request(&[4, 0, 0x34, 0, 2]),
            Ok(Request::ReadInputRegisters(0x34, 2))
        );
        assert_eq!(
            parse_request(&[3, 0x5B, 0, 0, 2]),
            Ok(Request::ReadHoldingRegisters(0x5B00, 2))
        );
        assert_eq!(
            parse_request(&[3, 0, 0]),
            Err(ExceptionCode::IllegalDataValue)
        );
        assert_eq!(
            parse_request(&[1, 0, 0, 0x07, 0xD0]),
            Ok(Request::ReadCoils(0, 2000))
        );
        assert_eq!(
            parse_request(&[2, 0, 0, 0x07, 0xD1]),
            Err(ExceptionCode::IllegalDataValue)
        );
        assert_eq!(
            parse_request(&[4, 0, 0, 0, 0]),
            Err(ExceptionCode::IllegalDataValue)
        );
        assert!(matches!(
            parse_request(&[43, 14, 1, 0]),
            Ok(Request::Custom(43, _))
        ));
        assert_eq!(parse_request(&[]), Err(ExceptionCode::IllegalFunction));
    }

    #[test]
    fn writes_parse_and_malformed_ones_are_refused() {
        assert_eq!(
            parse_request(&[5, 0, 1, 0xFF, 0]),
            Ok(Request::WriteSingleCoil(1, true))
        );
        assert_eq!(
            parse_request(&[5, 0, 1, 0, 0]),
            Ok(Request::WriteSingleCoil(1, false))
        );
        assert_eq!(
            parse_request(&[5, 0, 1, 0x12, 0x34]),
            Err(ExceptionCode::IllegalDataValue)
        );
        assert_eq!(
            parse_request(&[6, 1, 0, 0, 1]),
            Ok(Request::WriteSingleRegister(0x100, 1))
        );
        assert_eq!(
            parse_request(&[15, 0, 0, 0, 3, 1, 0b101]),
            Ok(Request::WriteMultipleCoils(
                0,
                vec![true, false, true].into()
            ))
        );
        assert_eq!(
            parse_request(&[16, 0, 0x10, 0, 2, 4, 0, 1, 0, 2]),
            Ok(Request::WriteMultipleRegisters(0x10, vec![1, 2].into()))
        );
        // Byte count that does not match the quantity, or missing bytes.
        assert_eq!(
            parse_request(&[16, 0, 0x10, 0, 2, 3, 0, 1, 0]),
            Err(ExceptionCode::IllegalDataValue)
        );
        assert_eq!(
            parse_request(&[15, 0, 0, 0, 9, 1, 0]),
            Err(ExceptionCode::IllegalDataValue)
        );
    }

    #[test]
    fn answers_encode_as_on_the_wire() {
        assert_eq!(
            encode_answer(4, Ok(Response::ReadInputRegisters(vec![0x1234, 0x0001]))),
            vec![4, 4, 0x12, 0x34, 0, 1]
        );
        assert_eq!(
            encode_answer(3, Err(ExceptionCode::IllegalDataAddress)),
            vec![0x83, 2]
        );
        let bits = vec![true, false, true, false, false, false, false, false, true];
        assert_eq!(
            encode_answer(2, Ok(Response::ReadDiscreteInputs(bits))),
            vec![2, 2, 0b0000_0101, 0b0000_0001]
        );
        assert_eq!(
            encode_answer(5, Ok(Response::WriteSingleCoil(1, true))),
            vec![5, 0, 1, 0xFF, 0]
        );
        assert_eq!(
            encode_answer(16, Ok(Response::WriteMultipleRegisters(0x10, 2))),
            vec![16, 0, 0x10, 0, 2]
        );
    }
}
