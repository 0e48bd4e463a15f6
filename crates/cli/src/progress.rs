//! Progress bars for transfers: one for the whole command and one per file in flight,
//! with bytes, speed and time left. Drawn on stderr, and only when stdout is a
//! terminal, so pipes and scripts see no escape codes.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

#[derive(Clone)]
pub struct Progress {
    multi: MultiProgress,
    total: ProgressBar,
    visible: bool,
}

/// One file's bar (a no-op when progress is hidden).
pub struct Bar {
    bar: ProgressBar,
    total: ProgressBar,
}

impl Progress {
    /// A progress display for `bytes` in all, drawn only on a terminal.
    pub fn new(bytes: u64) -> Self {
        let visible = std::io::stdout().is_terminal() && std::io::stderr().is_terminal();
        let target = if visible { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() };
        let multi = MultiProgress::with_draw_target(target);
        let total = multi.add(ProgressBar::new(bytes));
        total.set_style(
            ProgressStyle::with_template("{prefix:>8} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}")
                .expect("a valid template")
                .progress_chars("=> "),
        );
        total.set_prefix("total");
        Progress { multi, total, visible }
    }

    pub fn bar(&self) -> Bar {
        let bar = if self.visible { self.multi.add(ProgressBar::new(0)) } else { ProgressBar::hidden() };
        bar.set_style(
            ProgressStyle::with_template("  {wide_msg} {bytes}/{total_bytes} {bytes_per_sec}")
                .expect("a valid template"),
        );
        Bar { bar, total: self.total.clone() }
    }

    pub fn finish(&self) {
        self.total.finish_and_clear();
    }
}

impl Bar {
    pub fn start(&self, name: &str, bytes: u64) {
        self.bar.set_message(name.to_string());
        self.bar.set_length(bytes);
        self.bar.set_position(0);
    }

    pub fn advance(&self, bytes: u64) {
        self.bar.inc(bytes);
        self.total.inc(bytes);
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}
