//! The S3 API scaled out: a multipart upload begun on one instance (PostgreSQL + s3s-fs)
//! is continued and completed on another, with the ETag clients check.

use crate::common::Cluster;
use crate::s3_api::{S3Client, md5_hex, status_code};
use reqwest::Method;
use sha2::{Digest, Sha256};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_multipart_upload_begun_on_one_instance_completes_on_another() {
    let Some(cluster) = Cluster::start().await else { return };
    let alice = cluster.a.user("alice").await;
    let on_a = S3Client::for_user(&cluster.a.base, &alice).await;
    on_a.put("/backups", Vec::new(), &[]).await;
    let text = on_a.send(Method::POST, "/backups/db.dump", &[("uploads", "")], &[], vec![]).await.text().await.unwrap();
    let upload = text.split("<UploadId>").nth(1).unwrap().split("</UploadId>").next().unwrap().to_string();
    let part1: Vec<u8> = (0..(5 << 20)).map(|i: u32| (i % 251) as u8).collect();
    let part2 = b"the end".to_vec();
    let r = on_a
        .send(Method::PUT, "/backups/db.dump", &[("partNumber", "1"), ("uploadId", &upload)], &[], part1.clone())
        .await;
    assert_eq!(r.status(), 200);
    let etag1 = r.headers()["etag"].to_str().unwrap().to_string();

    // The same key on instance B (the secret is sealed with the shared key).
    let keys = alice.access_keys().await.unwrap();
    assert_eq!(keys.len(), 1);
    let on_b = S3Client::new(&cluster.b.base, &on_a.key_id, &on_a.secret);
    let r = on_b
        .send(Method::PUT, "/backups/db.dump", &[("partNumber", "2"), ("uploadId", &upload)], &[], part2.clone())
        .await;
    assert_eq!(r.status(), 200);
    let etag2 = r.headers()["etag"].to_str().unwrap().to_string();
    let parts =
        on_b.send(Method::GET, "/backups/db.dump", &[("uploadId", &upload)], &[], vec![]).await.text().await.unwrap();
    assert_eq!(parts.matches("<Part>").count(), 2, "{parts}");

    let complete = format!(
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag1}</ETag></Part>\
         <Part><PartNumber>2</PartNumber><ETag>{etag2}</ETag></Part></CompleteMultipartUpload>"
    );
    let r = on_b.send(Method::POST, "/backups/db.dump", &[("uploadId", &upload)], &[], complete.into_bytes()).await;
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    let md5s = [md5_hex(&part1), md5_hex(&part2)].concat();
    let expected = format!("{}-2", md5_hex(&hex::decode(md5s).unwrap()));
    assert!(text.contains(&expected), "{text}");

    let whole = [part1, part2].concat();
    let r = on_a.get("/backups/db.dump").await;
    assert_eq!(r.headers()["etag"], format!("\"{expected}\"").as_str());
    assert_eq!(r.bytes().await.unwrap().as_ref(), whole.as_slice());
    let f = alice.list_files(Some("backups/"), None, None).await.unwrap().items.remove(0);
    assert_eq!(f.sha256, hex::encode(Sha256::digest(&whole)));
    // The upload is gone, and the account is charged the file once.
    assert_eq!(
        status_code(on_a.send(Method::GET, "/backups/db.dump", &[("uploadId", &upload)], &[], vec![]).await).await.1,
        "NoSuchUpload"
    );
    assert_eq!(alice.usage().await.unwrap().used_bytes, whole.len() as u64);
}
