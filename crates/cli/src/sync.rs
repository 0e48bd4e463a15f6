//! `nimbus sync`: a one-way mirror between a local folder and a server folder. A file
//! is sent when the other side lacks it or its size differs; when only the times
//! differ, the SHA-256 decides. `--delete` removes what the source lacks; `--dry-run`
//! prints the plan. Every transfer is atomic (a PUT or tus upload commits whole, a
//! download is renamed into place), so an interrupted sync is simply run again.

use crate::fail::{CliError, CliResult};
use crate::files::walk;
use crate::progress::Progress;
use crate::remote::{self, clean, join, unix_secs};
use crate::transfer::{self, mtime_secs, sha256_of};
use crate::{ClientOptions, print_json};
use clap::Args;
use futures_util::{StreamExt, TryStreamExt};
use nimbus_api::File;
use nimbus_client::Client;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
pub struct SyncArgs {
    /// What to copy from: a local folder or a server folder.
    source: String,
    /// What to make equal to it: a server folder or a local folder.
    dest: String,
    /// Remove files the source does not have.
    #[arg(long)]
    delete: bool,
    /// Print what would be done, and do nothing.
    #[arg(long, short = 'n')]
    dry_run: bool,
    /// Transfers at once.
    #[arg(short = 'j', long, default_value_t = 4)]
    jobs: usize,
}

/// One step of the plan, by the path relative to both folders.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "action", content = "path", rename_all = "snake_case")]
pub enum Step {
    Upload(String),
    Download(String),
    Delete(String),
}

/// A path that can only be local: absolute, relative to `.`/`..`, or in `~`.
fn plainly_local(p: &str) -> bool {
    p.starts_with('/') || p.starts_with("./") || p.starts_with("../") || p.starts_with('~') || p == "." || p == ".."
}

/// Whether the source is the local side: the side written as a local path, else the
/// one that exists here (the source first).
fn upward(source: &str, dest: &str) -> CliResult<bool> {
    match (plainly_local(source), plainly_local(dest)) {
        (true, false) => Ok(true),
        (false, true) => Ok(false),
        (true, true) => Err(CliError::usage("one side must be a server folder")),
        (false, false) if Path::new(source).exists() => Ok(true),
        (false, false) if Path::new(dest).exists() => Ok(false),
        (false, false) => Err(CliError::usage("one side must be a local folder (write it as ./name, /path or ~/path)")),
    }
}

fn expand(p: &str) -> PathBuf {
    match (p.strip_prefix('~'), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest.trim_start_matches('/')),
        _ => PathBuf::from(p),
    }
}

/// A local file: where it is, its size and its modification time (Unix seconds).
type LocalFile = (PathBuf, u64, Option<i64>);

/// Local files below `dir` by relative path (with `/`).
fn local_files(dir: &Path) -> CliResult<BTreeMap<String, LocalFile>> {
    if !dir.exists() {
        return Ok(BTreeMap::new());
    }
    let mut out = BTreeMap::new();
    for path in walk(dir)? {
        let meta = std::fs::metadata(&path)?;
        let rel = path.strip_prefix(dir).expect("below its folder").to_string_lossy().replace('\\', "/");
        out.insert(rel, (path, meta.len(), mtime_secs(&meta)));
    }
    Ok(out)
}

fn remote_by_rel(base: &str, files: Vec<File>) -> BTreeMap<String, File> {
    files
        .into_iter()
        .map(|f| {
            let rel = if base.is_empty() { f.path.clone() } else { f.path[base.len() + 1..].to_string() };
            (rel, f)
        })
        .collect()
}

/// Whether a local file and a remote one hold the same bytes, as cheaply as can be told.
async fn same(local: &Path, size: u64, mtime: Option<i64>, remote: &File) -> CliResult<bool> {
    if size != remote.size {
        return Ok(false);
    }
    if mtime.is_some() && mtime == unix_secs(&remote.modified_at) {
        return Ok(true);
    }
    Ok(sha256_of(local).await? == remote.sha256)
}

