//! Group invite links (one per group at a time, the token kept so its admins
//! can hand it out again) and who a group's admins removed (an invite link
//! does not let them back in: an admin has to add them).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(GroupInvites::Table)
                    .col(uuid(GroupInvites::ChatId).primary_key())
                    .col(string_len(GroupInvites::Token, 64).unique_key())
                    .col(uuid(GroupInvites::CreatedBy))
                    .col(timestamp_with_time_zone(GroupInvites::CreatedAt))
                    .col(timestamp_with_time_zone_null(GroupInvites::ExpiresAt))
                    .col(integer_null(GroupInvites::MaxUses))
                    .col(integer(GroupInvites::Uses).default(0))
                    .foreign_key(
                        ForeignKey::create()
                            .from(GroupInvites::Table, GroupInvites::ChatId)
                            .to(Chats::Table, Chats::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(GroupInvites::Table, GroupInvites::CreatedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(GroupRemovals::Table)
                    .col(uuid(GroupRemovals::ChatId))
                    .col(uuid(GroupRemovals::UserId))
                    .col(timestamp_with_time_zone(GroupRemovals::RemovedAt))
                    .primary_key(
                        Index::create()
                            .col(GroupRemovals::ChatId)
                            .col(GroupRemovals::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(GroupRemovals::Table, GroupRemovals::ChatId)
                            .to(Chats::Table, Chats::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(GroupRemovals::Table, GroupRemovals::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            GroupRemovals::Table.into_iden(),
            GroupInvites::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Chats {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum GroupInvites {
    Table,
    ChatId,
    Token,
    CreatedBy,
    CreatedAt,
    ExpiresAt,
    MaxUses,
    Uses,
}

#[derive(DeriveIden)]
enum GroupRemovals {
    Table,
    ChatId,
    UserId,
    RemovedAt,
}
