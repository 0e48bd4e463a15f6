//! Server-rendered pages for people without the app: the public link page.

mod link_page;

pub use link_page::*;
