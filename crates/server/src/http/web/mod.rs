//! The web app (static files compiled into the binary) and the public link page.

mod assets;
mod link_page;

pub use assets::*;
pub use link_page::*;

use super::AppState;
use axum::Router;
use axum::routing::get;

pub fn routes() -> Router<AppState> {
    Router::new().route("/", get(index)).route("/assets/{*name}", get(asset))
}
