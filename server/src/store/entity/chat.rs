use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "chats")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// "direct" or "group".
    pub kind: String,
    pub name: Option<String>,
    /// A group's description (none: not set).
    pub description: Option<String>,
    /// A group's photo's version (a hash of its bytes), if it has one.
    pub photo: Option<String>,
    /// "<lower user id>:<higher user id>" for direct chats, unique.
    #[sea_orm(unique)]
    pub direct_key: Option<String>,
    /// The seq of the newest message (0: none yet).
    pub last_seq: i64,
    /// The version of the chat's latest change to any message (see `Message::version`).
    pub last_version: i64,
    pub created_at: DateTimeUtc,
    pub last_activity_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::chat_member::Entity")]
    Member,
}

impl Related<super::chat_member::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Member.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
