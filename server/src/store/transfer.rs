//! `parley migrate`: every row of a SQLite instance into an empty PostgreSQL
//! database, ids, seqs, versions and watermarks as they are.
//!
//! All or nothing: the rows are read from one snapshot of the SQLite file (a
//! read transaction) and written in one PostgreSQL transaction, so a failure
//! leaves the target as empty as it was, ready for another try.
//!
//! [`each_table`] is the one list of tables, in an order that satisfies the
//! foreign keys; the same list counts rows, checks the schema and copies.
//! The source must hold exactly these tables with exactly the entities'
//! columns, so a table or column added later without being added here is
//! refused rather than left behind. PostgreSQL's search index is a generated
//! column: it is built as the messages arrive.

use super::{entity::*, migrate};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction,
    DbBackend, DbErr, EntityTrait, IntoActiveModel, Iterable, PaginatorTrait, QueryOrder,
    Statement, TransactionTrait,
};
use std::collections::BTreeSet;

/// Rows written to PostgreSQL per statement (its bind limit is 65 535
/// parameters; a message has 14 columns).
const BATCH: usize = 1000;

/// The two databases of a migration, checked and brought up to date.
pub struct Transfer {
    from: DatabaseConnection,
    to: DatabaseConnection,
}

#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error("the source must be a SQLite instance (sqlite://…)")]
    SourceNotSqlite,
    #[error("the target must be a PostgreSQL database (postgres://…)")]
    TargetNotPostgres,
    #[error(
        "the target already holds {rows} rows (in {table} and maybe more): migrate into an empty database"
    )]
    TargetNotEmpty { table: &'static str, rows: u64 },
    #[error("the source has tables this version of parley does not know: {0:?}")]
    UnknownTables(Vec<String>),
    #[error("the source's {table} has columns {found:?}, this version of parley copies {known:?}")]
    Columns {
        table: &'static str,
        found: BTreeSet<String>,
        known: BTreeSet<String>,
    },
    #[error(transparent)]
    Database(#[from] DbErr),
    #[error(transparent)]
    Store(#[from] super::StoreError),
}

/// One table: its name and its rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rows {
    pub table: &'static str,
    pub rows: u64,
}

impl Transfer {
    /// Connects to both, brings both schemas up to date, and checks that the
    /// source holds nothing this copy would leave behind and the target nothing at all.
    pub async fn open(from_url: &str, to_url: &str) -> Result<Self, TransferError> {
        let from = Database::connect(from_url).await?;
        if from.get_database_backend() != DbBackend::Sqlite {
            return Err(TransferError::SourceNotSqlite);
        }
        let to = Database::connect(to_url).await?;
        if to.get_database_backend() != DbBackend::Postgres {
            return Err(TransferError::TargetNotPostgres);
        }
        migrate(&from).await?;
        migrate(&to).await?;
        let transfer = Self { from, to };
        transfer.check_source().await?;
        for counted in Self::count(&transfer.to).await? {
            if counted.rows > 0 {
                return Err(TransferError::TargetNotEmpty {
                    table: counted.table,
                    rows: counted.rows,
                });
            }
        }
        Ok(transfer)
    }

    /// The source's tables and their rows, in the order they are copied.
    pub async fn tables(&self) -> Result<Vec<Rows>, TransferError> {
        Self::count(&self.from).await
    }

    /// Where the source's uploads are (their files and thumbnails), and its
    /// profile and group photos.
    pub async fn upload_keys(&self) -> Result<Vec<String>, TransferError> {
        let mut keys: Vec<String> = attachment::Entity::find()
            .order_by_asc(attachment::Column::CreatedAt)
            .all(&self.from)
            .await?
            .into_iter()
            .flat_map(|upload| std::iter::once(upload.object_key).chain(upload.thumbnail_key))
            .collect();
        keys.extend(super::photos::photo_keys(&self.from).await?);
        Ok(keys)
    }

    /// Copies every row, telling `progress` each table's rows so far.
    pub async fn run(
        &self,
        progress: &mut (dyn FnMut(&'static str, u64) + Send),
    ) -> Result<Vec<Rows>, TransferError> {
        let snapshot = self.from.begin().await?;
        let target = self.to.begin().await?;
        let mut copier = Copier {
            from: &snapshot,
            to: &target,
            progress,
            copied: Vec::new(),
        };
        each_table(&mut copier).await?;
        let copied = copier.copied;
        // The audit trail's ids come from a sequence: the next continues it.
        target
            .execute_unprepared(
                "SELECT setval(pg_get_serial_sequence('audit_log', 'id'), \
                 COALESCE((SELECT MAX(id) FROM audit_log), 0) + 1, false)",
            )
            .await?;
        target.commit().await?;
        snapshot.rollback().await?;
        Ok(copied)
    }

    async fn count(db: &DatabaseConnection) -> Result<Vec<Rows>, TransferError> {
        let mut counter = Counter {
            db,
            counted: Vec::new(),
        };
        each_table(&mut counter).await?;
        Ok(counter.counted)
    }

    /// The source holds exactly the tables and columns copied (besides
    /// SQLite's own, the migrations' and the FTS5 index, rebuilt on the other side).
    async fn check_source(&self) -> Result<(), TransferError> {
        let names = |sql: String| async {
            let rows = self
                .from
                .query_all_raw(Statement::from_string(DbBackend::Sqlite, sql))
                .await?;
            rows.iter()
                .map(|row| row.try_get_by_index::<String>(0))
                .collect::<Result<BTreeSet<_>, _>>()
        };
        let mut checker = SchemaCheck { known: Vec::new() };
        each_table(&mut checker).await?;
        let tables = names("SELECT name FROM sqlite_master WHERE type = 'table'".into()).await?;
        let unknown: Vec<String> = tables
            .into_iter()
            .filter(|table| {
                !table.starts_with("sqlite_")
                    && !table.starts_with("messages_fts")
                    && table != "seaql_migrations"
                    && !checker.known.iter().any(|(known, _)| known == table)
            })
            .collect();
        if !unknown.is_empty() {
            return Err(TransferError::UnknownTables(unknown));
        }
        for (table, known) in checker.known {
            let found = names(format!("SELECT name FROM pragma_table_info('{table}')")).await?;
            if found != known {
                return Err(TransferError::Columns {
                    table,
                    found,
                    known,
                });
            }
        }
        Ok(())
    }
}

/// What is done with each table, in [`each_table`]'s order.
trait Tables {
    async fn table<E>(&mut self, order: Vec<E::Column>) -> Result<(), TransferError>
    where
        E: EntityTrait,
        E::Model: IntoActiveModel<E::ActiveModel> + Send + Sync,
        E::ActiveModel: ActiveModelTrait<Entity = E> + Send;
}

/// Every table, parents before children, each with the order its rows are
/// read in (a reply after what it replies to: by seq within a chat).
async fn each_table(tables: &mut impl Tables) -> Result<(), TransferError> {
    tables
        .table::<user::Entity>(vec![user::Column::CreatedAt, user::Column::Id])
        .await?;
    tables
        .table::<session::Entity>(vec![session::Column::TokenHash])
        .await?;
    tables
        .table::<push_subscription::Entity>(vec![push_subscription::Column::Id])
        .await?;
    tables
        .table::<password_reset::Entity>(vec![password_reset::Column::TokenHash])
        .await?;
    tables
        .table::<block::Entity>(vec![block::Column::BlockerId, block::Column::BlockedId])
        .await?;
    tables
        .table::<invitation::Entity>(vec![invitation::Column::Token])
        .await?;
    tables
        .table::<chat::Entity>(vec![chat::Column::CreatedAt, chat::Column::Id])
        .await?;
    tables
        .table::<chat_member::Entity>(vec![
            chat_member::Column::ChatId,
            chat_member::Column::UserId,
        ])
        .await?;
    tables
        .table::<group_invite::Entity>(vec![group_invite::Column::ChatId])
        .await?;
    tables
        .table::<group_removal::Entity>(vec![
            group_removal::Column::ChatId,
            group_removal::Column::UserId,
        ])
        .await?;
    tables
        .table::<message::Entity>(vec![message::Column::ChatId, message::Column::Seq])
        .await?;
    tables
        .table::<push_outbox::Entity>(vec![
            push_outbox::Column::SubscriptionId,
            push_outbox::Column::MessageId,
        ])
        .await?;
    tables
        .table::<attachment::Entity>(vec![attachment::Column::CreatedAt, attachment::Column::Id])
        .await?;
    tables
        .table::<reaction::Entity>(vec![
            reaction::Column::MessageId,
            reaction::Column::UserId,
            reaction::Column::Emoji,
        ])
        .await?;
    tables
        .table::<auth_throttle::Entity>(vec![auth_throttle::Column::Key])
        .await?;
    tables
        .table::<instance_setting::Entity>(vec![instance_setting::Column::Key])
        .await?;
    tables
        .table::<audit_entry::Entity>(vec![audit_entry::Column::Id])
        .await
}

fn name_of<E: EntityTrait>() -> &'static str {
    E::default().table_name()
}

struct Counter<'a> {
    db: &'a DatabaseConnection,
    counted: Vec<Rows>,
}

impl Tables for Counter<'_> {
    async fn table<E>(&mut self, _order: Vec<E::Column>) -> Result<(), TransferError>
    where
        E: EntityTrait,
        E::Model: IntoActiveModel<E::ActiveModel> + Send + Sync,
        E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
    {
        let rows = E::find().count(self.db).await?;
        self.counted.push(Rows {
            table: name_of::<E>(),
            rows,
        });
        Ok(())
    }
}

