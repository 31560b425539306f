//! Login sessions: random tokens held in a cookie, kept server-side so that logout, disabling a
//! user and a password change revoke them at once.
//!
//! A session carries a copy of its user's rights (role, pages, devices); changing a user's rights
//! updates the copies of all their sessions, so the change holds from the next request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rand::RngCore;
use shared::{Page, Role, SessionInfo};

/// The cookie that carries the session token.
pub const SESSION_COOKIE: &str = "ews_session";

/// Wrong PINs or passwords in a row after which a locked session is closed: a 4-digit PIN must
/// not be guessable by trying.
pub const MAX_UNLOCK_FAILURES: u32 = 5;

/// A user's rights, as a session holds them.
#[derive(Debug, Clone, PartialEq)]
pub struct Grant {
    pub username: String,
    pub role: Role,
    pub pages: Vec<Page>,
    /// A tenant's devices; `None`: every device.
    pub devices: Option<Vec<u32>>,
    pub has_pin: bool,
}

impl Grant {
    /// Whether the user may open `page`.
    pub fn allows(&self, page: Page) -> bool {
        self.pages.contains(&page)
    }

    /// Whether the user may see device `id`.
    pub fn sees(&self, id: u32) -> bool {
        self.devices
            .as_ref()
            .is_none_or(|devices| devices.contains(&id))
    }
}

/// A logged-in user.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub grant: Grant,
    /// Locked (§8.1.4): only unlocking and logging out work.
    pub locked: bool,
    failed_unlocks: u32,
    last_seen: Instant,
}

impl Session {
    /// What `GET /api/session` answers.
    pub fn info(&self) -> SessionInfo {
        SessionInfo {
            username: self.grant.username.clone(),
            role: self.grant.role,
            pages: self.grant.pages.clone(),
            devices: self.grant.devices.clone(),
            locked: self.locked,
            has_pin: self.grant.has_pin,
        }
    }
}

/// The outcome of a failed unlock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnlockFailure {
    /// Wrong secret; this many tries are left.
    TriesLeft(u32),
    /// Too many wrong secrets: the session is closed.
    Closed,
}

/// Every open session. Sessions end at logout, when their user is disabled, erased or changes
/// password, or after `idle_timeout` without a request.
#[derive(Debug, Clone)]
pub struct Sessions {
    open: Arc<Mutex<HashMap<String, Session>>>,
    idle_timeout: Duration,
}

impl Sessions {
    pub fn new(idle_timeout: Duration) -> Sessions {
        Sessions {
            open: Arc::new(Mutex::new(HashMap::new())),
            idle_timeout,
        }
    }

    fn lock_table(&self) -> MutexGuard<'_, HashMap<String, Session>> {
        self.open
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Opens a session and returns its token (256 random bits, hexadecimal).
    pub fn open(&self, grant: Grant) -> String {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let token = hex(&bytes);
        let mut open = self.lock_table();
        let now = Instant::now();
        let idle_timeout = self.idle_timeout;
        open.retain(|_, session| now.duration_since(session.last_seen) < idle_timeout);
        open.insert(
            token.clone(),
            Session {
                grant,
                locked: false,
                failed_unlocks: 0,
                last_seen: now,
            },
        );
        token
    }

    /// The session of `token` if it is open, refreshing its idle timer.
    pub fn touch(&self, token: &str) -> Option<Session> {
        let mut open = self.lock_table();
        let now = Instant::now();
        let session = open.get_mut(token)?;
        if now.duration_since(session.last_seen) >= self.idle_timeout {
            open.remove(token);
            return None;
        }
        session.last_seen = now;
        Some(session.clone())
    }

    /// The session of `token` if it is open, without refreshing it (for long-lived WebSockets,
    /// which must not keep an idle session alive).
    pub fn peek(&self, token: &str) -> Option<Session> {
        let open = self.lock_table();
        open.get(token)
            .filter(|session| Instant::now().duration_since(session.last_seen) < self.idle_timeout)
            .cloned()
    }

    /// Ends the session of `token`.
    pub fn close(&self, token: &str) {
        self.lock_table().remove(token);
    }

    /// Ends every session of `username` but the one of `keep` (the user's own, when they change
    /// their password). Answers how many were closed.
    pub fn close_user(&self, username: &str, keep: Option<&str>) -> usize {
        let mut open = self.lock_table();
        let before = open.len();
        open.retain(|token, session| {
            session.grant.username != username || keep.is_some_and(|kept| kept == token)
        });
        before - open.len()
    }

