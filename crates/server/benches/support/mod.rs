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
