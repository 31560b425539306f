//! The HAN receive path (HDLC framing, segment and block reassembly, DLMS, list mapping) fed
//! arbitrary bytes in arbitrary chunks: it must never panic, loop or grow without bound.
#![no_main]

use backend::acquisition::han::{FrameReader, HanDecoder};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte picks the chunk sizes, the rest is the line.
    let Some((&seed, line)) = data.split_first() else {
        return;
    };
    let mut decoder = HanDecoder::new();
    let mut frames = FrameReader::new();
    let mut rest = line;
    let mut step = usize::from(seed);
    while !rest.is_empty() {
        step = (step * 31 + 7) % 97 + 1;
        let (chunk, tail) = rest.split_at(step.min(rest.len()));
        rest = tail;
        decoder.push(chunk);
        frames.push(chunk);
        while let Some(result) = decoder.pop() {
            if let Ok(reading) = result {
                let _ = reading.to_readings();
            }
        }
        while frames.pop().is_some() {}
    }
});
