//! App passwords and HTTP Basic sign-in, for clients that cannot hold a bearer token
//! (WebDAV file managers, rclone): a secret per app, shown once, revocable at once, and
//! throttled like logins when wrong.

use super::{Accounts, Principal, passwords};
use crate::domain::{Timestamp, login_key, new_id, new_secret_token, sha256_hex};
use crate::error::{Error, Result};
use crate::meta::AppPasswordRecord;

const MAX_NAME_CHARS: usize = 100;
const MAX_APP_PASSWORDS: usize = 100;

impl Accounts {
    /// A new app password: its record and the secret, which is never shown again.
    pub async fn create_app_password(&self, who: &Principal, name: &str) -> Result<(AppPasswordRecord, String)> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
            return Err(Error::invalid("name", "must be 1–100 printable characters"));
        }
        if self.meta.app_passwords(&who.user.id).await?.len() >= MAX_APP_PASSWORDS {
            return Err(Error::invalid("name", "at most 100 app passwords; revoke one first"));
        }
        let secret = new_secret_token("nmbapp");
        let record = AppPasswordRecord {
            id: new_id(),
            user_id: who.user.id.clone(),
            name: name.to_string(),
            created_at: Timestamp::now(),
            last_used_at: None,
        };
        self.meta.create_app_password(&record, &sha256_hex(secret.as_bytes())).await?;
        Ok((record, secret))
    }

    pub async fn app_passwords(&self, who: &Principal) -> Result<Vec<AppPasswordRecord>> {
        self.meta.app_passwords(&who.user.id).await
    }

    /// Revokes an app password: the next request with it is refused.
    pub async fn revoke_app_password(&self, who: &Principal, id: &str) -> Result<()> {
        if self.meta.delete_app_password(&who.user.id, id).await? { Ok(()) } else { Err(Error::NotFound) }
    }

    /// HTTP Basic: the username or e-mail with one of its app passwords, or with the
    /// account password. Failures count against the same limits as logins.
    pub async fn authenticate_basic(&self, login: &str, password: &str, client: &str) -> Result<Principal> {
        let account = login_key(login);
        self.throttle.check(&account, client)?;
        // An app password is a cheap lookup; only then the (deliberately slow) password.
        if let Some((app, user)) = self.meta.app_password_by_hash(&sha256_hex(password.as_bytes())).await?
            && is_login_of(&account, &user.username, user.email.as_deref())
        {
            self.throttle.succeeded(&account, client);
            if user.disabled {
                return Err(Error::Forbidden);
            }
            self.meta.touch_app_password(&app.id, Timestamp::now()).await?;
            let session_id = format!("app-password:{}", app.id);
            return Ok(Principal { user, session_id, scope: super::accounts::Scope::Files });
        }
        let user = self.meta.user_by_login(&account).await?;
        let ok = passwords::verify(password, user.as_ref().map(|u| u.password_hash.as_str())).await?;
        match user {
            Some(user) if ok => {
                self.throttle.succeeded(&account, client);
                if user.disabled {
                    return Err(Error::Forbidden);
                }
                Ok(Principal { user, session_id: "basic".into(), scope: super::accounts::Scope::Full })
            }
            _ => {
                self.throttle.failed(&account, client);
                Err(Error::InvalidCredentials)
            }
        }
    }
}

fn is_login_of(account: &str, username: &str, email: Option<&str>) -> bool {
    login_key(username) == account || email.is_some_and(|e| login_key(e) == account)
}
