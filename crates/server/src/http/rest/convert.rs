//! Records → wire types.

use crate::meta::{FileRecord, UserRecord};
use nimbus_api::{File, Permission, User, UserRef};

pub fn user(u: &UserRecord) -> User {
    User {
        id: u.id.clone(),
        username: u.username.clone(),
        email: u.email.clone(),
        first_name: u.first_name.clone(),
        last_name: u.last_name.clone(),
        avatar_url: None,
        is_admin: u.is_admin,
        created_at: u.created_at.rfc3339(),
    }
}

pub fn file(f: &FileRecord, permission: Permission) -> File {
    File {
        id: f.id.clone(),
        name: f.path.rsplit('/').next().unwrap_or(&f.path).to_string(),
        path: f.path.clone(),
        size: u64::try_from(f.size).unwrap_or(0),
        content_type: f.content_type.clone(),
        sha256: f.sha256.clone(),
        cid: f.cid.clone(),
        car_cid: f.car_cid.clone(),
        created_at: f.created_at.rfc3339(),
        updated_at: f.updated_at.rfc3339(),
        owner: UserRef { id: f.owner_id.clone(), username: f.owner_username.clone() },
        permission,
    }
}
