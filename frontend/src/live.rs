//! The live feed: one WebSocket (`/api/live`) for the whole app while someone is logged in, pushing
//! each device's latest state into a signal every page can read. It reconnects with back-off.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Duration;

use leptos::prelude::*;
use shared::{DeviceInfo, LiveMessage};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::{CloseEvent, Event, MessageEvent, WebSocket};

const FIRST_RETRY: Duration = Duration::from_secs(1);
const LONGEST_RETRY: Duration = Duration::from_secs(30);

/// The state of the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// Not started (nobody logged in).
    Idle,
    /// Opening for the first time.
    Connecting,
    Open,
    /// Lost; a new attempt is scheduled.
    Down,
}

/// The live context. `Copy`, so closures can capture it freely.
#[derive(Clone, Copy)]
pub struct Live {
    /// The latest state of each device heard from since the feed started, by device id.
    pub devices: RwSignal<HashMap<u32, DeviceInfo>>,
    pub state: RwSignal<LinkState>,
}

impl Live {
    /// The latest live state of one device (tracked).
    pub fn device(&self, id: u32) -> Option<DeviceInfo> {
        self.devices.with(|devices| devices.get(&id).cloned())
    }

    /// Whether live updates are interrupted (tracked).
    pub fn is_down(&self) -> bool {
        self.state.get() == LinkState::Down
    }
}

/// The socket and the callbacks it holds; dropping them detaches the handlers first.
struct Connection {
    socket: WebSocket,
    _on_open: Closure<dyn FnMut(Event)>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.socket.set_onopen(None);
        self.socket.set_onmessage(None);
        self.socket.set_onclose(None);
        let _ = self.socket.close();
    }
}

#[derive(Default)]
struct Feed {
    running: bool,
    /// Bumped on every stop so a retry scheduled before it does nothing.
    generation: u32,
    retry: Option<Duration>,
    connection: Option<Connection>,
}

thread_local! {
    static FEED: RefCell<Feed> = RefCell::new(Feed::default());
}

/// Creates the live context; called once by the app's root.
pub fn provide_live() -> Live {
    let live = Live {
        devices: RwSignal::new(HashMap::new()),
        state: RwSignal::new(LinkState::Idle),
    };
    provide_context(live);
    live
}

/// The live context (created on the spot if the root did not provide one).
pub fn use_live() -> Live {
    use_context::<Live>().unwrap_or_else(provide_live)
}

/// Starts the feed if it is not running.
pub fn start(live: Live) {
    let start = FEED.with_borrow_mut(|feed| {
        if feed.running {
            false
        } else {
            feed.running = true;
            feed.retry = None;
            true
        }
    });
    if start {
        live.state.set(LinkState::Connecting);
        connect(live);
    }
}

/// Stops the feed (at logout) and forgets the devices' states.
pub fn stop(live: Live) {
    let connection = FEED.with_borrow_mut(|feed| {
        feed.running = false;
        feed.generation = feed.generation.wrapping_add(1);
        feed.connection.take()
    });
    drop(connection);
    live.state.set(LinkState::Idle);
    live.devices.update(HashMap::clear);
}

fn url() -> Option<String> {
    let location = web_sys::window()?.location();
    let scheme = if location.protocol().ok()? == "https:" {
        "wss"
    } else {
        "ws"
    };
    Some(format!("{scheme}://{}/api/live", location.host().ok()?))
}

fn connect(live: Live) {
    let Some(socket) = url().and_then(|url| WebSocket::new(&url).ok()) else {
        schedule_retry(live);
        return;
    };

    let on_open = Closure::<dyn FnMut(Event)>::new(move |_: Event| {
        FEED.with_borrow_mut(|feed| feed.retry = None);
        live.state.set(LinkState::Open);
    });
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let Some(text) = event.data().as_string() else {
            return;
        };
        match serde_json::from_str::<LiveMessage>(&text) {
            Ok(LiveMessage::Device(device)) => live.devices.update(|devices| {
                devices.insert(device.id, device);
            }),
            Err(error) => leptos::logging::warn!("live: unreadable message: {error}"),
        }
    });
    let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |_: CloseEvent| {
        // The handler must not drop its own closure: the retry replaces the connection later.
        schedule_retry(live);
    });
    socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));

    let connection = Connection {
        socket,
        _on_open: on_open,
        _on_message: on_message,
        _on_close: on_close,
    };
    let previous = FEED.with_borrow_mut(|feed| feed.connection.replace(connection));
    drop(previous);
}

fn schedule_retry(live: Live) {
    let Some((delay, generation)) = FEED.with_borrow_mut(|feed| {
        if !feed.running {
            return None;
        }
        let delay = feed.retry.unwrap_or(FIRST_RETRY);
        feed.retry = Some((delay * 2).min(LONGEST_RETRY));
        Some((delay, feed.generation))
    }) else {
        return;
    };
    live.state.set(LinkState::Down);
    set_timeout(
        move || {
            let current = FEED.with_borrow(|feed| feed.running && feed.generation == generation);
            if current {
                connect(live);
            }
        },
        delay,
    );
}
