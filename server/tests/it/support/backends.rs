//! Each rule on SQLite and on PostgreSQL: [`Running::start`] gives a server
//! on either, and `on_both!` makes a test of each.

use super::{
    app::{TestApp, spawn_app, spawn_app_with},
    services::Postgres,
};

/// Where a test's server keeps its data.
#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A server on `backend`, and the database server behind it if any.
pub struct Running {
    pub app: TestApp,
    _postgres: Option<Postgres>,
}

impl Running {
    /// `None` (the test skips) where PostgreSQL is not installed.
    pub async fn start(backend: Backend) -> Option<Self> {
        match backend {
            Backend::Sqlite => Some(Self {
                app: spawn_app().await,
                _postgres: None,
            }),
            Backend::Postgres => {
                let postgres = Postgres::start()?;
                let url = postgres.new_database().await;
                let app = spawn_app_with(tempfile::tempdir().unwrap(), move |settings| {
                    settings.database_url = url;
                })
                .await;
                Some(Self {
                    app,
                    _postgres: Some(postgres),
                })
            }
        }
    }
}

/// Each rule runs on both databases.
#[macro_export]
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name($crate::support::backends::Backend::Sqlite).await
            }

            #[tokio::test]
            async fn postgres() {
                super::$name($crate::support::backends::Backend::Postgres).await
            }
        }
    )*};
}
