//! File commands: `ls`, `put`, `get`, `cat`, `mkdir`, `mv`, `cp`, `rm`, `find`, `cid`,
//! `car`.

use crate::fail::{CliError, CliResult, with_retries};
use crate::progress::Progress;
use crate::remote::{self, Remote, clean, join};
use crate::transfer::{self, sha256_of};
use crate::{ClientOptions, print_json};
use clap::Args;
use futures_util::{StreamExt, TryStreamExt};
use nimbus_api::Entry;
use nimbus_client::{Client, ListOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
#[command(disable_help_flag = true)]
pub struct LsArgs {
    /// A folder or a file [default: the top folder].
    #[arg(default_value = "")]
    path: String,
    /// Long form: size, modification time, name.
    #[arg(short, long)]
    long: bool,
    /// Everything below, not just one level.
    #[arg(short = 'R', long)]
    recursive: bool,
    /// Sizes like 1.5 MiB (`-h`, as in ls; help is `--help`).
    #[arg(short = 'h', long = "human")]
    human: bool,
    /// Print help.
    #[arg(long, action = clap::ArgAction::Help)]
    help: Option<bool>,
}

pub async fn ls(c: &Client, args: LsArgs, opts: &ClientOptions) -> CliResult<()> {
    let path = clean(&args.path);
    let entries: Vec<Entry> = match remote::stat(c, &path).await? {
        Remote::Nothing => return Err(CliError::not_found(&args.path)),
        Remote::File(f) => vec![Entry::File(f)],
        Remote::Folder if args.recursive => remote::files_below(c, &path).await?.into_iter().map(Entry::File).collect(),
        Remote::Folder => remote::level(c, &path).await?,
    };
    if opts.json {
        return print_json(&entries);
    }
    let mut out = std::io::stdout().lock();
    for e in &entries {
        let line = match (e, args.long) {
            (Entry::Folder(f), false) => format!("{}/", shown(&path, &f.path, args.recursive)),
            (Entry::File(f), false) => shown(&path, &f.path, args.recursive),
            (Entry::Folder(f), true) => {
                format!("{:>10}  {}  {}/", "-", &f.updated_at[..19], shown(&path, &f.path, args.recursive))
            }
            (Entry::File(f), true) => format!(
                "{:>10}  {}  {}",
                remote::size(f.size, args.human),
                &f.modified_at[..19.min(f.modified_at.len())],
                shown(&path, &f.path, args.recursive)
            ),
        };
        let _ = writeln!(out, "{line}");
    }
    Ok(())
}

/// A listed path as `ls` shows it: relative to the listed folder.
fn shown(base: &str, path: &str, recursive: bool) -> String {
    let rel =
        if base.is_empty() { path } else { path.strip_prefix(base).map(|p| p.trim_start_matches('/')).unwrap_or(path) };
    if recursive || !rel.is_empty() { rel.to_string() } else { path.to_string() }
}

#[derive(Args, Debug)]
pub struct PutArgs {
    /// Local files and folders, then the remote folder (or, for one file, its new path).
    #[arg(required = true, num_args = 2..)]
    paths: Vec<PathBuf>,
    /// Transfers at once.
    #[arg(short = 'j', long, default_value_t = 4)]
    jobs: usize,
}

/// The local files of `sources` and where each goes below (or at) `dest`.
fn plan_put(sources: &[PathBuf], dest: &str, dest_is_folder: bool) -> CliResult<Vec<(PathBuf, String)>> {
    let mut out = Vec::new();
    for src in sources {
        let meta = std::fs::metadata(src)
            .map_err(|e| CliError::new(crate::fail::Failure::NotFound, format!("{}: {e}", src.display())))?;
        let name = src.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if meta.is_dir() {
            let base = join(dest, &name);
            for file in walk(src)? {
                let rel = file.strip_prefix(src).expect("below its folder").to_string_lossy().replace('\\', "/");
                out.push((file, join(&base, &rel)));
            }
        } else if dest_is_folder {
            out.push((src.clone(), join(dest, &name)));
        } else {
            out.push((src.clone(), clean(dest)));
        }
    }
    Ok(out)
}

/// Every file below `dir`, in a stable order.
pub fn walk(dir: &Path) -> CliResult<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&d)?.collect::<Result<_, _>>()?;
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let kind = e.file_type()?;
            if kind.is_dir() {
                stack.push(e.path());
            } else if kind.is_file() && !e.file_name().to_string_lossy().ends_with(".nimbus-part") {
                out.push(e.path());
            }
        }
    }
    out.sort();
    Ok(out)
}

