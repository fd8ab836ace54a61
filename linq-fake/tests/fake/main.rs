//! The fake through its public API, as any client sees it: what it models beyond the contact
//! operations (rate limits, organizations, duplicates) and its webhook subscriptions and
//! deliveries. One test binary, one module per concern, to keep link time low.

mod models;
mod webhooks;
