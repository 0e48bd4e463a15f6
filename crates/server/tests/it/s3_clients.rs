//! Real S3 clients nobody here wrote, against the server's S3 API: the aws CLI (bucket,
//! a 100 MiB multipart copy up and down, a folder tree recursively, ls, sync, rm,
//! head-object), rclone (a tree up, `check` equal, a recursive listing without a
//! delimiter), s3cmd and boto3 (presigned URLs, multipart, DeleteObjects, metadata).
//! The Python tools come from a venv named by `NIMBUS_TEST_S3_TOOLS` (its `bin`).

use crate::common::{TestServer, skip};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The venv's `bin` with aws, s3cmd and a python that has boto3, if configured.
fn tools() -> Option<PathBuf> {
    let dir = PathBuf::from(std::env::var_os("NIMBUS_TEST_S3_TOOLS")?);
    ["aws", "s3cmd", "python3"].iter().all(|t| dir.join(t).exists()).then_some(dir)
}

const HOW: &str = "set NIMBUS_TEST_S3_TOOLS to the bin of a venv with `pip install awscli s3cmd boto3`";

async fn run(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().expect("spawn")).await.unwrap()
}

async fn ok(cmd: Command) -> String {
    let what = format!("{:?}", cmd.get_args().collect::<Vec<_>>());
    let out = run(cmd).await;
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{what} failed:\n{text}");
    text
}

/// A server with one user and an access key, and the key's environment for clients.
struct Setup {
    server: TestServer,
    user: nimbus_client::Client,
    key_id: String,
    secret: String,
}

async fn setup() -> Setup {
    let server = TestServer::start().await;
    let user = server.user("alice").await;
    let key = user.create_access_key("clients").await.unwrap();
    Setup { server, user, key_id: key.access_key_id, secret: key.secret_access_key.unwrap() }
}

impl Setup {
    fn aws(&self, bin: &Path) -> Command {
        let mut cmd = Command::new(bin.join("aws"));
        cmd.env("AWS_ACCESS_KEY_ID", &self.key_id)
            .env("AWS_SECRET_ACCESS_KEY", &self.secret)
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env_remove("AWS_CA_BUNDLE")
            .args(["--endpoint-url", &self.server.base]);
        cmd
    }
}

fn tree(root: &Path) {
    for i in 0..40usize {
        let dir = root.join(format!("d{}", i % 4)).join(format!("s{}", i % 3));
        std::fs::create_dir_all(&dir).unwrap();
        let data: Vec<u8> = (0..(i * 997 % 20_000)).map(|j| (j * 7 + i) as u8).collect();
        std::fs::write(dir.join(format!("f {i}.bin")), data).unwrap();
    }
}