pub async fn put(c: &Client, args: PutArgs, opts: &ClientOptions) -> CliResult<()> {
    let (dest, sources) = args.paths.split_last().expect("at least two paths");
    let dest = dest.to_string_lossy().into_owned();
    let dest_is_folder = sources.len() > 1
        || dest.ends_with('/')
        || dest.is_empty()
        || sources.iter().any(|s| s.is_dir())
        || matches!(remote::stat(c, &dest).await?, Remote::Folder);
    let plan = plan_put(sources, &dest, dest_is_folder)?;
    let total = plan.iter().map(|(p, _)| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)).sum();
    let progress = Progress::new(total);
    let results: Vec<(String, &'static str, u64)> = futures_util::stream::iter(plan)
        .map(|(local, target)| {
            let progress = progress.clone();
            async move {
                let bar = progress.bar();
                // Unchanged files (same size and SHA-256) are not sent again.
                if let Remote::File(existing) = remote::stat(c, &target).await? {
                    let size = std::fs::metadata(&local)?.len();
                    if existing.size == size && existing.sha256 == sha256_of(&local).await? {
                        bar.advance(size);
                        return Ok::<_, CliError>((target, "unchanged", 0));
                    }
                }
                let sent = transfer::upload(c, &local, &target, &bar).await?;
                Ok((target, "uploaded", sent))
            }
        })
        .buffer_unordered(args.jobs.max(1))
        .try_collect()
        .await?;
    progress.finish();
    report(&results, opts)
}

