//! Web Push: the devices people asked to be told on (each belongs to the
//! session that subscribed it, and ends with it), the pushes owed to them
//! (a durable queue, written in the transaction that stores the message),
//! and whether a person's notifications show what a message says.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(boolean(Users::NotificationPreview).default(true))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PushSubscriptions::Table)
                    .col(uuid(PushSubscriptions::Id).primary_key())
                    .col(uuid(PushSubscriptions::UserId))
                    .col(string_len(PushSubscriptions::SessionHash, 64))
                    .col(string(PushSubscriptions::Endpoint).unique_key())
                    .col(string(PushSubscriptions::P256dh))
                    .col(string(PushSubscriptions::Auth))
                    .col(timestamp_with_time_zone(PushSubscriptions::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PushSubscriptions::Table, PushSubscriptions::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PushSubscriptions::Table, PushSubscriptions::SessionHash)
                            .to(Sessions::Table, Sessions::TokenHash)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("push_subscriptions_by_user")
                    .table(PushSubscriptions::Table)
                    .col(PushSubscriptions::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("push_subscriptions_by_session")
                    .table(PushSubscriptions::Table)
                    .col(PushSubscriptions::SessionHash)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PushOutbox::Table)
                    .col(uuid(PushOutbox::SubscriptionId))
                    .col(uuid(PushOutbox::MessageId))
                    // Milliseconds since the epoch: nobody may take it before.
                    .col(big_integer(PushOutbox::DueMs))
                    .col(integer(PushOutbox::Attempts).default(0))
                    .primary_key(
                        Index::create()
                            .col(PushOutbox::SubscriptionId)
                            .col(PushOutbox::MessageId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PushOutbox::Table, PushOutbox::SubscriptionId)
                            .to(PushSubscriptions::Table, PushSubscriptions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PushOutbox::Table, PushOutbox::MessageId)
                            .to(Messages::Table, Messages::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("push_outbox_by_due")
                    .table(PushOutbox::Table)
                    .col(PushOutbox::DueMs)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PushOutbox::Table.into_iden(),
            PushSubscriptions::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::NotificationPreview)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    NotificationPreview,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    TokenHash,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum PushSubscriptions {
    Table,
    Id,
    UserId,
    SessionHash,
    Endpoint,
    P256dh,
    Auth,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PushOutbox {
    Table,
    SubscriptionId,
    MessageId,
    DueMs,
    Attempts,
}
