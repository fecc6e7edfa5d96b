//! The chat list's index: a person's memberships, pinned apart, with the
//! chat's id in the index itself. A page of the list then reads only this
//! index and the chats' own (see `Store::chat_page`), not every membership
//! row of someone in thousands of chats. It starts with `user_id`, so it
//! also serves everything the index it replaces did.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const LIST: &str = "idx_chat_members_list";
const BY_USER: &str = "idx_chat_members_user";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(LIST)
                    .table(ChatMembers::Table)
                    .col(ChatMembers::UserId)
                    .col(ChatMembers::PinnedAt)
                    .col(ChatMembers::ChatId)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name(BY_USER)
                    .table(ChatMembers::Table)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(BY_USER)
                    .table(ChatMembers::Table)
                    .col(ChatMembers::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name(LIST)
                    .table(ChatMembers::Table)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum ChatMembers {
    Table,
    UserId,
    PinnedAt,
    ChatId,
}
