//! DLMS payload decoding (LLC, data-notification, General Block Transfer, A-XDR, list mapping)
//! on arbitrary bytes: errors are fine, panics are not.
#![no_main]

use backend::acquisition::han::{ApduAssembler, axdr, decode_notification, decode_payload};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(reading) = decode_payload(data) {
        let _ = reading.to_readings();
    }
    let _ = axdr::decode(data);
    // The same bytes as a sequence of payloads separated by 0x7E, as blocks of a transfer.
    let mut assembler = ApduAssembler::new();
    for payload in data.split(|&b| b == 0x7E) {
        if let Ok(Some(notification)) = assembler.push(payload) {
            let _ = decode_notification(&notification);
        }
    }
});
