//! Fuzzes what the gateway does with bytes from the network before any policy:
//! command lines through smtp-proto's parser (as `smtp::session` calls it, one
//! line at a time, at most 4096 octets) and DATA through its un-stuffing receiver
//! in arbitrary chunks. Neither may panic, and DATA must never grow beyond its input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smtp_proto::Request;
use smtp_proto::request::receiver::DataReceiver;

fuzz_target!(|input: &[u8]| {
    for line in input.split_inclusive(|&byte| byte == b'\n') {
        let line = &line[..line.len().min(4096)];
        let _ = Request::parse(&mut line.iter()).map(Request::into_owned);
    }
    let mut receiver = DataReceiver::new();
    let mut body = Vec::new();
    let chunk = 1 + input.first().copied().unwrap_or(0) as usize % 64;
    for piece in input.chunks(chunk) {
        let mut bytes = piece.iter();
        if receiver.ingest(&mut bytes, &mut body) {
            break;
        }
    }
    assert!(body.len() <= input.len());
});
