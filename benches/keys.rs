//! Key encoding and decoding (`supportbox::store::keys`): every read and write builds
//! several of these (the record key plus one per secondary index).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use supportbox::store::keys::{Key, KeyReader};

fn encode(c: &mut Criterion) {
    let mut g = c.benchmark_group("key encode");
    g.bench_function("ticket (tenant, number)", |b| {
        b.iter(|| {
            Key::tenant(black_box(7))
                .u64(black_box(123_456))
                .into_bytes()
        })
    });
    g.bench_function("status index (tenant, status, updated desc, number)", |b| {
        b.iter(|| {
            Key::tenant(black_box(7))
                .u64(black_box(2))
                .desc_u64(black_box(1_764_000_000_000_000))
                .u64(black_box(123_456))
                .into_bytes()
        })
    });
    g.bench_function("customer index (tenant, name, number)", |b| {
        b.iter(|| {
            Key::tenant(black_box(7))
                .str(black_box("müller anna"))
                .u64(black_box(123_456))
                .into_bytes()
        })
    });
    g.bench_function("prefix range of (tenant, status)", |b| {
        b.iter(|| Key::tenant(black_box(7)).u64(black_box(2)).prefix_range())
    });
    g.finish();
}

fn decode(c: &mut Criterion) {
    let status = Key::tenant(7)
        .u64(2)
        .desc_u64(1_764_000_000_000_000)
        .u64(123_456)
        .into_bytes();
    let customer = Key::tenant(7).str("müller anna").u64(123_456).into_bytes();
    let mut g = c.benchmark_group("key decode");
    g.bench_function("status index", |b| {
        b.iter(|| {
            let mut r = KeyReader::new(black_box(&status));
            let t = r.tenant();
            let s = r.u64();
            let u = r.desc_u64();
            let n = r.u64();
            (t, s, u, n, r.finish())
        })
    });
    g.bench_function("customer index", |b| {
        b.iter(|| {
            let mut r = KeyReader::new(black_box(&customer));
            let t = r.tenant();
            let name = r.str();
            let n = r.u64();
            (t, name, n, r.finish())
        })
    });
    g.finish();
}

criterion_group!(benches, encode, decode);
criterion_main!(benches);