fn same_trees(a: &Path, b: &Path) {
    let list = |root: &Path| {
        let mut v: Vec<(PathBuf, Vec<u8>)> = crate::common::files_under(root)
            .into_iter()
            .map(|p| (p.strip_prefix(root).unwrap().to_path_buf(), std::fs::read(&p).unwrap()))
            .collect();
        v.sort();
        v
    };
    assert!(list(a) == list(b), "the trees differ");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_aws_cli_copies_syncs_lists_and_removes() {
    let Some(bin) = tools() else { return skip("the aws CLI is not installed", HOW) };
    crate::needs_backend!();
    let s = setup().await;
    let work = tempfile::tempdir().unwrap();
    let big = work.path().join("big.bin");
    let data: Vec<u8> = (0..100u32 << 20).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
    std::fs::write(&big, &data).unwrap();

    let aws = |args: &[&str]| {
        let mut c = s.aws(&bin);
        c.args(args);
        c
    };
    ok(aws(&["s3", "mb", "s3://data"])).await;
    ok(aws(&["s3", "cp", "--only-show-errors", big.to_str().unwrap(), "s3://data/big.bin"])).await;
    let head = ok(aws(&["s3api", "head-object", "--bucket", "data", "--key", "big.bin"])).await;
    let head: serde_json::Value = serde_json::from_str(&head).unwrap();
    assert_eq!(head["ContentLength"], 100 << 20);
    // The CLI uploaded 8 MiB parts: the ETag is S3's multipart form, which it checks.
    assert!(head["ETag"].as_str().unwrap().ends_with("-13\""), "{head}");
    let back = work.path().join("back.bin");
    ok(aws(&["s3", "cp", "--only-show-errors", "s3://data/big.bin", back.to_str().unwrap()])).await;
    assert!(std::fs::read(&back).unwrap() == data, "downloaded bytes differ");
    let f = s.user.list_files(Some("data/"), None, None).await.unwrap().items.remove(0);
    assert_eq!(f.size, 100 << 20);

    let up = work.path().join("tree");
    tree(&up);
    ok(aws(&["s3", "cp", "--only-show-errors", "--recursive", up.to_str().unwrap(), "s3://data/tree"])).await;
    let ls = ok(aws(&["s3", "ls", "--recursive", "s3://data/tree/"])).await;
    assert_eq!(ls.lines().count(), 40, "{ls}");
    let down = work.path().join("down");
    ok(aws(&["s3", "cp", "--only-show-errors", "--recursive", "s3://data/tree", down.to_str().unwrap()])).await;
    same_trees(&up, &down);

    // sync: a changed file and a new one go up, a deleted one goes with --delete.
    std::fs::write(up.join("d0/s0/f 0.bin"), b"changed contents").unwrap();
    std::fs::write(up.join("d1/new.txt"), b"new").unwrap();
    std::fs::remove_file(up.join("d2/s2/f 2.bin")).unwrap();
    ok(aws(&["s3", "sync", "--only-show-errors", "--delete", up.to_str().unwrap(), "s3://data/tree"])).await;
    let mirror = work.path().join("mirror");
    ok(aws(&["s3", "sync", "--only-show-errors", "s3://data/tree", mirror.to_str().unwrap()])).await;
    same_trees(&up, &mirror);

    ok(aws(&["s3", "rm", "--only-show-errors", "--recursive", "s3://data/tree"])).await;
    ok(aws(&["s3", "rm", "--only-show-errors", "s3://data/big.bin"])).await;
    ok(aws(&["s3", "rb", "s3://data"])).await;
    assert!(s.user.list_files(None, None, None).await.unwrap().items.is_empty());
    let _ = s.server.base.len();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rclone_copies_a_tree_checks_it_and_lists_it_recursively() {
    let rclone_there =
        Command::new("rclone").arg("version").env_remove("AWS_CA_BUNDLE").output().is_ok_and(|o| o.status.success());
    if !rclone_there {
        return skip("rclone is not installed", "apt-get install rclone");
    }
    crate::needs_backend!();
    let s = setup().await;
    let rclone = |args: &[&str]| {
        let mut cmd = Command::new("rclone");
        cmd.env_remove("AWS_CA_BUNDLE")
            .env("RCLONE_CONFIG", "/dev/null")
            .env("RCLONE_CONFIG_NIMBUS_TYPE", "s3")
            .env("RCLONE_CONFIG_NIMBUS_PROVIDER", "Other")
            .env("RCLONE_CONFIG_NIMBUS_ENDPOINT", &s.server.base)
            .env("RCLONE_CONFIG_NIMBUS_ACCESS_KEY_ID", &s.key_id)
            .env("RCLONE_CONFIG_NIMBUS_SECRET_ACCESS_KEY", &s.secret)
            .env("RCLONE_CONFIG_NIMBUS_FORCE_PATH_STYLE", "true")
            .args(args);
        cmd
    };
    let work = tempfile::tempdir().unwrap();
    let up = work.path().join("tree");
    tree(&up);
    let up_s = up.to_str().unwrap();
    ok(rclone(&["mkdir", "nimbus:photos"])).await;
    ok(rclone(&["copy", up_s, "nimbus:photos/tree"])).await;
    // check compares MD5s: the ETags must be the content's MD5.
    let out = ok(rclone(&["check", up_s, "nimbus:photos/tree"])).await;
    assert!(out.contains("0 differences found"), "{out}");
    // A recursive listing in one go: ListObjects without a delimiter.
    let listed = ok(rclone(&["lsf", "-R", "--fast-list", "--files-only", "nimbus:photos"])).await;
    assert_eq!(listed.lines().count(), 40, "{listed}");
    assert!(listed.lines().any(|l| l == "tree/d3/s2/f 11.bin"), "{listed}");
    let down = work.path().join("down");
    ok(rclone(&["copy", "nimbus:photos/tree", down.to_str().unwrap()])).await;
    same_trees(&up, &down);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3cmd_and_boto3_presign_multipart_delete_many_and_keep_metadata() {
    let Some(bin) = tools() else { return skip("s3cmd and boto3 are not installed", HOW) };
    crate::needs_backend!();
    let s = setup().await;
    let work = tempfile::tempdir().unwrap();
    // bucket_location: s3cmd's default, "US", is no region name s3s 0.14 accepts in a
    // signature's scope (see README).
    let conf = work.path().join("s3cfg");
    std::fs::write(
        &conf,
        format!(
            "[default]\naccess_key = {}\nsecret_key = {}\nhost_base = {host}\nhost_bucket = {host}\nuse_https = False\nsignature_v2 = False\nbucket_location = us-east-1\n",
            s.key_id,
            s.secret,
            host = s.server.addr()
        ),
    )
    .unwrap();
    let s3cmd = |args: &[&str]| {
        let mut cmd = Command::new(bin.join("s3cmd"));
        cmd.env_remove("AWS_CA_BUNDLE").arg("-c").arg(&conf).args(args);
        cmd
    };
    let file = work.path().join("eleven.bin");
    let data: Vec<u8> = (0..11u32 << 20).map(|i| (i % 253) as u8).collect();
    std::fs::write(&file, &data).unwrap();
    ok(s3cmd(&["mb", "s3://tools"])).await;
    ok(s3cmd(&[
        "put",
        "--multipart-chunk-size-mb=5",
        "--add-header=x-amz-meta-origin:s3cmd",
        file.to_str().unwrap(),
        "s3://tools/eleven.bin",
    ]))
    .await;
    let info = ok(s3cmd(&["info", "s3://tools/eleven.bin"])).await;
    assert!(info.contains("11534336"), "{info}");
    assert!(info.contains("origin") && info.contains("s3cmd"), "{info}");
    let back = work.path().join("back.bin");
    ok(s3cmd(&["get", "s3://tools/eleven.bin", back.to_str().unwrap()])).await;
    assert!(std::fs::read(&back).unwrap() == data);

    let script = r#"
import boto3, sys, urllib.request, urllib.parse, http.client, hashlib
endpoint, key, secret = sys.argv[1:4]
s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=key, aws_secret_access_key=secret, region_name="us-east-1")
s3.put_object(Bucket="tools", Key="meta.txt", Body=b"hello", Metadata={"colour": "blue"}, ContentType="text/plain")
head = s3.head_object(Bucket="tools", Key="meta.txt")
assert head["Metadata"] == {"colour": "blue"}, head
assert head["ETag"] == '"' + hashlib.md5(b"hello").hexdigest() + '"', head
url = s3.generate_presigned_url("get_object", Params={"Bucket": "tools", "Key": "meta.txt"}, ExpiresIn=60)
assert urllib.request.urlopen(url).read() == b"hello"
put_url = s3.generate_presigned_url("put_object", Params={"Bucket": "tools", "Key": "presigned.txt"}, ExpiresIn=60)
# http.client, since urllib adds a Content-Type the URL did not sign.
u = urllib.parse.urlsplit(put_url)
conn = http.client.HTTPConnection(u.netloc)
conn.request("PUT", u.path + "?" + u.query, body=b"via a presigned PUT")
assert conn.getresponse().status == 200
assert s3.get_object(Bucket="tools", Key="presigned.txt")["Body"].read() == b"via a presigned PUT"
up = s3.create_multipart_upload(Bucket="tools", Key="mp.bin", Metadata={"kind": "multipart"})
parts = []
chunks = [bytes([i]) * (5 << 20) for i in range(2)] + [b"tail"]
for n, chunk in enumerate(chunks, 1):
    r = s3.upload_part(Bucket="tools", Key="mp.bin", UploadId=up["UploadId"], PartNumber=n, Body=chunk)
    parts.append({"PartNumber": n, "ETag": r["ETag"]})
listed = s3.list_parts(Bucket="tools", Key="mp.bin", UploadId=up["UploadId"])
assert [p["PartNumber"] for p in listed["Parts"]] == [1, 2, 3], listed
s3.complete_multipart_upload(Bucket="tools", Key="mp.bin", UploadId=up["UploadId"], MultipartUpload={"Parts": parts})
got = s3.get_object(Bucket="tools", Key="mp.bin")
assert got["Body"].read() == b"".join(chunks)
assert got["Metadata"] == {"kind": "multipart"}, got["Metadata"]
assert got["ETag"].endswith('-3"'), got["ETag"]
for i in range(5):
    s3.put_object(Bucket="tools", Key=f"many/{i}", Body=b"x")
r = s3.delete_objects(Bucket="tools", Delete={"Objects": [{"Key": f"many/{i}"} for i in range(5)] + [{"Key": "never-was"}]})
assert len(r["Deleted"]) == 6 and not r.get("Errors"), r
assert s3.list_objects_v2(Bucket="tools", Prefix="many/")["KeyCount"] == 0
print("boto3 ok")
"#;
    let mut py = Command::new(bin.join("python3"));
    py.env_remove("AWS_CA_BUNDLE").args(["-c", script, &s.server.base, &s.key_id, &s.secret]);
    let out = ok(py).await;
    assert!(out.contains("boto3 ok"), "{out}");
    let files = s.user.list_files(Some("tools/"), None, None).await.unwrap().items;
    let names: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(names, ["tools/eleven.bin", "tools/meta.txt", "tools/mp.bin", "tools/presigned.txt"]);
}
