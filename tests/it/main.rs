//! The integration tests: each starts the real `banpol` executable on a loopback port and talks
//! to it over HTTPS, as a citizen, an operator or a unit officer would.

mod api;
mod arch;
mod audit;
mod auth;
mod backup;
mod board;
mod browser;
mod cli;
mod crash;
mod drill;
mod escalation;
mod export;
mod files;
mod hardening;
mod i18n;
mod live;
mod metrics;
mod open311;
mod pages;
mod pg;
mod photos;
mod polsek;
mod prank;
mod queue;
mod rekap;
mod session;
mod smoke;
mod sop_versions;
mod stpl;
mod support;
mod sync;
mod update;
mod wall;
mod whatsapp;
mod wilayah;
