//! Integration tests of the whole chain, as a service sees it, against local servers only
//! (httpmock and the fake Linq, on 127.0.0.1). One test binary, one module per concern, to keep
//! link time low.

mod dependencies;
mod ext;
mod generated_client;
mod generated_mocks;
mod spec_examples;
mod support;
mod surface;
mod webhooks;
