//! Listing and search at scale: one folder of 100,000 files against the same calls on a
//! folder of 1,000, on the embedded default (SQLite). Files are loaded through the API
//! (multipart batches of 1,000 tiny files: every rule applies), then each call is timed
//! over HTTP. The ratios say how the cost grows with the folder: 1.0 means "not at all".
//! It also prints the database's plan for a search, to show no table is scanned.
//!
//! Run: `cargo bench -p nimbus-server --bench listing` (BENCH_FILES=… for the large side).

mod support;

use nimbus_api::OnConflict;
use nimbus_client::{Client, ListOptions, UploadPart};
use nimbus_server::Config;
use nimbus_server::meta::SqlMetaStore;
use std::time::{Duration, Instant};

const PAGE: u32 = 100;
const ROUNDS: usize = 50;

async fn server() -> (Client, tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let (_, client) = support::start(dir.path(), |_| {}).await;
    let database_url = Config { data_dir: dir.path().to_path_buf(), ..Config::default() }.database_url();
    (client, dir, database_url)
}

/// `n` files of a few bytes in folder `dir`, 1,000 per request.
async fn load(c: &Client, dir: &str, n: usize) {
    for start in (0..n).step_by(1000) {
        let parts = (start..(start + 1000).min(n))
            .map(|i| UploadPart::bytes(&format!("{dir}-photo-{i:07}.jpg"), format!("{i}").into_bytes()))
            .collect();
        c.upload(Some(dir), OnConflict::Fail, parts).await.unwrap();
    }
}

/// Median and 99th percentile of `ROUNDS` runs of `call`.
async fn time<F, Fut>(mut call: F) -> (Duration, Duration)
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut samples = Vec::with_capacity(ROUNDS);
    for round in 0..ROUNDS {
        let started = Instant::now();
        call(round).await;
        samples.push(started.elapsed());
    }
    samples.sort();
    (samples[ROUNDS / 2], samples[(ROUNDS * 99 / 100).min(ROUNDS - 1)])
}

/// The cursor of the page halfway into a folder, found by paging there once.
async fn middle_cursor(c: &Client, level: &ListOptions, files: usize) -> Option<String> {
    let mut opts = level.clone();
    for _ in 0..files / 2 / PAGE as usize {
        opts.cursor = Some(c.list(&opts).await.unwrap().next_cursor?);
    }
    opts.cursor
}

struct Figures {
    first_page: (Duration, Duration),
    middle_page: (Duration, Duration),
    search: (Duration, Duration),
}

async fn measure(c: &Client, dir: &str, files: usize) -> Figures {
    let level =
        ListOptions { prefix: Some(format!("{dir}/")), one_level: true, limit: Some(PAGE), ..Default::default() };
    let first_page = time(|_| {
        let level = level.clone();
        async move {
            assert_eq!(c.list(&level).await.unwrap().items.len(), PAGE as usize);
        }
    })
    .await;
    let middle = middle_cursor(c, &level, files).await;
    let middle_page = time(|_| {
        let opts = ListOptions { cursor: middle.clone(), ..level.clone() };
        async move {
            assert_eq!(c.list(&opts).await.unwrap().items.len(), PAGE as usize);
        }
    })
    .await;
    // A selective search: one name in the folder, found among all of the user's files.
    let needle = format!("{dir}-photo-{:07}", files / 3);
    let search = time(|_| {
        let opts = ListOptions { q: Some(needle.clone()), limit: Some(PAGE), ..Default::default() };
        async move {
            assert_eq!(c.list(&opts).await.unwrap().items.len(), 1);
        }
    })
    .await;
    Figures { first_page, middle_page, search }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let big: usize = std::env::var("BENCH_FILES").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let small = 1_000;
    let (c, _dir, db_url) = server().await;
    let loading = Instant::now();
    load(&c, "small", small).await;
    load(&c, "big", big).await;
    let load_time = loading.elapsed();
    println!(
        "loaded {} files through the API in {:.1} s ({:.0} files/s)",
        small + big,
        load_time.as_secs_f64(),
        (small + big) as f64 / load_time.as_secs_f64()
    );
    // Measure the steady state: the background CAR indexer works through every new
    // content after a bulk load, competing for the two cores; wait until it is done.
    let last = ListOptions { q: Some(format!("big-photo-{:07}", big - 1)), ..Default::default() };
    let indexing = Instant::now();
    while c.list(&last).await.unwrap().items[0].file().unwrap().car_cid.is_none() {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    println!("background CAR indexing finished {:.1} s after the load", indexing.elapsed().as_secs_f64());
    let meta = SqlMetaStore::connect(&db_url).await.unwrap();
    meta.analyze().await.unwrap();
    let a = measure(&c, "small", small).await;
    let b = measure(&c, "big", big).await;

    println!("\nmedian (p99) over {ROUNDS} calls, one user, SQLite; ratio = big / small median, 1.00 = flat");
    println!("| call | {small} files | {big} files | ratio |");
    println!("| --- | --- | --- | --- |");
    for (name, x, y) in [
        ("one-level page, first", a.first_page, b.first_page),
        ("one-level page, middle (cursor)", a.middle_page, b.middle_page),
        ("search by name (selective)", a.search, b.search),
    ] {
        let ratio = y.0.as_secs_f64() / x.0.as_secs_f64();
        println!("| {name} | {} ({}) | {} ({}) | {ratio:.2}× |", ms(x.0), ms(x.1), ms(y.0), ms(y.1));
    }
    let me = c.me().await.unwrap();
    println!("\nfirst-page plan:\n{}", meta.explain_list_dir(&me.id, "big", "").await.unwrap());
    println!(
        "\nmiddle-page plan:\n{}",
        meta.explain_list_dir(&me.id, "big", "big/big-photo-0050000.jpg").await.unwrap()
    );
    println!("\nsearch plan:\n{}", meta.explain_search(&me.id, "big-photo-0033333", false).await.unwrap());
}
