//! Groups people manage and privacy people control: members' roles and the
//! seq they joined at, each member's own preferences for a chat, system
//! messages, people's privacy settings, and who blocked whom.

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
        let columns: Vec<(DynIden, ColumnDef)> = vec![
            (
                ChatMembers::Table.into_iden(),
                string_len(ChatMembers::Role, 16)
                    .default("member")
                    .to_owned(),
            ),
            (
                ChatMembers::Table.into_iden(),
                big_integer(ChatMembers::VisibleFromSeq)
                    .default(0)
                    .to_owned(),
            ),
            (
                ChatMembers::Table.into_iden(),
                boolean(ChatMembers::Muted).default(false).to_owned(),
            ),
            (
                ChatMembers::Table.into_iden(),
                timestamp_with_time_zone_null(ChatMembers::PinnedAt),
            ),
            (
                ChatMembers::Table.into_iden(),
                timestamp_with_time_zone_null(ChatMembers::ArchivedAt),
            ),
            (
                ChatMembers::Table.into_iden(),
                boolean(ChatMembers::MarkedUnread).default(false).to_owned(),
            ),
            (
                Users::Table.into_iden(),
                boolean(Users::ReadReceipts).default(true).to_owned(),
            ),
            (
                Users::Table.into_iden(),
                boolean(Users::TypingIndicators).default(true).to_owned(),
            ),
            (
                Users::Table.into_iden(),
                string_len(Users::LastSeenVisibility, 16)
                    .default("everyone")
                    .to_owned(),
            ),
            (Messages::Table.into_iden(), text_null(Messages::System)),
        ];
        for (table, column) in columns {
            manager.alter_table(add(table, column)).await?;
        }
        // Groups so far had no roles and everyone could do everything: they
        // keep that, as admins all.
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE chat_members SET role = 'admin' \
                 WHERE chat_id IN (SELECT id FROM chats WHERE kind = 'group')",
            )
            .await?;
        manager.create_table(blocks()).await?;
        // Who blocked someone is asked when they connect.
        manager
            .create_index(
                Index::create()
                    .name("idx_blocks_blocked")
                    .table(Blocks::Table)
                    .col(Blocks::BlockedId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Blocks::Table).to_owned())
            .await?;
        let drop = |table: DynIden, column: DynIden| {
            Table::alter().table(table).drop_column(column).to_owned()
        };
        let columns: Vec<(DynIden, DynIden)> = vec![
            (
                ChatMembers::Table.into_iden(),
                ChatMembers::Role.into_iden(),
            ),
            (
                ChatMembers::Table.into_iden(),
                ChatMembers::VisibleFromSeq.into_iden(),
            ),
            (
                ChatMembers::Table.into_iden(),
                ChatMembers::Muted.into_iden(),
            ),
            (
                ChatMembers::Table.into_iden(),
                ChatMembers::PinnedAt.into_iden(),
            ),
            (
                ChatMembers::Table.into_iden(),
                ChatMembers::ArchivedAt.into_iden(),
            ),
            (
                ChatMembers::Table.into_iden(),
                ChatMembers::MarkedUnread.into_iden(),
            ),
            (Users::Table.into_iden(), Users::ReadReceipts.into_iden()),
            (
                Users::Table.into_iden(),
                Users::TypingIndicators.into_iden(),
            ),
            (
                Users::Table.into_iden(),
                Users::LastSeenVisibility.into_iden(),
            ),
            (Messages::Table.into_iden(), Messages::System.into_iden()),
        ];
        for (table, column) in columns {
            manager.alter_table(drop(table, column)).await?;
        }
        Ok(())
    }
}

/// One row per (blocker, blocked).
fn blocks() -> TableCreateStatement {
    Table::create()
        .table(Blocks::Table)
        .col(uuid(Blocks::BlockerId))
        .col(uuid(Blocks::BlockedId))
        .col(timestamp_with_time_zone(Blocks::CreatedAt))
        .primary_key(
            Index::create()
                .col(Blocks::BlockerId)
                .col(Blocks::BlockedId),
        )
        .foreign_key(
            ForeignKey::create()
                .name("fk_blocks_blocker")
                .from(Blocks::Table, Blocks::BlockerId)
                .to(Users::Table, Users::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .foreign_key(
            ForeignKey::create()
                .name("fk_blocks_blocked")
                .from(Blocks::Table, Blocks::BlockedId)
                .to(Users::Table, Users::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

#[derive(DeriveIden)]
enum ChatMembers {
    Table,
    Role,
    VisibleFromSeq,
    Muted,
    PinnedAt,
    ArchivedAt,
    MarkedUnread,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    ReadReceipts,
    TypingIndicators,
    LastSeenVisibility,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    System,
}

#[derive(DeriveIden)]
enum Blocks {
    Table,
    BlockerId,
    BlockedId,
    CreatedAt,
}
