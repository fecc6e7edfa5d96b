//! Storage: SeaORM entities, migrations, and the queries the server needs. The
//! only code that writes SQL and the only place that knows about transactions.

mod admin;
mod attachments;
mod changes;
mod chats;
mod entity;
mod groups;
mod invites;
mod messages;
mod migration;
mod photos;
mod privacy;
mod push;
mod receipts;
mod scrub;
mod search;
mod sessions;
mod statements;
mod throttle;
mod transfer;
mod users;
mod writer;

pub use admin::{StoredInvitation, usable as invitation_usable};
pub use attachments::{NewAttachment, StoredAttachment};
pub use changes::{Change, ChangeError, Changed};
pub use chats::{ChatCursor, ChatPrefs, ChatRecord, Member, MemberIds, Membership};
pub use groups::{GroupChange, GroupChanged, GroupError};
pub use invites::{StoredGroupInvite, invite_usable};
pub use messages::{Page, StoredMessage, Unread};
pub use photos::PhotoOf;
pub use privacy::{Blocks, PrefsChange, PrefsError};
pub use push::{MAX_DEVICES_PER_USER, NewSubscription, OwedPush, PushKey};
pub use receipts::Watermarks;
pub use search::{Found, SearchCursor};
pub use sessions::{LiveSession, NewSession};
pub use statements::counting;
pub use throttle::{Attempts, Rule};
pub use transfer::{Rows, Transfer, TransferError};
pub use users::{NewUser, StoredUser};
pub use writer::{AppendMessage, Appended, Arrival, now_ms};

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, SqlErr, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;
use std::{sync::Arc, time::Duration};

/// Why a storage operation failed, in the terms callers act on.
#[derive(Clone, Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint refused the row (e.g. a username already taken).
    #[error("already exists")]
    Conflict,
    /// The database could not be reached or did not answer in time.
    #[error("database unavailable: {0}")]
    Unavailable(DbErr),
    #[error("database error: {0}")]
    Database(DbErr),
    /// An attachment was not the sender's to send (not theirs, another
    /// chat's, or sent already).
    #[error("no such attachment to send")]
    NotYours,
    /// A message's client id is one the sender gave a message of another
    /// chat: a resend is the same chat, sender and client id.
    #[error("that client id belongs to a message of another chat")]
    ClientIdElsewhere,
}

impl From<DbErr> for StoreError {
    fn from(error: DbErr) -> Self {
        if matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) {
            return Self::Conflict;
        }
        if is_unreachable(&error) {
            Self::Unavailable(error)
        } else {
            Self::Database(error)
        }
    }
}

/// The database did not answer (down, restarting, pool exhausted), as opposed
/// to refusing a statement.
fn is_unreachable(error: &DbErr) -> bool {
    use sea_orm::{RuntimeErr, sqlx::Error as Sqlx};
    match error {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(sqlx)) | DbErr::Query(RuntimeErr::SqlxError(sqlx)) => {
            matches!(
                sqlx.as_ref(),
                Sqlx::Io(_)
                    | Sqlx::PoolTimedOut
                    | Sqlx::PoolClosed
                    | Sqlx::WorkerCrashed
                    | Sqlx::Protocol(_)
            )
        }
        _ => false,
    }
}

/// Brings the schema up to date. On PostgreSQL an advisory lock makes nodes
/// starting together take turns (SQLite has one writer anyway).
async fn migrate(db: &DatabaseConnection) -> Result<(), StoreError> {
    const MIGRATION_LOCK: i64 = 0x7061_726c_6579; // "parley"
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(migration::Migrator::up(db, None).await?);
    }
    // The lock belongs to one connection: the transaction holds it while the
    // migrations run on others.
    let lock = db.begin().await?;
    lock.execute_unprepared(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
        .await?;
    let migrated = migration::Migrator::up(db, None).await;
    lock.execute_unprepared(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))
        .await?;
    lock.commit().await?;
    Ok(migrated?)
}

