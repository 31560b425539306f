//! Login sessions: random tokens held in a cookie, kept server-side so logout revokes them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rand::RngCore;
use shared::Role;

/// The cookie that carries the session token.
pub const SESSION_COOKIE: &str = "ews_session";

/// A logged-in user.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub username: String,
    pub role: Role,
    last_seen: Instant,
}

/// Every open session. Sessions end at logout or after `idle_timeout` without a request.
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

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Session>> {
        self.open
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Opens a session and returns its token (256 random bits, URL-safe).
    pub fn open(&self, username: &str, role: Role) -> String {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let token = hex(&bytes);
        let mut open = self.lock();
        let now = Instant::now();
        let idle_timeout = self.idle_timeout;
        open.retain(|_, session| now.duration_since(session.last_seen) < idle_timeout);
        open.insert(
            token.clone(),
            Session {
                username: username.to_owned(),
                role,
                last_seen: now,
            },
        );
        token
    }

    /// The session of `token` if it is open, refreshing its idle timer.
    pub fn touch(&self, token: &str) -> Option<Session> {
        let mut open = self.lock();
        let now = Instant::now();
        let session = open.get_mut(token)?;
        if now.duration_since(session.last_seen) >= self.idle_timeout {
            open.remove(token);
            return None;
        }
        session.last_seen = now;
        Some(session.clone())
    }

    /// Whether `token` is still open, without refreshing it (for long-lived WebSockets).
    pub fn is_open(&self, token: &str) -> bool {
        let open = self.lock();
        open.get(token).is_some_and(|session| {
            Instant::now().duration_since(session.last_seen) < self.idle_timeout
        })
    }

    /// Ends the session of `token`.
    pub fn close(&self, token: &str) {
        self.lock().remove(token);
    }
}

/// Lowercase hexadecimal of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_revocable() {
        let sessions = Sessions::new(Duration::from_secs(60));
        let first = sessions.open("alice", Role::Administrator);
        let second = sessions.open("alice", Role::Administrator);
        assert_eq!(first.len(), 64);
        assert_ne!(first, second);
        assert_eq!(sessions.touch(&first).unwrap().username, "alice");
        sessions.close(&first);
        assert!(sessions.touch(&first).is_none());
        assert!(sessions.is_open(&second));
    }

    #[test]
    fn idle_sessions_expire() {
        let sessions = Sessions::new(Duration::from_millis(1));
        let token = sessions.open("alice", Role::User);
        std::thread::sleep(Duration::from_millis(5));
        assert!(sessions.touch(&token).is_none());
        assert!(!sessions.is_open(&token));
    }
}
