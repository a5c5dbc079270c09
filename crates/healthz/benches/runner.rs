//! The cost of the runner and the endpoint, each next to a baseline measured in the
//! same run: `scripts/bench.sh` prints the ratios.
//!
//! - `runner/registry` runs ten no-op checks through `Registry::run` (single-flight,
//!   timeouts, panic capture, history); `runner/baseline` spawns and awaits the same
//!   ten futures by hand.
//! - `endpoint/json` answers a whole request (negotiation, run, render, headers);
//!   `endpoint/baseline` serializes the same ten results as a plain JSON map.

use std::collections::BTreeMap;
use std::hint::black_box;

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

fn registry() -> Registry {
    (0..CHECKS)
        .fold(Registry::builder(), |builder, i| {
            builder.check_with(NoOp, CheckOptions::new().name(format!("Check{i}")))
        })
        .build()
        .expect("unique names")
}

fn runner(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let registry = registry();
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
    let endpoint = Endpoint::new(registry());
    let mut headers = HeaderMap::new();
    headers.insert("accept", HeaderValue::from_static("application/json"));
    let mut group = c.benchmark_group("endpoint");
    group.bench_function("json", |b| {
        b.to_async(&runtime).iter(|| async {
            black_box(
                endpoint
                    .respond(EndpointRequest {
                        method: &Method::GET,
                        sub_path: "/",
                        query: None,
                        headers: &headers,
                    })
                    .await,
            )
        });
    });
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