/// How every SQLite connection is set up, the pools' and the message
/// writer's alike.
/// - WAL lets readers proceed while one writer commits.
/// - `secure_delete`: a deleted message's text is zeroed where it lay, not
///   just unlinked (see `scrub`).
/// - `temp_store`: statement journals and scratch tables stay in memory. On
///   disk they were a third of the writer's `pwrite` calls under load, each
///   to a file created and unlinked for one batch.
const SQLITE_PRAGMAS: [(&str, &str); 5] = [
    ("journal_mode", "WAL"),
    ("synchronous", "NORMAL"),
    ("foreign_keys", "ON"),
    ("secure_delete", "on"),
    ("temp_store", "memory"),
];

/// Plans that do not hang on bound values: SQLite's query planner stability
/// guarantee, for each connection as it opens. Without it a statement with
/// `LIMIT ?` (every `.one()`, every page) is parsed and planned again each
/// time it runs, its cached preparation thrown away: SQLite re-plans when a
/// value it looked at while planning is bound again, and the limit is such
/// a value. That was a tenth of the CPU of a chat list. (Nothing of ours
/// gains from value-dependent plans: no statistics are gathered, and no
/// `LIKE` pattern starts with anything but `%`.)
fn steady_plans(
    connection: &mut sea_orm::sqlx::SqliteConnection,
) -> futures::future::BoxFuture<'_, Result<(), sea_orm::sqlx::Error>> {
    use rusqlite::ffi;
    Box::pin(async move {
        let mut handle = connection.lock_handle().await?;
        let db = handle.as_raw_handle();
        #[allow(unsafe_code)]
        // SAFETY: the handle is locked, so no other thread calls into this
        // connection meanwhile; this option takes an int and an int pointer
        // that may be null (sqlite3.h, SQLITE_DBCONFIG_ENABLE_QPSG).
        let code = unsafe {
            ffi::sqlite3_db_config(
                db.as_ptr(),
                ffi::SQLITE_DBCONFIG_ENABLE_QPSG,
                1 as std::ffi::c_int,
                std::ptr::null_mut::<std::ffi::c_int>(),
            )
        };
        if code == ffi::SQLITE_OK {
            Ok(())
        } else {
            Err(sea_orm::sqlx::Error::Configuration(
                format!("cannot keep SQLite's plans steady (code {code})").into(),
            ))
        }
    })
}

/// The read pool's connections to a SQLite file: two per core, so a request
/// never waits for a reader while a core is free (4 at least, 16 at most).
fn sqlite_readers() -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    u32::try_from(cores * 2).unwrap_or(16).clamp(4, 16)
}

/// How long a SQLite connection waits for another one's write to finish
/// before giving up as `unavailable`.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Turns at a SQLite file's one write lock, in order of arrival. The message
/// writer's thread and the pool's writer connection both write there; left
/// to SQLite's busy handler, the one that finds the lock taken sleeps (1, 2,
/// 5, 10 ms and on) and polls, so a steady stream of batches kept an edit
/// waiting up to 86–342 ms under the `direct` load (`bench/edits-under-load.sh`).
/// A fair queue serves each in turn instead: 19–22 ms at worst. PostgreSQL
/// locks rows, not the database: no turns there.
#[derive(Clone, Debug)]
struct WriteTurns(Option<Arc<tokio::sync::Mutex<()>>>);

/// A writer's turn, held until dropped (none on PostgreSQL).
type Turn = Option<tokio::sync::OwnedMutexGuard<()>>;

impl WriteTurns {
    fn new(needed: bool) -> Self {
        Self(needed.then(Arc::default))
    }

    async fn take(&self) -> Turn {
        match &self.0 {
            Some(turns) => Some(turns.clone().lock_owned().await),
            None => None,
        }
    }
}

/// The pool's writer connection during this caller's turn.
struct Writing<'a> {
    db: &'a DatabaseConnection,
    _turn: Turn,
}

