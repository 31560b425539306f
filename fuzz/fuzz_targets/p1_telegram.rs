//! DSMR P1 parsing and the streaming telegram reader on arbitrary bytes in arbitrary chunks.
#![no_main]

use backend::acquisition::han::{P1Telegram, TelegramReader};
use libfuzzer_sys::fuzz_target;

fn use_telegram(telegram: &P1Telegram) {
    let reading = telegram.to_han_reading();
    let _ = reading.to_readings();
    for mbus in telegram.mbus_readings() {
        let _ = mbus.to_reading();
    }
}

fuzz_target!(|data: &[u8]| {
    // The CRC rejects nearly everything the fuzzer makes, so also parse the body as if the CRC
    // were right: patch the real CRC in after the first '!'.
    if let Ok(telegram) = P1Telegram::parse(data) {
        use_telegram(&telegram);
    }
    if let Some(bang) = data.iter().position(|&b| b == b'!')
        && data.first() == Some(&b'/')
    {
        let mut patched = data[..=bang].to_vec();
        let crc = backend::acquisition::han::crc::crc16_arc(&patched);
        patched.extend(format!("{crc:04X}\r\n").bytes());
        if let Ok(telegram) = P1Telegram::parse(&patched) {
            use_telegram(&telegram);
        }
    }
    let Some((&seed, line)) = data.split_first() else {
        return;
    };
    let mut reader = TelegramReader::new();
    let mut rest = line;
    let mut step = usize::from(seed);
    while !rest.is_empty() {
        step = (step * 31 + 7) % 61 + 1;
        let (chunk, tail) = rest.split_at(step.min(rest.len()));
        rest = tail;
        reader.push(chunk);
        while let Some(result) = reader.pop() {
            if let Ok(telegram) = result {
                use_telegram(&telegram);
            }
        }
    }
});
