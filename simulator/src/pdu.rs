//! Modbus PDUs (function code and data, the part RTU and TCP frames share) to and from requests
//! and answers, so both transports decode and encode exactly alike.

use tokio_modbus::prelude::{ExceptionCode, Request, Response};

/// The request carried by `pdu`. Reads of holding and input registers are the only functions a
/// meter serves; any other function comes back as [`Request::Custom`] for the device to refuse.
pub(crate) fn parse_request(pdu: &[u8]) -> Result<Request<'static>, ExceptionCode> {
    let Some((&function, data)) = pdu.split_first() else {
        return Err(ExceptionCode::IllegalFunction);
    };
    let read = |data: &[u8]| match data {
        [a0, a1, c0, c1] => Ok((
            u16::from_be_bytes([*a0, *a1]),
            u16::from_be_bytes([*c0, *c1]),
        )),
        _ => Err(ExceptionCode::IllegalDataValue),
    };
    match function {
        3 => read(data).map(|(address, count)| Request::ReadHoldingRegisters(address, count)),
        4 => read(data).map(|(address, count)| Request::ReadInputRegisters(address, count)),
        _ => Ok(Request::Custom(function, data.to_vec().into())),
    }
}

/// The PDU answering a request with function `function`.
pub(crate) fn encode_answer(function: u8, answer: Result<Response, ExceptionCode>) -> Vec<u8> {
    match answer {
        Ok(Response::ReadHoldingRegisters(words) | Response::ReadInputRegisters(words)) => {
            let mut pdu = Vec::with_capacity(2 + words.len() * 2);
            pdu.push(function);
            // At most 125 words: the byte count fits.
            pdu.push((words.len() * 2) as u8);
            for word in words {
                pdu.extend_from_slice(&word.to_be_bytes());
            }
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
        assert!(matches!(
            parse_request(&[6, 0, 1, 0, 2]),
            Ok(Request::Custom(6, _))
        ));
        assert_eq!(parse_request(&[]), Err(ExceptionCode::IllegalFunction));
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
    }
}
