//! What the tests share: a server in-process ([`app`]) or as the real binary
//! ([`process`]), the services they start themselves ([`services`]), a
//! Socket.IO client ([`socket_client`]), people and chats to talk with
//! ([`people`], [`chats`]), each rule on both databases ([`backends`]) and two
//! nodes as one cluster ([`nodes`]).

pub mod app;
pub mod backends;
pub mod chats;
pub mod nodes;
pub mod people;
pub mod process;
pub mod push_service;
pub mod services;
pub mod socket_client;