impl std::ops::Deref for Writing<'_> {
    type Target = DatabaseConnection;

    fn deref(&self) -> &DatabaseConnection {
        self.db
    }
}

/// One connection pool's state, for the metrics.
pub struct PoolStats {
    pub name: &'static str,
    pub size: u32,
    pub idle: usize,
}

/// A handle on the database; cheap to clone (it wraps pools).
#[derive(Clone, Debug)]
pub struct Store {
    /// Reads, and on PostgreSQL writes too.
    db: DatabaseConnection,
    /// Where every other write goes (see `Store::writing`). On SQLite this is
    /// a pool of one connection: SQLite takes one writer at a time anyway,
    /// and queueing for the pool is fair and immediate where competing
    /// connections would poll the busy handler (sleeps of up to 100 ms). On
    /// PostgreSQL it is `db` itself.
    writer: DatabaseConnection,
    /// The group-commit queue every new message goes through (see `writer`).
    /// On a SQLite file its writer has a connection and a thread of its own.
    appends: tokio::sync::mpsc::Sender<writer::Queued>,
    /// Who is in each chat, as read once (see `Store::member_ids`).
    members: chats::MemberCache,
    /// How many messages each group commit took.
    batch_sizes: prometheus::Histogram,
    /// Whose turn it is to write to a SQLite file.
    turns: WriteTurns,
    /// Wipes deleted text from the SQLite log (see `scrub`).
    scrub: scrub::Scrubber,
}

impl Store {
    /// Connects (creating a SQLite file if the URL says `mode=rwc`) and brings the
    /// schema up to date. A request waits at most 2 s for a connection.
    pub async fn connect(database_url: &str) -> Result<Self, StoreError> {
        Self::connect_with(database_url, Duration::from_secs(2)).await
    }

    /// [`Self::connect`], with requests waiting up to `wait` for a connection
    /// before they are `unavailable`: under a burst (a restart's reconnects)
    /// they queue for their turn instead of failing; a database that is down
    /// answers `unavailable` after that long.
    pub async fn connect_with(database_url: &str, wait: Duration) -> Result<Self, StoreError> {
        let in_memory = database_url.contains(":memory:") || database_url.contains("mode=memory");
        // (An in-memory database exists once per connection: it keeps one
        // pool of one connection, and its messages go through it.)
        let sqlite_file = database_url.starts_with("sqlite:") && !in_memory;
        let mut read_options = Self::options(database_url, wait);
        if sqlite_file {
            read_options
                // SeaORM gives a SQLite pool one connection unless told:
                // then every read of every request waits its turn at it
                // (WAL lets readers run side by side).
                .max_connections(sqlite_readers())
                // A file does not go away under a connection: no ping
                // before every statement (on SQLite each is a trip to the
                // connection's thread and back, as the statement is).
                // PostgreSQL keeps it: a connection from before a database
                // restart is found dead there, not in the middle of a request.
                .test_before_acquire(false);
        }
        let mut db = Database::connect(read_options).await?;
        db.set_metric_callback(|_| statements::counted());
        let writer = if sqlite_file {
            let mut options = Self::options(database_url, wait);
            options
                .max_connections(1)
                .min_connections(1)
                // No ping before every write: one round trip less per write
                // (a failed write says as much as a failed ping).
                .test_before_acquire(false);
            let mut writer = Database::connect(options).await?;
            writer.set_metric_callback(|_| statements::counted());
            writer
        } else {
            db.clone()
        };
        migrate(&writer).await?;
        let batch_sizes = writer::batch_sizes();
        let turns = WriteTurns::new(sqlite_file);
        let appends = match &turns.0 {
            Some(turn) => {
                let pool = writer.get_sqlite_connection_pool();
                let file = pool.connect_options().get_filename().to_owned();
                writer::on_own_thread(&file, turn.clone(), batch_sizes.clone())?
            }
            None => writer::on_pool(writer.clone(), batch_sizes.clone()),
        };
        Ok(Self {
            scrub: scrub::Scrubber::start(&db, in_memory),
            db,
            appends,
            writer,
            members: chats::MemberCache::default(),
            batch_sizes,
            turns,
        })
    }