    /// Gives every session of the grant's user its new rights.
    pub fn update_user(&self, grant: &Grant) {
        for session in self.lock_table().values_mut() {
            if session.grant.username == grant.username {
                session.grant = grant.clone();
            }
        }
    }

    /// Locks the session of `token`.
    pub fn lock(&self, token: &str) {
        if let Some(session) = self.lock_table().get_mut(token) {
            session.locked = true;
        }
    }

    /// Unlocks the session of `token` after its user gave the right secret.
    pub fn unlock(&self, token: &str) {
        if let Some(session) = self.lock_table().get_mut(token) {
            session.locked = false;
            session.failed_unlocks = 0;
        }
    }

    /// Counts a wrong secret given to unlock `token`; the last allowed one closes the session.
    pub fn unlock_failed(&self, token: &str) -> UnlockFailure {
        let mut open = self.lock_table();
        let Some(session) = open.get_mut(token) else {
            return UnlockFailure::Closed;
        };
        session.failed_unlocks += 1;
        if session.failed_unlocks >= MAX_UNLOCK_FAILURES {
            open.remove(token);
            return UnlockFailure::Closed;
        }
        UnlockFailure::TriesLeft(MAX_UNLOCK_FAILURES - session.failed_unlocks)
    }
}

/// Lowercase hexadecimal of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(username: &str, role: Role) -> Grant {
        Grant {
            username: username.into(),
            role,
            pages: role.pages().to_vec(),
            devices: None,
            has_pin: false,
        }
    }

    #[test]
    fn tokens_are_long_random_and_revocable() {
        let sessions = Sessions::new(Duration::from_secs(60));
        let first = sessions.open(grant("alice", Role::Administrator));
        let second = sessions.open(grant("alice", Role::Administrator));
        assert_eq!(first.len(), 64);
        assert_ne!(first, second);
        assert_eq!(sessions.touch(&first).unwrap().grant.username, "alice");
        sessions.close(&first);
        assert!(sessions.touch(&first).is_none());
        assert!(sessions.peek(&second).is_some());
    }

    #[test]
    fn idle_sessions_expire() {
        let sessions = Sessions::new(Duration::from_millis(1));
        let token = sessions.open(grant("alice", Role::User));
        std::thread::sleep(Duration::from_millis(5));
        assert!(sessions.touch(&token).is_none());
        assert!(sessions.peek(&token).is_none());
    }

    #[test]
    fn a_user_s_sessions_are_closed_together_but_one_can_be_kept() {
        let sessions = Sessions::new(Duration::from_secs(60));
        let phone = sessions.open(grant("alice", Role::User));
        let desktop = sessions.open(grant("alice", Role::User));
        let other = sessions.open(grant("bob", Role::User));
        assert_eq!(sessions.close_user("alice", Some(&desktop)), 1);
        assert!(sessions.peek(&phone).is_none());
        assert!(sessions.peek(&desktop).is_some());
        assert_eq!(sessions.close_user("alice", None), 1);
        assert!(sessions.peek(&other).is_some());
    }

    #[test]
    fn new_rights_reach_open_sessions() {
        let sessions = Sessions::new(Duration::from_secs(60));
        let token = sessions.open(grant("alice", Role::User));
        let mut tenant = grant("alice", Role::User);
        tenant.devices = Some(vec![3]);
        sessions.update_user(&tenant);
        let session = sessions.peek(&token).unwrap();
        assert!(session.grant.sees(3));
        assert!(!session.grant.sees(4));
    }

    #[test]
    fn a_locked_session_closes_after_five_wrong_secrets() {
        let sessions = Sessions::new(Duration::from_secs(60));
        let token = sessions.open(grant("alice", Role::User));
        sessions.lock(&token);
        assert!(sessions.peek(&token).unwrap().locked);
        for left in (1..MAX_UNLOCK_FAILURES).rev() {
            assert_eq!(
                sessions.unlock_failed(&token),
                UnlockFailure::TriesLeft(left)
            );
        }
        assert_eq!(sessions.unlock_failed(&token), UnlockFailure::Closed);
        assert!(sessions.peek(&token).is_none());
        // Unlocking in time resets the count.
        let token = sessions.open(grant("alice", Role::User));
        sessions.lock(&token);
        sessions.unlock_failed(&token);
        sessions.unlock(&token);
        assert!(!sessions.peek(&token).unwrap().locked);
        sessions.lock(&token);
        assert_eq!(
            sessions.unlock_failed(&token),
            UnlockFailure::TriesLeft(MAX_UNLOCK_FAILURES - 1)
        );
    }
}
