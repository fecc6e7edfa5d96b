//! Messages that change: a version per chat for every change (so a client can
//! ask what changed since it last looked), edit and delete times, the message
//! a reply answers, and reactions.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        let add = |table: DynIden, column: ColumnDef| {
            Table::alter().table(table).add_column(column).to_owned()
        };
        manager
            .alter_table(add(
                Chats::Table.into_iden(),
                big_integer(Chats::LastVersion).default(0).to_owned(),
            ))
            .await?;
        for column in [
            big_integer(Messages::Version).default(0).to_owned(),
            timestamp_with_time_zone_null(Messages::ChangedAt),
            timestamp_with_time_zone_null(Messages::EditedAt),
            timestamp_with_time_zone_null(Messages::DeletedAt),
            uuid_null(Messages::ReplyToId),
        ] {
            manager
                .alter_table(add(Messages::Table.into_iden(), column))
                .await?;
        }
        // Until now a message changed only by being created: its version is its seq.
        let db = manager.get_connection();
        db.execute_unprepared("UPDATE messages SET version = seq")
            .await?;
        db.execute_unprepared("UPDATE chats SET last_version = last_seq")
            .await?;
        // Only messages changed after their creation are indexed by version
        // (new ones are found by seq, see `messages::changed_after`): a new
        // message costs no entry here, which keeps the write path at three
        // indexes.
        db.execute_unprepared(
            "CREATE UNIQUE INDEX uq_messages_changed ON messages (chat_id, version) \
             WHERE changed_at IS NOT NULL",
        )
        .await?;
        manager.create_table(reactions()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Reactions::Table).to_owned())
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("uq_messages_changed")
                    .table(Messages::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            Messages::Version,
            Messages::ChangedAt,
            Messages::EditedAt,
            Messages::DeletedAt,
            Messages::ReplyToId,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Messages::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Chats::Table)
                    .drop_column(Chats::LastVersion)
                    .to_owned(),
            )
            .await
    }
}

/// One row per (message, person, emoji). `version` is the chat's version when
/// it was put there: emoji are listed in the order they were first used.
fn reactions() -> TableCreateStatement {
    Table::create()
        .table(Reactions::Table)
        .col(uuid(Reactions::MessageId))
        .col(uuid(Reactions::UserId))
        .col(string_len(Reactions::Emoji, 64))
        .col(big_integer(Reactions::Version))
        .primary_key(
            Index::create()
                .col(Reactions::MessageId)
                .col(Reactions::UserId)
                .col(Reactions::Emoji),
        )
        .foreign_key(
            ForeignKey::create()
                .name("fk_reactions_message")
                .from(Reactions::Table, Reactions::MessageId)
                .to(Messages::Table, Messages::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .foreign_key(
            ForeignKey::create()
                .name("fk_reactions_user")
                .from(Reactions::Table, Reactions::UserId)
                .to(Users::Table, Users::Id),
        )
        .to_owned()
}

#[derive(DeriveIden)]
enum Chats {
    Table,
    LastVersion,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    Id,
    Version,
    ChangedAt,
    EditedAt,
    DeletedAt,
    ReplyToId,
}

#[derive(DeriveIden)]
enum Reactions {
    Table,
    MessageId,
    UserId,
    Emoji,
    Version,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}
