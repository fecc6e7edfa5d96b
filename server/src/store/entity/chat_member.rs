use sea_orm::entity::prelude::*;

/// A member of a chat with their two receipt watermarks.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "chat_members")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub chat_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    pub delivered_seq: i64,
    pub seen_seq: i64,
    pub joined_at: DateTimeUtc,
    /// `admin` or `member`.
    pub role: String,
    /// The first seq this member may read: what was said before they were
    /// added is not theirs (0 for the founding members).
    pub visible_from_seq: i64,
    /// The member's own preferences for the chat.
    pub muted: bool,
    pub pinned_at: Option<DateTimeUtc>,
    /// Archived then; a message after it brings the chat back (unless muted).
    pub archived_at: Option<DateTimeUtc>,
    pub marked_unread: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::chat::Entity",
        from = "Column::ChatId",
        to = "super::chat::Column::Id",
        on_delete = "Cascade"
    )]
    Chat,
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::UserId",
        to = "super::user::Column::Id",
        on_delete = "Cascade"
    )]
    User,
}

impl Related<super::chat::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Chat.def()
    }
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
