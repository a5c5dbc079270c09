//! The Celery check's decoder of worker replies (kombu messages on Redis). Input:
//! `<min workers> <queue> <queue>…` on the first line, then one reply per line.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let mut lines = input.split(|&byte| byte == b'\n');
    let head = String::from_utf8_lossy(lines.next().unwrap_or_default());
    let mut words = head.split(' ');
    // Few workers: more would only take longer to reach.
    let min_workers = words.next().and_then(|n| n.parse().ok()).unwrap_or(1_usize) % 5;
    let queues: Vec<String> = words.take(3).map(str::to_owned).collect();
    let replies: Vec<&[u8]> = lines.collect();
    healthz::fuzzing::celery_replies(&replies, min_workers, &queues);
});
