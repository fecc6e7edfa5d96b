//! Full-text search and mentions. Messages gain the members they mention
//! (a JSON list of ids). The words are indexed where they are written: on
//! SQLite an FTS5 index over `messages.body` (external content) kept in step
//! by triggers, so inside the very transaction that writes the message; on
//! PostgreSQL a generated `tsvector` column with a GIN index, folded for case
//! and (where the `unaccent` extension can be had) accents.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// SQLite: the index, its triggers, and what is already there. `secure-delete`
/// makes a deleted message's words leave the index's pages at once (the
/// messages table itself runs with `secure_delete` on).
const SQLITE_UP: &[&str] = &[
    "CREATE VIRTUAL TABLE messages_fts USING fts5(body, content='messages', \
     content_rowid='rowid', tokenize='unicode61 remove_diacritics 2')",
    "INSERT INTO messages_fts(messages_fts, rank) VALUES ('secure-delete', 1)",
    "CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN \
     INSERT INTO messages_fts(rowid, body) VALUES (new.rowid, new.body); END",
    "CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN \
     INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.rowid, old.body); END",
    "CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN \
     INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.rowid, old.body); \
     INSERT INTO messages_fts(rowid, body) VALUES (new.rowid, new.body); END",
    "INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')",
];

const SQLITE_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS messages_fts_insert",
    "DROP TRIGGER IF EXISTS messages_fts_delete",
    "DROP TRIGGER IF EXISTS messages_fts_update",
    "DROP TABLE IF EXISTS messages_fts",
];

/// PostgreSQL: `parley_fold` is lower case, and without accents where the
/// `unaccent` extension exists or may be created (it needs the right to).
const POSTGRES_UP: &[&str] = &[
    "DO $$ BEGIN CREATE EXTENSION IF NOT EXISTS unaccent; \
     EXCEPTION WHEN OTHERS THEN NULL; END $$",
    "DO $$ BEGIN \
       IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'unaccent') THEN \
         EXECUTE 'CREATE OR REPLACE FUNCTION parley_fold(t text) RETURNS text \
           LANGUAGE sql IMMUTABLE PARALLEL SAFE \
           AS $f$ SELECT lower(unaccent(''unaccent''::regdictionary, t)) $f$'; \
       ELSE \
         EXECUTE 'CREATE OR REPLACE FUNCTION parley_fold(t text) RETURNS text \
           LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$ SELECT lower(t) $f$'; \
       END IF; \
     END $$",
    "ALTER TABLE messages ADD COLUMN search tsvector \
     GENERATED ALWAYS AS (to_tsvector('simple', parley_fold(body))) STORED",
    "CREATE INDEX idx_messages_search ON messages USING GIN (search)",
];

const POSTGRES_DOWN: &[&str] = &[
    "DROP INDEX IF EXISTS idx_messages_search",
    "ALTER TABLE messages DROP COLUMN IF EXISTS search",
    "DROP FUNCTION IF EXISTS parley_fold(text)",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Messages::Table)
                    .add_column(text_null(Messages::Mentions))
                    .to_owned(),
            )
            .await?;
        let statements = match manager.get_database_backend() {
            sea_orm::DbBackend::Postgres => POSTGRES_UP,
            _ => SQLITE_UP,
        };
        let db = manager.get_connection();
        for statement in statements {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let statements = match manager.get_database_backend() {
            sea_orm::DbBackend::Postgres => POSTGRES_DOWN,
            _ => SQLITE_DOWN,
        };
        let db = manager.get_connection();
        for statement in statements {
            db.execute_unprepared(statement).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Messages::Table)
                    .drop_column(Messages::Mentions)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    Mentions,
}
