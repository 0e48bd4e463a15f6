//! What every benchmark starts with: the embedded default (SQLite + local disk) in a
//! temporary data dir, on a loopback port, and a signed-in client.

use nimbus_client::Client;
use nimbus_server::{App, Config};
use std::path::Path;

/// The server's URL and a client signed in as `bench`, for a server over `data_dir`
/// with `tweak` applied to its configuration.
pub async fn start(data_dir: &Path, tweak: impl FnOnce(&mut Config)) -> (String, Client) {
    let mut config = Config { data_dir: data_dir.to_path_buf(), ..Config::default() };
    config.listen = "127.0.0.1:0".parse().unwrap();
    tweak(&mut config);
    let app = App::build(config).await.unwrap();
    let base = format!("http://{}", app.local_addr());
    tokio::spawn(app.run_until(std::future::pending()));
    let anon = Client::new(&base);
    let req = nimbus_api::RegisterRequest {
        username: "bench".into(),
        password: "bench password".into(),
        ..Default::default()
    };
    anon.register(&req).await.unwrap();
    let (client, _) = anon.login("bench", "bench password").await.unwrap();
    (base, client)
}

/// One durable small-file create, the floor a small upload is compared with: create,
/// write, fsync, rename into place, fsync the directory.
#[allow(dead_code)] // not every benchmark compares small files
pub fn durable_create(dir: &Path, name: &str, data: &[u8]) {
    use std::io::Write;
    let tmp = dir.join(format!("{name}.tmp"));
    let mut f = std::fs::File::create(&tmp).unwrap();
    f.write_all(data).unwrap();
    f.sync_all().unwrap();
    std::fs::rename(&tmp, dir.join(name)).unwrap();
    std::fs::File::open(dir).unwrap().sync_all().unwrap();
}
