//! Crash safety of the store: a recording process is killed with SIGKILL at random moments, many
//! times; after each kill the file must open and hold every sample whose commit was reported,
//! each commit whole or not at all.
//!
//! The recording process is this test binary run again with `STORE_CRASH_CHILD` set, so the
//! child records through the real `Store` in a separate process. It also runs Optimize (file
//! compaction, which the recorder runs every night) every few commits, so kills land during
//! compactions too.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use backend::store::{Sample, Store};
use rand::Rng;
use shared::Quantity;

const CHILD_VARIABLE: &str = "STORE_CRASH_CHILD";
const START_VARIABLE: &str = "STORE_CRASH_START";
const DEVICES: u32 = 60;
const STEP: i64 = 600;
const START: i64 = 1_767_225_600; // 2026-01-01 00:00 UTC
/// Commits between two Optimize runs of the child.
const COMMITS_PER_OPTIMIZE: i64 = 8;

/// The value every series has at `time`: what the checker expects back.
fn energy(device: u32, time: i64) -> f64 {
    let steps = (time - START) / STEP;
    (f64::from(device) * 1_000.0 + steps as f64 * f64::from(device % 7 + 1)).round()
}

fn power(device: u32, time: i64) -> f64 {
    ((time / STEP) % 97 + i64::from(device)) as f64
}

fn samples_at(time: i64) -> Vec<Sample> {
    (1..=DEVICES)
        .flat_map(|device| {
            [
                Sample::new(
                    device,
                    Quantity::ActiveEnergyImport,
                    time,
                    energy(device, time),
                ),
                Sample::new(device, Quantity::ActivePower, time, power(device, time))
                    .with_range(0.0, 5_000.0),
            ]
        })
        .collect()
}

/// The child: records one period per commit, forever, printing each committed time, and
/// compacts the file every few commits, saying when it starts and ends.
#[test]
fn recording_child() {
    let Ok(path) = std::env::var(CHILD_VARIABLE) else {
        return;
    };
    let start: i64 = std::env::var(START_VARIABLE).unwrap().parse().unwrap();
    let store = Store::open(Path::new(&path)).unwrap();
    let mut time = start;
    loop {
        store.record(&samples_at(time)).unwrap();
        println!("committed {time}");
        if (time / STEP) % COMMITS_PER_OPTIMIZE == 0 {
            println!("optimizing");
            store.optimize().unwrap();
            println!("optimized");
        }
        time += STEP;
    }
}

/// The last time whose samples are all in the store, checking every stored one on the way.
fn check(path: &Path, reported: Option<i64>) -> i64 {
    let store = Store::open(path).expect("the file opens after a kill");
    let mut last = START - STEP;
    for device in 1..=DEVICES {
        let points = store
            .series(device, Quantity::ActiveEnergyImport, START, i64::MAX)
            .unwrap();
        // No hole, no foreign value: exactly the recorded sequence.
        for (index, point) in points.iter().enumerate() {
            let time = START + index as i64 * STEP;
            assert_eq!(point.time, time, "device {device}");
            assert_eq!(
                point.value,
                energy(device, time),
                "device {device} at {time}"
            );
        }
        let device_last = points.last().map_or(START - STEP, |point| point.time);
        if device == 1 {
            last = device_last;
        }
        // Commits are atomic: every series stops at the same time.
        assert_eq!(device_last, last, "device {device} stops elsewhere");
        let gauges = store
            .series(device, Quantity::ActivePower, START, i64::MAX)
            .unwrap();
        assert_eq!(gauges.len(), points.len());
        if let Some(point) = gauges.last() {
            assert_eq!(point.value, power(device, point.time));
            assert_eq!((point.min, point.max), (0.0, 5_000.0));
        }
    }
    if let Some(reported) = reported {
        assert!(
            last >= reported,
            "commit {reported} was reported but the store ends at {last}"
        );
    }
    // The roll-ups agree with the samples: consumption of device 1 since the start.
    let total: f64 = store
        .consumption_histogram(
            &[1],
            Quantity::ActiveEnergyImport,
            backend::store::Period::Decade,
            chrono::NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(),
        )
        .unwrap()
        .iter()
        .filter_map(|bucket| bucket.value)
        .sum();
    if last > START {
        assert_eq!(total, energy(1, last) - energy(1, START));
    }
    last
}

#[test]
fn killed_recorders_lose_no_committed_sample() {
    if std::env::var(CHILD_VARIABLE).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.redb");
    let executable = std::env::current_exe().unwrap();
    let mut rng = rand::rng();
    let mut next = START;
    let mut kills_after_a_commit = 0;
    let mut optimizations = 0;
    let mut kills_during_an_optimize = 0;
    for round in 0..30 {
        let mut child = Command::new(&executable)
            .args([
                "recording_child",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_VARIABLE, &path)
            .env(START_VARIABLE, next.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, receiver) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            // Optimize runs completed, and whether one was under way when the output ended.
            let (mut completed, mut under_way) = (0, false);
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(time) = line.strip_prefix("committed ") {
                    let _ = sender.send(time.parse::<i64>().unwrap());
                } else if line == "optimizing" {
                    under_way = true;
                } else if line == "optimized" {
                    under_way = false;
                    completed += 1;
                }
            }
            (completed, under_way)
        });
        // Let it run a random while: from before its first commit to dozens of commits
        // (crossing hourly compactions).
        std::thread::sleep(Duration::from_millis(rng.random_range(20..600)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let (completed, under_way) = reader.join().unwrap();
        optimizations += completed;
        kills_during_an_optimize += usize::from(under_way);
        let reported = receiver.try_iter().last();
        if reported.is_some() {
            kills_after_a_commit += 1;
        }
        let last = check(&path, reported);
        assert!(last + STEP >= next, "round {round}: samples disappeared");
        next = last + STEP;
    }
    assert!(
        kills_after_a_commit >= 10,
        "the children hardly committed: the test proves little"
    );
    assert!(
        optimizations >= 5,
        "the children hardly compacted ({optimizations}): the test proves little"
    );
    eprintln!(
        "{kills_after_a_commit} kills after a commit, {optimizations} compactions, \
         {kills_during_an_optimize} kills during one"
    );
    assert!(next > START + 100 * STEP);
}
