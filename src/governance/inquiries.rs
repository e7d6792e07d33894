//! Inquiries end on their own: one without a new message for `INQUIRY_IDLE_SECS` is closed
//! (read-only, announced by a `chat_closed` event), and with it its guest's session, so a
//! visitor's chat is kept open no longer than the school says.

use std::time::Duration;

use crate::AppState;
use crate::log::NewEvent;

/// Closes the inquiry chats idle for `idle` (no new message, or none since they opened):
/// appends `chat_closed` for each. Every replica runs it; the log makes a second close of the
/// same chat a no-op. Returns how many it closed.
pub async fn close_idle(state: &AppState, idle: Duration) -> anyhow::Result<usize> {
    let rows = state
        .db
        .get()
        .await?
        .query(
            "SELECT id FROM chats WHERE kind = 'inquiry' AND closed_at IS NULL
               AND active_at < now() - make_interval(secs => $1)
             ORDER BY id LIMIT 500",
            &[&idle.as_secs_f64()],
        )
        .await?;
    let mut closed = 0;
    for row in rows {
        if state.appender.append(NewEvent::ChatClosed { chat_id: row.get(0) }).await?.is_some() {
            closed += 1;
        }
    }
    Ok(closed)
}

/// Deletes the address hashes of visitors whose inquiry closed more than
/// `INQUIRY_BLOCK_ADDRESS_HOURS` ago: past that, a block no longer looks at the address, so it is
/// kept no longer. Returns how many it deleted.
pub async fn forget_addresses(state: &AppState) -> anyhow::Result<u64> {
    let window = state.config.inquiry.block_address;
    Ok(state
        .db
        .get()
        .await?
        .execute(
            "DELETE FROM guest_addresses a USING chats c
             WHERE c.id = (SELECT p.chat_id FROM chat_participants p WHERE p.user_id = a.guest_id LIMIT 1)
               AND c.closed_at < now() - make_interval(secs => $1)",
            &[&window.as_secs_f64()],
        )
        .await?)
}

/// Runs [`close_idle`] (and [`forget_addresses`]) every tenth of `INQUIRY_IDLE_SECS` (at least every second, at most
/// every minute) until shutdown.
pub async fn keep_closing(state: AppState) {
    let idle = state.config.inquiry.idle;
    let every = (idle / 10).clamp(Duration::from_secs(1), Duration::from_secs(60));
    // Not at start-up: the first sweep after one period, like every later one.
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = state.shutdown.cancelled() => return,
            _ = ticks.tick() => {}
        }
        match close_idle(&state, idle).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(closed = n, "closed idle inquiry chats"),
            Err(e) => tracing::warn!(error = format!("{e:#}"), "closing idle inquiry chats failed; will retry"),
        }
        if let Err(e) = forget_addresses(&state).await {
            tracing::warn!(error = format!("{e:#}"), "forgetting blocked visitors' addresses failed; will retry");
        }
    }
}
