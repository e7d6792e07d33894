//! The marks that open a route to guests and to suspended people's writes, and the event
//! stream's to a ticket. Where a route is placed decides it (`crate::access` says who may do
//! what, and re-exports these); the `AuthUser` extractor reads the mark, so that every route
//! without one refuses them.

use axum::{Extension, Router};

/// The mark [`for_guests`] puts on a route: a guest may call it.
#[derive(Debug, Clone, Copy)]
pub struct GuestRoute;

/// The mark [`for_tickets`] puts on a route: it takes a stream ticket as `?token=`
/// (`crate::auth::tickets`).
#[derive(Debug, Clone, Copy)]
pub struct TicketRoute;

/// The mark [`without_cookies`] puts on a route: the session cookie is no credential there (a
/// contract whose clients send a token, never a browser's cookie on its own).
#[derive(Debug, Clone, Copy)]
pub struct NoCookieRoute;

/// The mark [`for_suspended`] puts on a route: a suspended person may write through it.
#[derive(Debug, Clone, Copy)]
pub struct SuspendedRoute;

/// `routes`, open to guests too (everyone else as before).
pub fn for_guests<S>(routes: Router<S>) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    routes.route_layer(Extension(GuestRoute))
}

/// `routes`, open to suspended people's writes too (everyone else as before).
pub fn for_suspended<S>(routes: Router<S>) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    routes.route_layer(Extension(SuspendedRoute))
}

/// `routes`, taking a stream ticket in the query instead of a token or a cookie.
pub fn for_tickets<S>(routes: Router<S>) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    routes.route_layer(Extension(TicketRoute))
}

/// `routes`, refusing the session cookie: only a token counts (a Bearer header, or the
/// contract's own place for it). A socket whose contract has no cookie cannot then be opened
/// by another page of the same site with the visitor's cookie.
pub fn without_cookies<S>(routes: Router<S>) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    routes.route_layer(Extension(NoCookieRoute))
}
