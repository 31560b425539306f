//! The two 16-bit CRCs meters put on their HAN/P1 output.
//!
//! Both are reflected CRC-16s computed bit by bit: frames are at most a few kilobytes every
//! couple of seconds, so a 512-byte lookup table would buy nothing on the gateway.

/// CRC-16/X.25 (IEC 62056-46 HDLC HCS and FCS): reflected polynomial 0x1021 (0x8408 reversed),
/// init 0xFFFF, xorout 0xFFFF. Meters send it least significant byte first.
pub fn crc16_x25(data: &[u8]) -> u16 {
    !reflected_crc16(0x8408, 0xFFFF, data)
}

/// CRC-16/ARC (DSMR P1 telegrams, over `/` … `!` inclusive): reflected polynomial 0x8005
/// (0xA001 reversed), init 0, no xorout. Written as upper-case hex after the `!`.
pub fn crc16_arc(data: &[u8]) -> u16 {
    reflected_crc16(0xA001, 0x0000, data)
}

fn reflected_crc16(poly: u16, init: u16, data: &[u8]) -> u16 {
    let mut crc = init;
    for &byte in data {
        crc ^= u16::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ poly
            } else {
                crc >> 1
            };
        }
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_check_values() {
        // The "check" values of the CRC catalogue (reveng) over ASCII "123456789".
        assert_eq!(crc16_x25(b"123456789"), 0x906E);
        assert_eq!(crc16_arc(b"123456789"), 0xBB3D);
    }

    #[test]
    fn empty_input() {
        assert_eq!(crc16_x25(&[]), 0x0000);
        assert_eq!(crc16_arc(&[]), 0x0000);
    }

    #[test]
    fn kaifa_list1_header_check_sequence() {
        // 7E A0 27 01 02 01 10 5A 87 …: HCS over A0 27 01 02 01 10 is 0x875A, sent 5A 87.
        assert_eq!(crc16_x25(&[0xA0, 0x27, 0x01, 0x02, 0x01, 0x10]), 0x875A);
    }
}