pub async fn sync(c: &Client, args: SyncArgs, opts: &ClientOptions) -> CliResult<()> {
    let upward = upward(&args.source, &args.dest)?;
    let (local_dir, remote_dir) =
        if upward { (expand(&args.source), clean(&args.dest)) } else { (expand(&args.dest), clean(&args.source)) };
    if upward && !local_dir.is_dir() {
        return Err(CliError::not_found(&args.source));
    }
    let local = local_files(&local_dir)?;
    let remote = remote_by_rel(&remote_dir, remote::files_below(c, &remote_dir).await?);

    let mut plan = Vec::new();
    if upward {
        for (rel, (path, size, mtime)) in &local {
            match remote.get(rel) {
                Some(r) if same(path, *size, *mtime, r).await? => {}
                _ => plan.push(Step::Upload(rel.clone())),
            }
        }
        if args.delete {
            plan.extend(remote.keys().filter(|rel| !local.contains_key(*rel)).map(|rel| Step::Delete(rel.clone())));
        }
    } else {
        for (rel, r) in &remote {
            match local.get(rel) {
                Some((path, size, mtime)) if same(path, *size, *mtime, r).await? => {}
                _ => plan.push(Step::Download(rel.clone())),
            }
        }
        if args.delete {
            plan.extend(local.keys().filter(|rel| !remote.contains_key(*rel)).map(|rel| Step::Delete(rel.clone())));
        }
    }

    if args.dry_run {
        if opts.json {
            return print_json(&plan);
        }
        for step in &plan {
            match step {
                Step::Upload(p) => println!("upload {p}"),
                Step::Download(p) => println!("download {p}"),
                Step::Delete(p) => println!("delete {p}"),
            }
        }
        return Ok(());
    }

    let bytes = plan
        .iter()
        .map(|s| match s {
            Step::Upload(rel) => local[rel].1,
            Step::Download(rel) => remote[rel].size,
            Step::Delete(_) => 0,
        })
        .sum();
    let progress = Progress::new(bytes);
    let transfers: Vec<Step> = plan.iter().filter(|s| !matches!(s, Step::Delete(_))).cloned().collect();
    futures_util::stream::iter(transfers)
        .map(|step| {
            let (progress, local, remote, local_dir, remote_dir) =
                (progress.clone(), &local, &remote, &local_dir, &remote_dir);
            async move {
                let bar = progress.bar();
                match &step {
                    Step::Upload(rel) => {
                        transfer::upload(c, &local[rel].0, &join(remote_dir, rel), &bar).await.map(|_| ())
                    }
                    Step::Download(rel) => {
                        transfer::download(c, &remote[rel], &local_dir.join(rel), &bar).await.map(|_| ())
                    }
                    Step::Delete(_) => Ok(()),
                }
            }
        })
        .buffer_unordered(args.jobs.max(1))
        .try_collect::<Vec<()>>()
        .await?;
    for step in &plan {
        if let Step::Delete(rel) = step {
            if upward {
                c.delete_file(&remote[rel].id).await?;
            } else {
                std::fs::remove_file(&local[rel].0)?;
            }
        }
    }
    progress.finish();
    if opts.json {
        return print_json(&plan);
    }
    let count = |f: fn(&Step) -> bool| plan.iter().filter(|s| f(s)).count();
    eprintln!(
        "{} sent, {} received, {} deleted, {} already equal",
        count(|s| matches!(s, Step::Upload(_))),
        count(|s| matches!(s, Step::Download(_))),
        count(|s| matches!(s, Step::Delete(_))),
        if upward { local.len() } else { remote.len() } - count(|s| !matches!(s, Step::Delete(_)))
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_side_written_as_a_local_path_is_local() {
        assert!(upward("./docs", "docs").unwrap());
        assert!(!upward("docs", "./docs").unwrap());
        assert!(!upward("docs", "~/docs").unwrap());
        assert!(upward("./a", "./b").is_err());
    }
}
