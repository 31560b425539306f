//! `GET /api/live`: a WebSocket pushing each device's state as it is read.

use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::response::Response;
use shared::LiveMessage;
use tokio::sync::broadcast::error::RecvError;

use super::error::AppError;
use super::extract::CurrentUser;
use crate::AppState;
use crate::auth::Session;

/// How often an idle socket re-checks that its session is still open and unlocked (logout and
/// lock close it).
const SESSION_CHECK: Duration = Duration::from_secs(5);

/// Upgrades to a WebSocket after checking the session and that the page comes from this server.
pub async fn live(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Result<Response, AppError> {
    if !same_origin(&headers) {
        return Err(AppError::ForeignOrigin);
    }
    Ok(upgrade.on_upgrade(move |socket| push(socket, state, user.token)))
}

/// Browsers send `Origin` on WebSocket requests; a page of another site must not read our data
/// with the user's cookie.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get("origin").and_then(|value| value.to_str().ok()) else {
        return true;
    };
    let host = headers
        .get("host")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    origin
        .split_once("://")
        .is_some_and(|(_, origin_host)| origin_host.eq_ignore_ascii_case(host))
}

async fn push(mut socket: WebSocket, state: AppState, token: String) {
    let mut changes = state.live.subscribe();
    let Some(session) = still_allowed(&state, &token) else {
        return;
    };
    if send_snapshot(&mut socket, &state, &session).await.is_err() {
        return;
    }
    let mut session_check = tokio::time::interval(SESSION_CHECK);
    loop {
        tokio::select! {
            change = changes.recv() => {
                // Each message is checked against the session as it is now: a tenant's devices,
                // a right taken away, a lock or a logout count from the next message on.
                let Some(session) = still_allowed(&state, &token) else {
                    let _ = socket.send(Message::Close(None)).await;
                    break;
                };
                let sent = match change {
                    Ok(device) if session.grant.sees(device.id) => {
                        send(&mut socket, &LiveMessage::Device(device)).await
                    }
                    Ok(_) => Ok(()),
                    // Too slow a client: catch up with the whole state rather than drop values.
                    Err(RecvError::Lagged(_)) => send_snapshot(&mut socket, &state, &session).await,
                    Err(RecvError::Closed) => break,
                };
                if sent.is_err() {
                    break;
                }
            }
            incoming = socket.recv() => {
                match incoming {
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(_)) => {}
                }
            }
            _ = session_check.tick() => {
                if still_allowed(&state, &token).is_none() {
                    let _ = socket.send(Message::Close(None)).await;
                    break;
                }
            }
        }
    }
}

/// The socket's session if it may still receive live values: open (without refreshing its idle
/// timer), not locked, and still allowed the live values.
fn still_allowed(state: &AppState, token: &str) -> Option<Session> {
    let session = state.sessions.peek(token)?;
    super::LIVE.check(Some(&session)).is_ok().then_some(session)
}

async fn send_snapshot(
    socket: &mut WebSocket,
    state: &AppState,
    session: &Session,
) -> Result<(), axum::Error> {
    for device in state.live.snapshot() {
        if session.grant.sees(device.id) {
            send(socket, &LiveMessage::Device(device)).await?;
        }
    }
    Ok(())
}

async fn send(socket: &mut WebSocket, message: &LiveMessage) -> Result<(), axum::Error> {
    let text = serde_json::to_string(message).map_err(axum::Error::new)?;
    socket.send(Message::Text(text.into())).await
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(origin: Option<&str>, host: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_str(host).unwrap());
        if let Some(origin) = origin {
            headers.insert("origin", HeaderValue::from_str(origin).unwrap());
        }
        headers
    }

    #[test]
    fn only_pages_of_this_server_may_open_the_socket() {
        assert!(same_origin(&headers(
            Some("http://box.local:8080"),
            "box.local:8080"
        )));
        assert!(same_origin(&headers(None, "box.local:8080")));
        assert!(!same_origin(&headers(
            Some("http://evil.example"),
            "box.local:8080"
        )));
    }
}
