//! Accounts and sessions: register, login, logout, the current user, password change
//! and account deletion. Every token maps to a session row, so revocation is immediate.

use super::login_throttle::LoginThrottle;
use super::{Settings, passwords};
use crate::config::Registration;
use crate::domain::login_key;
use crate::domain::{Email, Password, PersonName, Timestamp, Username, new_id, new_secret_token, sha256_hex};
use crate::error::{Error, Result};
use crate::meta::{Admission, MetaStore, NewUser, SessionRecord, UserPatch, UserRecord};
use nimbus_api::{RegisterRequest, UpdateMeRequest};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Who is calling: the user and the session their token belongs to.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: UserRecord,
    pub session_id: String,
    /// What the credential it signed in with may do.
    pub scope: Scope,
}

/// A credential's reach. A password sign-in (browser or token) may do everything the
/// account may; a device's session, an app password and an S3 access key may use files,
/// sharing, links, messages, usage and activity, but not manage the account (password,
/// devices, app passwords, access keys, profile, plan, bucket) nor the admin API, so a
/// stolen device cannot take the account over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Full,
    Files,
}

/// Where a sign-in comes from, as the user will see it in their list of sessions.
#[derive(Debug, Clone, Default)]
pub struct SignInFrom {
    /// The client's address (as `ClientAddr` determined it).
    pub address: String,
    pub user_agent: Option<String>,
    /// A browser page signed in (it sent an `Origin`): the session rides on a cookie.
    pub browser: bool,
}

/// How often a session's `last_used_at` is written at most.
const TOUCH_EVERY_SECS: i64 = 60;

/// A new login: the bearer token (shown once) and its session.
pub struct NewLogin {
    pub token: String,
    pub session: SessionRecord,
    pub user: UserRecord,
}

#[derive(Clone)]
pub struct Accounts {
    pub(super) meta: Arc<dyn MetaStore>,
    settings: Settings,
    pub(super) throttle: LoginThrottle,
    /// Seals TOTP secrets at rest (absent only where no sign-in happens, e.g. the CLI).
    pub(super) secrets: Option<super::secrets::SecretBox>,
}

/// Collects field errors so one answer lists every problem of a form.
#[derive(Default)]
struct FieldErrors(BTreeMap<String, String>);

impl FieldErrors {
    fn take<T>(&mut self, r: Result<T>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(Error::Validation(m)) => {
                self.0.extend(m);
                None
            }
            Err(_) => None,
        }
    }
    fn finish(self) -> Result<()> {
        if self.0.is_empty() { Ok(()) } else { Err(Error::Validation(self.0)) }
    }
}

impl Accounts {
    pub fn new(meta: Arc<dyn MetaStore>, settings: Settings) -> Self {
        Accounts { meta, settings, throttle: LoginThrottle::default(), secrets: None }
    }

    /// With the at-rest key, for two-factor secrets.
    pub fn with_secrets(mut self, secrets: super::secrets::SecretBox) -> Self {
        self.secrets = Some(secrets);
        self
    }

    pub async fn register(&self, req: RegisterRequest) -> Result<UserRecord> {
        let mut errs = FieldErrors::default();
        let username = errs.take(Username::parse(&req.username));
        let password = errs.take(Password::parse_field(&req.password, "password"));
        let email = match req.email.as_deref().map(str::trim) {
            None | Some("") => Some(None),
            Some(e) => errs.take(Email::parse(e)).map(Some),
        };
        let first_name = errs.take(PersonName::parse(req.first_name.as_deref(), "first_name"));
        let last_name = errs.take(PersonName::parse(req.last_name.as_deref(), "last_name"));
        errs.finish()?;
        let (Some(username), Some(password), Some(email), Some(first_name), Some(last_name)) =
            (username, password, email, first_name, last_name)
        else {
            unreachable!("every None recorded a field error")
        };
        let password_hash = passwords::hash(password.as_str()).await?;
        self.meta
            .create_user(NewUser {
                id: new_id(),
                username_key: username.key(),
                username: username.as_str().to_string(),
                email_key: email.as_ref().map(Email::key),
                email: email.as_ref().map(|e| e.as_str().to_string()),
                first_name,
                last_name,
                password_hash,
                quota_bytes: i64::try_from(self.settings.default_quota_bytes).unwrap_or(i64::MAX),
                created_at: Timestamp::now(),
                admission: match self.settings.registration {
                    Registration::Open => Admission::Open,
                    Registration::Closed => Admission::Closed,
                    Registration::Invite => {
                        Admission::Invite(sha256_hex(req.invite.as_deref().unwrap_or("").trim().as_bytes()))
                    }
                },
            })
            .await
    }

    /// Checks a username-or-email and password (and, with 2FA on, `code`: a TOTP code or
    /// a recovery code) and opens a session. Failures, wrong codes included, are
    /// throttled per account and per `client` address (see `LoginThrottle`).
    pub async fn login(&self, login: &str, password: &str, code: Option<&str>, from: &SignInFrom) -> Result<NewLogin> {
        let client = from.address.as_str();
        let account = login_key(login);
        self.throttle.check(&account, client)?;
        let user = self.meta.user_by_login(&account).await?;
        let ok = passwords::verify(password, user.as_ref().map(|u| u.password_hash.as_str())).await?;
        let user = match user {
            Some(u) if ok => u,
            _ => {
                self.throttle.failed(&account, client);
                return Err(Error::InvalidCredentials);
            }
        };
        if self.two_factor_on(&user).await? {
            // The password was right: say a code is needed (this is no failed attempt).
            let Some(code) = code.filter(|c| !c.trim().is_empty()) else {
                return Err(Error::SecondFactorRequired);
            };
            if !self.second_factor_ok(&user, code).await? {
                self.throttle.failed(&account, client);
                return Err(Error::InvalidCredentials);
            }
        }
        self.throttle.succeeded(&account, client);
        if user.disabled {
            return Err(Error::Forbidden);
        }
        self.open_session(user, None, from).await
    }

