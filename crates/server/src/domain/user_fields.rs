//! Validated account fields: username, email, password, personal names.

use crate::error::Error;

/// The case-folded key under which usernames and emails are unique and looked up: what
/// a person types at login (username or email), trimmed and lower-cased. Valid usernames
/// are ASCII, so every spelling of one maps to the same key.
pub fn login_key(raw: &str) -> String {
    raw.trim().to_lowercase()
}

/// 3–32 of `[A-Za-z0-9_.-]`; unique case-insensitively (compare [`Username::key`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, Error> {
        let ok_chars = raw.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
        if !(3..=32).contains(&raw.len()) || !ok_chars {
            return Err(Error::invalid("username", "must be 3-32 characters of A-Z a-z 0-9 _ . -"));
        }
        Ok(Username(raw.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The case-folded form that uniqueness is checked on.
    pub fn key(&self) -> String {
        login_key(&self.0)
    }
}

/// An email address, checked for shape (a mail is the real proof of it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, Error> {
        let s = raw.trim();
        let bad = || Error::invalid("email", "must be a valid email address");
        if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        let (local, domain) = s.rsplit_once('@').ok_or_else(bad)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        if local.is_empty() || local.len() > 64 || local.contains('@') || !domain_ok {
            return Err(bad());
        }
        Ok(Email(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The case-folded form that uniqueness is checked on.
    pub fn key(&self) -> String {
        login_key(&self.0)
    }
}

/// A new password: at least 8 characters; at most 1024 bytes so hashing stays cheap.
pub struct Password(String);

impl Password {
    pub fn parse_field(raw: &str, field: &str) -> Result<Self, Error> {
        if raw.chars().count() < 8 {
            return Err(Error::invalid(field, "must be at least 8 characters"));
        }
        if raw.len() > 1024 {
            return Err(Error::invalid(field, "must be at most 1024 bytes"));
        }
        Ok(Password(raw.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// A first or last name: at most 100 characters, no control characters. Empty → none.
pub struct PersonName;

impl PersonName {
    pub fn parse(raw: Option<&str>, field: &str) -> Result<Option<String>, Error> {
        let Some(s) = raw.map(str::trim) else {
            return Ok(None);
        };
        if s.chars().count() > 100 || s.chars().any(char::is_control) {
            return Err(Error::invalid(field, "must be at most 100 characters, no control characters"));
        }
        Ok((!s.is_empty()).then(|| s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert!(Username::parse("al_ice.b-2").is_ok());
        for bad in ["ab", "a b c", "x".repeat(33).as_str(), "émile", "a/b"] {
            assert!(Username::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Username::parse("Alice").unwrap().key(), "alice");
    }

    #[test]
    fn emails() {
        assert!(Email::parse("a.b+c@example.org").is_ok());
        for bad in ["", "a", "a@b", "@b.c", "a@.b", "a b@c.d", "a@b..c", "a@b.c."] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords() {
        assert!(Password::parse_field("1234567", "password").is_err());
        assert!(Password::parse_field("12345678", "password").is_ok());
        assert!(format!("{:?}", Password::parse_field("secret-pw", "p").unwrap()).contains("redacted"));
    }
}
