use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub created_at: DateTimeUtc,
    pub last_seen_at: Option<DateTimeUtc>,
    /// Online as last announced (see `Store::set_presence`).
    pub online: bool,
    /// Privacy settings (see `app::model::Settings`).
    pub read_receipts: bool,
    pub typing_indicators: bool,
    /// `everyone` or `nobody`.
    pub last_seen_visibility: String,
    /// `everyone`, `contacts` or `nobody`.
    pub group_adds: String,
    /// Push notifications show what a message says (see `Settings`).
    pub notification_preview: bool,
    /// Who may see their photo: `everyone`, `contacts` or `nobody`.
    pub profile_photo: String,
    /// Their profile photo's version (a hash of its bytes), if any.
    pub photo: Option<String>,
    /// An instance admin (see `store/admin.rs`).
    pub admin: bool,
    /// Set when an instance admin deactivated the account.
    pub deactivated_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::session::Entity")]
    Session,
}

impl Related<super::session::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Session.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
