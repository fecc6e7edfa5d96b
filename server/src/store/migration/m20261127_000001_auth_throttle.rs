//! Failed sign-ins and sign-ups per account and per address, so throttling is
//! shared by every node (they share the database), and an index to sweep
//! expired sessions.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuthThrottle::Table)
                    .col(string(AuthThrottle::Key).primary_key())
                    .col(integer(AuthThrottle::Attempts))
                    .col(timestamp_with_time_zone(AuthThrottle::WindowStartedAt))
                    .col(timestamp_with_time_zone_null(AuthThrottle::BlockedUntil))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sessions_expires_at")
                    .table(Sessions::Table)
                    .col(Sessions::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_sessions_expires_at")
                    .table(Sessions::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(AuthThrottle::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum AuthThrottle {
    Table,
    Key,
    Attempts,
    WindowStartedAt,
    BlockedUntil,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    ExpiresAt,
}
