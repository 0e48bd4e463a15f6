//! Records → wire types.

use crate::domain::name_of;
use crate::meta::{Entry, FileRecord, FolderRecord, LinkRecord, MessageRecord, ShareRecord, UserRecord};
use nimbus_api::{File, Folder, Link, Message, MessageFile, Permission, PublicUser, Share, User, UserRef};

pub fn user(u: &UserRecord) -> User {
    User {
        id: u.id.clone(),
        username: u.username.clone(),
        email: u.email.clone(),
        first_name: u.first_name.clone(),
        last_name: u.last_name.clone(),
        avatar_url: avatar_url(u),
        is_admin: u.is_admin,
        created_at: u.created_at.rfc3339(),
    }
}

pub fn file(f: &FileRecord, permission: Permission) -> File {
    File {
        id: f.id.clone(),
        name: name_of(&f.path).to_string(),
        path: f.path.clone(),
        size: u64::try_from(f.size).unwrap_or(0),
        content_type: f.content_type.clone(),
        sha256: f.sha256.clone(),
        cid: f.cid.clone(),
        car_cid: f.car_cid.clone(),
        created_at: f.created_at.rfc3339(),
        updated_at: f.updated_at.rfc3339(),
        modified_at: f.modified_at.rfc3339(),
        damaged: f.damaged_at.is_some(),
        owner: UserRef { id: f.owner_id.clone(), username: f.owner_username.clone() },
        permission,
    }
}

pub fn folder(f: &FolderRecord) -> Folder {
    Folder {
        path: f.path.clone(),
        name: name_of(&f.path).to_string(),
        created_at: f.created_at.rfc3339(),
        updated_at: f.updated_at.rfc3339(),
    }
}

/// A listing item of the caller's own namespace.
pub fn entry(e: &Entry) -> nimbus_api::Entry {
    match e {
        Entry::Folder(f) => nimbus_api::Entry::Folder(folder(f)),
        Entry::File(f) => nimbus_api::Entry::File(file(f, Permission::Owner)),
    }
}

pub fn share(s: &ShareRecord) -> Share {
    Share {
        user: UserRef { id: s.user_id.clone(), username: s.username.clone() },
        permission: "read".into(),
        created_at: s.created_at.rfc3339(),
    }
}

pub fn link(l: &LinkRecord, token: &str, url: &str) -> Link {
    Link {
        id: l.id.clone(),
        token: token.to_string(),
        url: url.to_string(),
        expires_at: l.expires_at.map(|t| t.rfc3339()),
        max_downloads: l.max_downloads.map(|n| n.max(0) as u64),
        download_count: l.download_count.max(0) as u64,
        has_password: l.password_hash.is_some(),
        created_at: l.created_at.rfc3339(),
    }
}

pub fn message(m: &MessageRecord) -> Message {
    Message {
        id: m.id.clone(),
        from: UserRef { id: m.sender_id.clone(), username: m.sender_username.clone() },
        to: UserRef { id: m.recipient_id.clone(), username: m.recipient_username.clone() },
        text: m.body.clone(),
        file: m.file.as_ref().map(|(id, path, size)| MessageFile {
            id: id.clone(),
            name: crate::domain::name_of(path).to_string(),
            size: (*size).max(0) as u64,
        }),
        created_at: m.created_at.rfc3339(),
        read_at: m.read_at.map(|t| t.rfc3339()),
    }
}

/// Where a user's avatar is served, versioned so caches refresh when it changes.
pub fn avatar_url(u: &UserRecord) -> Option<String> {
    u.avatar_updated_at.map(|t| format!("/api/v1/users/{}/avatar?v={}", u.id, t.0))
}

pub fn public_user(u: &UserRecord) -> PublicUser {
    PublicUser {
        id: u.id.clone(),
        username: u.username.clone(),
        first_name: u.first_name.clone(),
        last_name: u.last_name.clone(),
        avatar_url: avatar_url(u),
    }
}
