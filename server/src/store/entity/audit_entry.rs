use sea_orm::entity::prelude::*;

/// One instance admin's action (see `store/admin.rs`). Names, not ids: the
/// trail reads the same after the people in it are gone.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub at: DateTimeUtc,
    /// The admin's username; `None`: the command line.
    pub actor: Option<String>,
    /// `app::protocol::AuditAction`'s wire name.
    pub action: String,
    /// A username, a sign-up mode or an invitation's token.
    pub target: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
