//! The top layer: the HTTP and websocket edge. Handlers parse, authorize, call a feature and
//! answer; sockets run the connection loop around the engine's handles.

pub mod app;
pub mod catch_panic;
pub mod extract;
pub mod extractors;
pub mod password_again;
pub mod rest_budget;
pub mod routes;
pub mod security_headers;
pub mod shutdown;
pub mod sign_in;
pub mod socket;
pub mod state;
pub mod tls;
pub mod uri_guard;