struct SchemaCheck {
    known: Vec<(&'static str, BTreeSet<String>)>,
}

impl Tables for SchemaCheck {
    async fn table<E>(&mut self, _order: Vec<E::Column>) -> Result<(), TransferError>
    where
        E: EntityTrait,
        E::Model: IntoActiveModel<E::ActiveModel> + Send + Sync,
        E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
    {
        use sea_orm::IdenStatic;
        let columns = E::Column::iter()
            .map(|column| column.as_str().to_owned())
            .collect();
        self.known.push((name_of::<E>(), columns));
        Ok(())
    }
}

struct Copier<'a> {
    from: &'a DatabaseTransaction,
    to: &'a DatabaseTransaction,
    progress: &'a mut (dyn FnMut(&'static str, u64) + Send),
    copied: Vec<Rows>,
}

impl Tables for Copier<'_> {
    async fn table<E>(&mut self, order: Vec<E::Column>) -> Result<(), TransferError>
    where
        E: EntityTrait,
        E::Model: IntoActiveModel<E::ActiveModel> + Send + Sync,
        E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
    {
        use futures::StreamExt;
        let table = name_of::<E>();
        let query = order
            .into_iter()
            .fold(E::find(), |query, column| query.order_by_asc(column));
        let mut rows = std::pin::pin!(query.stream(self.from).await?);
        let mut batch = Vec::with_capacity(BATCH);
        let mut copied = 0;
        loop {
            let row = rows.next().await.transpose()?;
            let end = row.is_none();
            batch.extend(row.map(IntoActiveModel::into_active_model));
            if batch.len() == BATCH || (end && !batch.is_empty()) {
                copied += batch.len() as u64;
                E::insert_many(std::mem::take(&mut batch))
                    .exec_without_returning(self.to)
                    .await?;
                (self.progress)(table, copied);
            }
            if end {
                break;
            }
        }
        self.copied.push(Rows {
            table,
            rows: copied,
        });
        Ok(())
    }
}
