//! Channels other than the web form: WhatsApp Banpol (DESIGN §6).

pub mod whatsapp;