    /// The pool's writer, once it is this caller's turn (see [`WriteTurns`]).
    async fn writing(&self) -> Writing<'_> {
        Writing {
            db: &self.writer,
            _turn: self.turns.take().await,
        }
    }

    /// Starts a write transaction, and holds the turn until it ends. On
    /// SQLite it also takes the write lock at once (`BEGIN IMMEDIATE`): a
    /// transaction that read first and then wrote would fail, not wait, if
    /// another connection committed in between.
    async fn begin_write(&self) -> Result<(DatabaseTransaction, Turn), StoreError> {
        let turn = self.turns.take().await;
        let immediate = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        };
        Ok((self.writer.begin_with_options(immediate).await?, turn))
    }

    fn options(database_url: &str, wait: Duration) -> ConnectOptions {
        let mut options = ConnectOptions::new(database_url);
        options
            // Bounded: a clear `unavailable` beats a request hung for ever.
            .acquire_timeout(wait)
            .connect_timeout(Duration::from_secs(2))
            .sqlx_logging(false)
            // No reaping of idle or old connections to a local file: nothing
            // to gain, and sqlx 0.9's reaper can read a wrapped idle count
            // and spin for ever (sqlx#3645, fix #4289 unreleased), which
            // hung a test server here.
            .map_sqlx_sqlite_pool_opts(|pool| {
                pool.idle_timeout(None)
                    .max_lifetime(None)
                    .after_connect(|connection, _| steady_plans(connection))
            })
            // The busy timeout makes concurrent writers wait for each other
            // instead of failing.
            .map_sqlx_sqlite_opts(|sqlite| {
                SQLITE_PRAGMAS.iter().fold(
                    sqlite.busy_timeout(SQLITE_BUSY_TIMEOUT),
                    |sqlite, (name, value)| sqlite.pragma(*name, *value),
                )
            });
        options
    }

    /// The group-commit batch sizes, for the metrics to register.
    pub fn batch_sizes(&self) -> prometheus::Histogram {
        self.batch_sizes.clone()
    }

    /// How many reads can run at once: the read pool's most connections.
    pub fn read_connections(&self) -> usize {
        let most = match self.db.get_database_backend() {
            DbBackend::Sqlite => self
                .db
                .get_sqlite_connection_pool()
                .options()
                .get_max_connections(),
            DbBackend::Postgres => self
                .db
                .get_postgres_connection_pool()
                .options()
                .get_max_connections(),
            _ => 1,
        };
        usize::try_from(most).unwrap_or(1)
    }

    /// Each pool's size and idle connections, for the metrics.
    pub fn pool_stats(&self) -> Vec<PoolStats> {
        let stats = |name, db: &DatabaseConnection| match db.get_database_backend() {
            DbBackend::Sqlite => {
                let pool = db.get_sqlite_connection_pool();
                Some(PoolStats {
                    name,
                    size: pool.size(),
                    idle: pool.num_idle(),
                })
            }
            DbBackend::Postgres => {
                let pool = db.get_postgres_connection_pool();
                Some(PoolStats {
                    name,
                    size: pool.size(),
                    idle: pool.num_idle(),
                })
            }
            _ => None,
        };
        let mut pools: Vec<PoolStats> = stats("read", &self.db).into_iter().collect();
        // On PostgreSQL the writer is the same pool.
        if self.db.get_database_backend() == DbBackend::Sqlite {
            pools.extend(stats("write", &self.writer));
        }
        pools
    }

    /// A trivial query: is the database answering?
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db.execute_unprepared("SELECT 1").await?;
        Ok(())
    }
}
