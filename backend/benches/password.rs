//! What one login costs: argon2id with the parameters the server uses (19 MiB, 2 passes, 1 lane).
//! The figure is the time itself: slow enough to make guessing expensive, fast enough that a
//! login on the box stays well under a second.
//!
//! `cargo bench -p backend --bench password [-- --rounds N]`

use std::time::{Duration, Instant};

use backend::auth::password;

fn main() {
    let rounds = std::env::args()
        .skip_while(|argument| argument != "--rounds")
        .nth(1)
        .and_then(|value| value.parse().ok())
        .unwrap_or(20usize);
    let stored = password::hash("correct horse battery").expect("hashing works");
    let mut hashing = Vec::with_capacity(rounds);
    let mut verifying = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let start = Instant::now();
        let _ = password::hash("correct horse battery");
        hashing.push(start.elapsed());
        let start = Instant::now();
        assert!(password::verify("correct horse battery", &stored));
        verifying.push(start.elapsed());
    }
    println!(
        "argon2id m=19 MiB t=2 p=1, {rounds} rounds on {}",
        machine()
    );
    println!("| operation | median ms | p95 ms | logins/s on one core |");
    println!("|---|---:|---:|---:|");
    for (name, times) in [
        ("hash (new password)", &mut hashing),
        ("verify (one login)", &mut verifying),
    ] {
        times.sort();
        let median = times[times.len() / 2];
        let p95 = times[(times.len() * 95 / 100).min(times.len() - 1)];
        println!(
            "| {name} | {:.1} | {:.1} | {:.1} |",
            milliseconds(median),
            milliseconds(p95),
            1000.0 / milliseconds(median)
        );
    }
}

fn milliseconds(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|line| line.starts_with("model name") || line.starts_with("Model"))
                .and_then(|line| line.split(':').nth(1))
                .map(|name| name.trim().to_owned())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_owned());
    format!("{cpu} ({})", std::env::consts::ARCH)
}
