#![forbid(unsafe_code)]
pub mod config;
pub mod model;
pub mod service;
pub mod store;
