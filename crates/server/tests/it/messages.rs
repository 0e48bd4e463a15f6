//! Messages between users, with optional file attachments.

use crate::common::{TestServer, code};
use nimbus_api::{Permission, SendMessageRequest};
use nimbus_client::PutOptions;

fn text(to: &str, t: &str) -> SendMessageRequest {
    SendMessageRequest { to: to.into(), text: Some(t.into()), file_id: None }
}

#[tokio::test]
async fn send_list_newest_first_and_page() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let a = s.user("ann").await;
    let b = s.user("ben").await;
    for i in 0..5 {
        let m = a.send_message(&text("BEN", &format!("hello {i}"))).await.unwrap();
        assert_eq!((m.from.username.as_str(), m.to.username.as_str()), ("ann", "ben"));
        assert!(m.read_at.is_none() && m.file.is_none());
    }
    let mut texts = Vec::new();
    let mut cursor = None;
    loop {
        let page = b.messages("inbox", Some(2), cursor.as_deref()).await.unwrap();
        texts.extend(page.items.into_iter().map(|m| m.text.unwrap()));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(texts, (0..5).rev().map(|i| format!("hello {i}")).collect::<Vec<_>>());
    assert_eq!(a.messages("sent", None, None).await.unwrap().items.len(), 5);
    assert!(a.messages("inbox", None, None).await.unwrap().items.is_empty());
    let r = a.request(reqwest::Method::GET, "/api/v1/messages?box=spam").send().await.unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn attaching_a_file_shares_it_read_only() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let a = s.user("cat").await;
    let b = s.user("dan").await;
    let (f, _) = a.put("photos/trip.jpg", vec![1u8; 1234], &PutOptions::default()).await.unwrap();
    let req = SendMessageRequest { to: "dan".into(), text: None, file_id: Some(f.id.clone()) };
    let m = a.send_message(&req).await.unwrap();
    let file = m.file.unwrap();
    assert_eq!((file.id.as_str(), file.name.as_str(), file.size), (f.id.as_str(), "trip.jpg", 1234));
    let shared = b.shared(None, None).await.unwrap().items;
    assert_eq!(shared.len(), 1);
    assert_eq!(shared[0].permission, Permission::Read);
    assert_eq!(b.download(&f.id).await.unwrap().bytes().await.unwrap().len(), 1234);
    assert_eq!(code(b.delete_file(&f.id).await).0, 403);
    // Dan cannot pass Cat's file on: it is not his.
    let e = s.user("eve").await;
    let fwd = SendMessageRequest { to: "eve".into(), text: None, file_id: Some(f.id.clone()) };
    assert_eq!(code(b.send_message(&fwd).await), (404, "not_found".into()));
    assert!(e.shared(None, None).await.unwrap().items.is_empty());
}

#[tokio::test]
async fn read_receipts_and_hiding() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let a = s.user("fox").await;
    let b = s.user("gil").await;
    let c = s.user("hex").await;
    let m = a.send_message(&text("gil", "ping")).await.unwrap();
    assert_eq!(code(a.mark_read(&m.id).await), (403, "forbidden".into()));
    assert_eq!(code(c.mark_read(&m.id).await), (404, "not_found".into()));
    b.mark_read(&m.id).await.unwrap();
    let read = b.messages("inbox", None, None).await.unwrap().items.remove(0);
    assert!(read.read_at.is_some());
    b.mark_read(&m.id).await.unwrap();
    assert_eq!(b.messages("inbox", None, None).await.unwrap().items[0].read_at, read.read_at, "first read counts");

    assert_eq!(code(c.delete_message(&m.id).await).0, 404);
    b.delete_message(&m.id).await.unwrap();
    assert!(b.messages("inbox", None, None).await.unwrap().items.is_empty());
    assert_eq!(a.messages("sent", None, None).await.unwrap().items.len(), 1, "hidden for the caller only");
    assert_eq!(code(b.delete_message(&m.id).await).0, 404);
    a.delete_message(&m.id).await.unwrap();
    assert!(a.messages("sent", None, None).await.unwrap().items.is_empty());
}

#[tokio::test]
async fn message_validation() {
    crate::needs_backend!();
    let s = TestServer::start().await;
    let a = s.user("ida").await;
    s.user("jay").await;
    let other = s.user("kim").await;
    let (theirs, _) = other.put("k.txt", "k", &PutOptions::default()).await.unwrap();
    let empty = SendMessageRequest { to: "jay".into(), text: None, file_id: None };
    assert_eq!(code(a.send_message(&empty).await), (422, "validation_failed".into()));
    assert_eq!(code(a.send_message(&text("jay", "   ")).await), (422, "validation_failed".into()));
    assert_eq!(code(a.send_message(&text("jay", &"x".repeat(10_001))).await), (422, "validation_failed".into()));
    a.send_message(&text("jay", &"é".repeat(10_000))).await.expect("10 000 characters fit");
    assert_eq!(code(a.send_message(&text("nobody", "hi")).await), (404, "user_not_found".into()));
    let stolen = SendMessageRequest { to: "jay".into(), text: None, file_id: Some(theirs.id.clone()) };
    assert_eq!(code(a.send_message(&stolen).await), (404, "not_found".into()));
    let r = a.request(reqwest::Method::POST, "/api/v1/messages").body("{").send().await.unwrap();
    assert_eq!(r.status(), 400);
}
