//! Photos and files: one row per upload. An upload belongs to its uploader
//! and one chat until a message of theirs in that chat takes it
//! (`message_id`); one never taken is swept after a day.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(attachments()).await?;
        // A message's attachments, read with every page of history.
        manager
            .create_index(
                Index::create()
                    .name("idx_attachments_message")
                    .table(Attachments::Table)
                    .col(Attachments::MessageId)
                    .to_owned(),
            )
            .await?;
        // The sweep of uploads never sent.
        manager
            .create_index(
                Index::create()
                    .name("idx_attachments_created")
                    .table(Attachments::Table)
                    .col(Attachments::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Attachments::Table).to_owned())
            .await
    }
}

fn attachments() -> TableCreateStatement {
    Table::create()
        .table(Attachments::Table)
        .col(uuid(Attachments::Id).primary_key())
        .col(uuid(Attachments::ChatId))
        .col(uuid(Attachments::UploaderId))
        .col(uuid_null(Attachments::MessageId))
        .col(string_len(Attachments::Name, 255))
        .col(string_len(Attachments::ContentType, 100))
        .col(big_integer(Attachments::Size))
        .col(integer_null(Attachments::Width))
        .col(integer_null(Attachments::Height))
        .col(string_len(Attachments::ObjectKey, 200))
        .col(string_len_null(Attachments::ThumbnailKey, 200))
        .col(timestamp_with_time_zone(Attachments::CreatedAt))
        .foreign_key(
            ForeignKey::create()
                .name("fk_attachments_chat")
                .from(Attachments::Table, Attachments::ChatId)
                .to(Chats::Table, Chats::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .foreign_key(
            ForeignKey::create()
                .name("fk_attachments_uploader")
                .from(Attachments::Table, Attachments::UploaderId)
                .to(Users::Table, Users::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .foreign_key(
            ForeignKey::create()
                .name("fk_attachments_message")
                .from(Attachments::Table, Attachments::MessageId)
                .to(Messages::Table, Messages::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

#[derive(DeriveIden)]
enum Attachments {
    Table,
    Id,
    ChatId,
    UploaderId,
    MessageId,
    Name,
    ContentType,
    Size,
    Width,
    Height,
    ObjectKey,
    ThumbnailKey,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Chats {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    Id,
}