    /// Opens a session for `user`, tagged with the device that logged in, if any.
    pub(super) async fn open_session(
        &self,
        user: UserRecord,
        device_id: Option<String>,
        from: &SignInFrom,
    ) -> Result<NewLogin> {
        let token = new_secret_token("nmb");
        let now = Timestamp::now();
        let session = SessionRecord {
            id: new_id(),
            token_hash: sha256_hex(token.as_bytes()),
            user_id: user.id.clone(),
            created_at: now,
            expires_at: now.plus_secs(i64::try_from(self.settings.session_ttl_secs).unwrap_or(i64::MAX / 2)),
            kind: if device_id.is_some() {
                "device"
            } else if from.browser {
                "browser"
            } else {
                "token"
            }
            .into(),
            device_id,
            client_address: Some(from.address.clone()).filter(|a| !a.is_empty()),
            user_agent: from.user_agent.as_deref().map(|a| a.chars().take(200).collect()),
            last_used_at: Some(now),
        };
        self.meta.create_session(&session).await?;
        Ok(NewLogin { token, session, user })
    }

    /// Resolves a bearer token to its principal.
    pub async fn authenticate(&self, token: &str) -> Result<Principal> {
        let found = self.meta.session_by_token_hash(&sha256_hex(token.as_bytes())).await?;
        let (session, user) = found.ok_or(Error::Unauthorized)?;
        if session.expires_at < Timestamp::now() {
            return Err(Error::TokenExpired);
        }
        if user.disabled {
            return Err(Error::Unauthorized);
        }
        let scope = if session.device_id.is_some() { Scope::Files } else { Scope::Full };
        // Last use, kept to the minute: one write per session per minute, off the request.
        let now = Timestamp::now();
        if session.last_used_at.is_none_or(|t| now.unix_secs() - t.unix_secs() >= TOUCH_EVERY_SECS) {
            let (meta, id) = (self.meta.clone(), session.id.clone());
            tokio::spawn(async move {
                if let Err(e) = meta.touch_session(&id, now).await {
                    tracing::debug!(error = %e, "could not record a session's last use");
                }
            });
        }
        Ok(Principal { user, session_id: session.id, scope })
    }

    /// The caller's sessions (sign-ins in browsers, with tokens, and devices).
    pub async fn sessions(&self, who: &Principal) -> Result<Vec<SessionRecord>> {
        self.meta.sessions_of(&who.user.id, Timestamp::now()).await
    }

    /// Ends one of the caller's sessions at once (404 if they have none with that id).
    pub async fn end_session(&self, who: &Principal, id: &str) -> Result<()> {
        if self.meta.end_session(&who.user.id, id).await? { Ok(()) } else { Err(Error::NotFound) }
    }

    /// Ends every session of the caller but the one making the request.
    pub async fn end_other_sessions(&self, who: &Principal) -> Result<u64> {
        self.meta.end_other_sessions(&who.user.id, &who.session_id).await
    }

    pub async fn logout(&self, who: &Principal) -> Result<()> {
        if self.meta.delete_session(&who.session_id).await? { Ok(()) } else { Err(Error::Unauthorized) }
    }

    pub async fn update_me(&self, who: &Principal, req: UpdateMeRequest) -> Result<UserRecord> {
        let mut errs = FieldErrors::default();
        let mut patch = UserPatch::default();
        if let Some(u) = req.username.as_deref() {
            patch.username = errs.take(Username::parse(u)).map(|u| (u.as_str().to_string(), u.key()));
        }
        if let Some(e) = req.email.as_deref().map(str::trim) {
            patch.email = if e.is_empty() {
                Some(None)
            } else {
                errs.take(Email::parse(e)).map(|e| Some((e.as_str().to_string(), e.key())))
            };
        }
        if req.first_name.is_some() {
            patch.first_name = errs.take(PersonName::parse(req.first_name.as_deref(), "first_name"));
        }
        if req.last_name.is_some() {
            patch.last_name = errs.take(PersonName::parse(req.last_name.as_deref(), "last_name"));
        }
        errs.finish()?;
        self.meta.update_user(&who.user.id, patch).await
    }

    /// Changes the password and revokes every other session of the user.
    pub async fn change_password(&self, who: &Principal, current: &str, new: &str) -> Result<()> {
        let new = Password::parse_field(new, "new_password")?;
        if !passwords::verify(current, Some(&who.user.password_hash)).await? {
            return Err(Error::WrongPassword);
        }
        let hash = passwords::hash(new.as_str()).await?;
        self.meta.set_password(&who.user.id, &hash, Some(&who.session_id)).await
    }

    /// Deletes the account with its files and sessions, after checking the password.
    pub async fn delete_account(&self, who: &Principal, password: &str) -> Result<()> {
        if !passwords::verify(password, Some(&who.user.password_hash)).await? {
            return Err(Error::WrongPassword);
        }
        self.meta.delete_user(&who.user.id).await
    }
}