fn report(results: &[(String, &'static str, u64)], opts: &ClientOptions) -> CliResult<()> {
    if opts.json {
        let items: Vec<_> = results
            .iter()
            .map(|(p, what, bytes)| serde_json::json!({"path": p, "result": what, "bytes": bytes}))
            .collect();
        return print_json(&items);
    }
    let done = results.iter().filter(|r| r.1 != "unchanged").count();
    let bytes: u64 = results.iter().map(|r| r.2).sum();
    eprintln!("{done} transferred ({}), {} unchanged", remote::size(bytes, true), results.len() - done);
    Ok(())
}

#[derive(Args, Debug)]
pub struct GetArgs {
    /// Remote files and folders, then the local folder (or, for one file, its new name).
    #[arg(required = true, num_args = 2..)]
    paths: Vec<String>,
    /// Transfers at once.
    #[arg(short = 'j', long, default_value_t = 4)]
    jobs: usize,
}

pub async fn get(c: &Client, args: GetArgs, opts: &ClientOptions) -> CliResult<()> {
    let (dest, sources) = args.paths.split_last().expect("at least two paths");
    let dest = PathBuf::from(dest);
    let mut plan = Vec::new();
    for src in sources {
        match remote::stat(c, src).await? {
            Remote::Nothing => return Err(CliError::not_found(src)),
            Remote::File(f) => {
                let target = if dest.is_dir() || sources.len() > 1 { dest.join(&f.name) } else { dest.clone() };
                plan.push((f, target));
            }
            Remote::Folder => {
                let base = clean(src);
                let name = base.rsplit('/').next().unwrap_or("").to_string();
                for f in remote::files_below(c, &base).await? {
                    let rel = if base.is_empty() { f.path.clone() } else { f.path[base.len() + 1..].to_string() };
                    plan.push((f, dest.join(&name).join(rel)));
                }
            }
        }
    }
    let progress = Progress::new(plan.iter().map(|(f, _)| f.size).sum());
    let results: Vec<(String, &'static str, u64)> = futures_util::stream::iter(plan)
        .map(|(file, target)| {
            let progress = progress.clone();
            async move {
                let bar = progress.bar();
                let got = transfer::download(c, &file, &target, &bar).await?;
                Ok::<_, CliError>((target.display().to_string(), "downloaded", got))
            }
        })
        .buffer_unordered(args.jobs.max(1))
        .try_collect()
        .await?;
    progress.finish();
    report(&results, opts)
}

pub async fn cat(c: &Client, path: &str) -> CliResult<()> {
    let resp = c.get_path(&clean(path)).await?;
    let mut body = resp.bytes_stream();
    let mut out = std::io::stdout().lock();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(nimbus_client::ClientError::from)?;
        if out.write_all(&chunk).is_err() {
            return Ok(()); // the reader went away (`| head`)
        }
    }
    Ok(())
}

pub async fn mkdir(c: &Client, path: &str, opts: &ClientOptions) -> CliResult<()> {
    let path = clean(path);
    let folder = with_retries(|| c.create_folder(&path)).await?;
    if opts.json { print_json(&folder) } else { Ok(()) }
}

pub async fn mv(c: &Client, from: &str, to: &str, opts: &ClientOptions) -> CliResult<()> {
    match remote::stat(c, from).await? {
        Remote::File(f) => {
            let moved = c.move_file(&f.id, &clean(to)).await?;
            if opts.json { print_json(&moved) } else { Ok(()) }
        }
        Remote::Folder if !clean(from).is_empty() => {
            let moved = c.move_folder(&clean(from), &clean(to)).await?;
            if opts.json { print_json(&moved) } else { Ok(()) }
        }
        Remote::Folder => Err(CliError::usage("the top folder cannot be moved")),
        Remote::Nothing => Err(CliError::not_found(from)),
    }
}

pub async fn cp(c: &Client, from: &str, to: &str, opts: &ClientOptions) -> CliResult<()> {
    let file = remote::file(c, from).await?;
    let (copy, _) = c.copy_file(&file.id, &clean(to), true).await?;
    if opts.json { print_json(&copy) } else { Ok(()) }
}

#[derive(Args, Debug)]
pub struct RmArgs {
    #[arg(required = true)]
    paths: Vec<String>,
    /// Delete folders with everything below them.
    #[arg(short, long)]
    recursive: bool,
}

pub async fn rm(c: &Client, args: RmArgs) -> CliResult<()> {
    for path in &args.paths {
        match remote::stat(c, path).await? {
            Remote::File(f) => c.delete_file(&f.id).await?,
            Remote::Folder if clean(path).is_empty() => {
                return Err(CliError::usage("the top folder cannot be deleted"));
            }
            Remote::Folder if args.recursive => c.delete_folder(&clean(path)).await?,
            Remote::Folder => return Err(CliError::usage(format!("{path} is a folder: use rm -r"))),
            Remote::Nothing => return Err(CliError::not_found(path)),
        }
    }
    Ok(())
}

pub async fn find(c: &Client, name: &str, opts: &ClientOptions) -> CliResult<()> {
    let mut list = ListOptions { q: Some(name.to_string()), limit: Some(1000), ..Default::default() };
    let mut found = Vec::new();
    loop {
        let page = c.list(&list).await?;
        found.extend(page.items);
        match page.next_cursor {
            Some(next) => list.cursor = Some(next),
            None => break,
        }
    }
    if opts.json {
        return print_json(&found);
    }
    for e in found {
        match e {
            Entry::Folder(f) => println!("{}/", f.path),
            Entry::File(f) => println!("{}", f.path),
        }
    }
    Ok(())
}

pub async fn cid(c: &Client, path: &str, opts: &ClientOptions) -> CliResult<()> {
    let file = remote::file(c, path).await?;
    let cid = file.cid.ok_or_else(|| CliError::new(crate::fail::Failure::Error, "the CID is not known yet"))?;
    if opts.json {
        print_json(&serde_json::json!({"path": file.path, "cid": cid}))
    } else {
        println!("{cid}");
        Ok(())
    }
}

pub async fn car(c: &Client, path: &str) -> CliResult<()> {
    let file = remote::file(c, path).await?;
    let resp = c.car(&file.id).await?;
    let mut body = resp.bytes_stream();
    let mut out = std::io::stdout().lock();
    while let Some(chunk) = body.next().await {
        out.write_all(&chunk.map_err(nimbus_client::ClientError::from)?)?;
    }
    Ok(())
}
