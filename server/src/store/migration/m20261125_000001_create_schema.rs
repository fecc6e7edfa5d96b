//! The schema the chat needs: people, their sessions, chats, memberships with
//! receipt watermarks, and messages numbered per chat.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(users()).await?;
        manager.create_table(sessions()).await?;
        manager
            .create_index(index(
                "idx_sessions_user",
                Sessions::Table,
                Sessions::UserId,
            ))
            .await?;
        manager.create_table(chats()).await?;
        manager.create_table(chat_members()).await?;
        manager
            .create_index(index(
                "idx_chat_members_user",
                ChatMembers::Table,
                ChatMembers::UserId,
            ))
            .await?;
        manager.create_table(messages()).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Messages::Table.into_iden(),
            ChatMembers::Table.into_iden(),
            Chats::Table.into_iden(),
            Sessions::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

fn index(name: &str, table: impl IntoIden, column: impl IntoIden) -> IndexCreateStatement {
    Index::create()
        .name(name)
        .table(table)
        .col(column)
        .to_owned()
}

fn users() -> TableCreateStatement {
    Table::create()
        .table(Users::Table)
        .col(pk_uuid(Users::Id))
        .col(string_uniq(Users::Username))
        .col(string(Users::DisplayName))
        .col(string(Users::PasswordHash))
        .col(timestamp_with_time_zone(Users::CreatedAt))
        .col(timestamp_with_time_zone_null(Users::LastSeenAt))
        .to_owned()
}

fn sessions() -> TableCreateStatement {
    Table::create()
        .table(Sessions::Table)
        .col(string(Sessions::TokenHash).primary_key())
        .col(uuid(Sessions::UserId))
        .col(timestamp_with_time_zone(Sessions::CreatedAt))
        .col(timestamp_with_time_zone(Sessions::ExpiresAt))
        .foreign_key(&mut cascade(
            "fk_sessions_user",
            Sessions::Table,
            Sessions::UserId,
            Users::Table,
            Users::Id,
        ))
        .to_owned()
}

/// `kind` is "direct" or "group". `direct_key` ("<lower id>:<higher id>") makes a
/// second direct chat between the same two people impossible. `last_seq` is the
/// highest message seq so far, so a new message's seq is one read away.
fn chats() -> TableCreateStatement {
    Table::create()
        .table(Chats::Table)
        .col(pk_uuid(Chats::Id))
        .col(string_len(Chats::Kind, 16))
        .col(string_null(Chats::Name))
        .col(string_len_null(Chats::DirectKey, 80).unique_key())
        .col(big_integer(Chats::LastSeq).default(0))
        .col(timestamp_with_time_zone(Chats::CreatedAt))
        .col(timestamp_with_time_zone(Chats::LastActivityAt))
        .to_owned()
}

/// Receipts are two watermarks per member: every message with `seq <=
/// delivered_seq` has reached one of the member's devices, every one with `seq <=
/// seen_seq` has been on their screen.
fn chat_members() -> TableCreateStatement {
    Table::create()
        .table(ChatMembers::Table)
        .col(uuid(ChatMembers::ChatId))
        .col(uuid(ChatMembers::UserId))
        .col(big_integer(ChatMembers::DeliveredSeq).default(0))
        .col(big_integer(ChatMembers::SeenSeq).default(0))
        .col(timestamp_with_time_zone(ChatMembers::JoinedAt))
        .primary_key(
            Index::create()
                .col(ChatMembers::ChatId)
                .col(ChatMembers::UserId),
        )
        .foreign_key(&mut cascade(
            "fk_members_chat",
            ChatMembers::Table,
            ChatMembers::ChatId,
            Chats::Table,
            Chats::Id,
        ))
        .foreign_key(&mut cascade(
            "fk_members_user",
            ChatMembers::Table,
            ChatMembers::UserId,
            Users::Table,
            Users::Id,
        ))
        .to_owned()
}

fn messages() -> TableCreateStatement {
    Table::create()
        .table(Messages::Table)
        .col(pk_uuid(Messages::Id))
        .col(uuid(Messages::ChatId))
        .col(big_integer(Messages::Seq))
        .col(uuid(Messages::SenderId))
        .col(string_len(Messages::ClientId, 64))
        .col(text(Messages::Body))
        .col(timestamp_with_time_zone(Messages::CreatedAt))
        .index(
            Index::create()
                .name("uq_messages_chat_seq")
                .col(Messages::ChatId)
                .col(Messages::Seq)
                .unique(),
        )
        .index(
            Index::create()
                .name("uq_messages_sender_client")
                .col(Messages::SenderId)
                .col(Messages::ClientId)
                .unique(),
        )
        .foreign_key(&mut cascade(
            "fk_messages_chat",
            Messages::Table,
            Messages::ChatId,
            Chats::Table,
            Chats::Id,
        ))
        .foreign_key(&mut cascade(
            "fk_messages_sender",
            Messages::Table,
            Messages::SenderId,
            Users::Table,
            Users::Id,
        ))
        .to_owned()
}

fn cascade(
    name: &str,
    from_table: impl IntoIden,
    from_column: impl IntoIden,
    to_table: impl IntoIden,
    to_column: impl IntoIden,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from_table, from_column)
        .to(to_table, to_column)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Username,
    DisplayName,
    PasswordHash,
    CreatedAt,
    LastSeenAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    TokenHash,
    UserId,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum Chats {
    Table,
    Id,
    Kind,
    Name,
    DirectKey,
    LastSeq,
    CreatedAt,
    LastActivityAt,
}

#[derive(DeriveIden)]
enum ChatMembers {
    Table,
    ChatId,
    UserId,
    DeliveredSeq,
    SeenSeq,
    JoinedAt,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    Id,
    ChatId,
    Seq,
    SenderId,
    ClientId,
    Body,
    CreatedAt,
}
