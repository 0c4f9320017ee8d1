//! The test DNS server as a process, for benchmarks of the built binary
//! (`bench/dnslists.sh`): serves the records of a zone-like file (`name TYPE
//! data` lines, as `TestDns::add_lines` reads them), prints its address, then
//! answers each line read from standard input with the queries received so far
//! as JSON (`{"queries": N, "for": {"<name>": n}}` for the names on the line), and
//! stops when standard input closes.
//!
//! usage: cargo run --release -p sluice-testdns --example serve -- ZONE_FILE

use std::io::{BufRead, Write};

use sluice_testdns::TestDns;

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: serve ZONE_FILE");
        std::process::exit(2);
    };
    let zone = std::fs::read_to_string(&path).unwrap_or_else(|error| {
        eprintln!("{path}: {error}");
        std::process::exit(1);
    });
    let dns = TestDns::start();
    dns.add_lines(&zone);
    let mut out = std::io::stdout();
    let _ = writeln!(out, "{}", dns.address());
    let _ = out.flush();
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let counts: Vec<String> = line.split_whitespace().map(|name| format!("\"{name}\": {}", dns.queries_for(name))).collect();
        let _ = writeln!(out, "{{\"queries\": {}, \"for\": {{{}}}}}", dns.queries().len(), counts.join(", "));
        let _ = out.flush();
    }
}
