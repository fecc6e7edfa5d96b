//! Profile and group photos: which version of its photo a person or a group
//! has (a hash of the bytes, which name the stored files), and who may see
//! a person's (`everyone`, `contacts`, `nobody`).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        let add = |table: DynIden, column: ColumnDef| {
            Table::alter().table(table).add_column(column).to_owned()
        };
        manager
            .alter_table(add(Users::Table.into_iden(), string_null(Users::Photo)))
            .await?;
        manager
            .alter_table(add(
                Users::Table.into_iden(),
                string(Users::ProfilePhoto).default("contacts").to_owned(),
            ))
            .await?;
        manager
            .alter_table(add(Chats::Table.into_iden(), string_null(Chats::Photo)))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let drop = |table: DynIden, column: DynIden| {
            Table::alter().table(table).drop_column(column).to_owned()
        };
        manager
            .alter_table(drop(Chats::Table.into_iden(), Chats::Photo.into_iden()))
            .await?;
        manager
            .alter_table(drop(
                Users::Table.into_iden(),
                Users::ProfilePhoto.into_iden(),
            ))
            .await?;
        manager
            .alter_table(drop(Users::Table.into_iden(), Users::Photo.into_iden()))
            .await
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Photo,
    ProfilePhoto,
}

#[derive(DeriveIden)]
enum Chats {
    Table,
    Photo,
}
