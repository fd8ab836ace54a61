//! The Linq Contacts client a service uses (work in progress).
#![forbid(unsafe_code)]
pub use linq_api;
