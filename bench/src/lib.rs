//! What `parley-bench` shares with the server's tests: the processes they
//! start ([`child`]).

pub mod child;
