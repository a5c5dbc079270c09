//! The cost of the runner and the endpoint, each next to a baseline measured in the
//! same run: `scripts/bench.sh` prints the ratios.
//!
//! - `runner/registry` runs ten no-op checks through `Registry::run` (single-flight,
//!   timeouts, panic capture, history); `runner/baseline` spawns and awaits the same
//!   ten futures by hand.
//! - `endpoint/json` answers a whole request (negotiation, run, render, headers);
//!   `endpoint/background` the same request when the ten checks run in the background
//!   (it reads their latest results and runs nothing); `endpoint/baseline` serializes
//!   the same ten results as a plain JSON map.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use healthz::{
    CheckOptions, CheckResult, Endpoint, EndpointRequest, HealthCheck, Registry, Selection,
};
use http::{HeaderMap, HeaderValue, Method};

const CHECKS: usize = 10;

struct NoOp;

impl HealthCheck for NoOp {
    async fn check(&self) -> CheckResult {
        Ok(())
    }
}

fn registry(options: impl Fn() -> CheckOptions) -> Registry {
    (0..CHECKS)
        .fold(Registry::builder(), |builder, i| {
            builder.check_with(NoOp, options().name(format!("Check{i}")))
        })
        .build()
        .expect("unique names")
}

fn runner(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let registry = registry(CheckOptions::new);
    let selection = Selection::all();
    let mut group = c.benchmark_group("runner");
    group.bench_function("registry", |b| {
        b.to_async(&runtime)
            .iter(|| async { black_box(registry.run(&selection).await.expect("all")) });
    });
    group.bench_function("baseline", |b| {
        b.to_async(&runtime).iter(|| async {
            let tasks: Vec<_> = (0..CHECKS)
                .map(|_| tokio::spawn(async { NoOp.check().await }))
                .collect();
            for task in tasks {
                black_box(task.await.expect("no panic")).expect("no-op works");
            }
        });
    });
    group.finish();
}

fn endpoint(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let on_request = Endpoint::new(registry(CheckOptions::new));
    let background = Endpoint::new(registry(|| {
        CheckOptions::new().interval(Duration::from_secs(3600))
    }));
    let mut headers = HeaderMap::new();
    headers.insert("accept", HeaderValue::from_static("application/json"));
    let request = EndpointRequest {
        method: &Method::GET,
        sub_path: "/",
        query: None,
        headers: &headers,
    };
    runtime.block_on(async {
        // The background checks start with the first request; then their first results.
        background.respond(request).await;
        while background.respond(request).await.status() != 200 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    });
    let mut group = c.benchmark_group("endpoint");
    for (name, endpoint) in [("json", &on_request), ("background", &background)] {
        group.bench_function(name, |b| {
            b.to_async(&runtime)
                .iter(|| async { black_box(endpoint.respond(request).await) });
        });
    }
    group.bench_function("baseline", |b| {
        b.iter(|| {
            let map: BTreeMap<String, &str> = (0..CHECKS)
                .map(|i| (format!("Check{i}"), "working"))
                .collect();
            black_box(serde_json::to_string(&map).expect("strings serialize"))
        });
    });
    group.finish();
}

criterion_group!(benches, runner, endpoint);
criterion_main!(benches);
