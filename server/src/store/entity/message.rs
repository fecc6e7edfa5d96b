use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "messages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub chat_id: Uuid,
    /// 1, 2, 3… within the chat; unique with `chat_id`.
    pub seq: i64,
    pub sender_id: Uuid,
    /// The sender's id for the message; unique with `sender_id`.
    pub client_id: String,
    pub body: String,
    pub created_at: DateTimeUtc,
    /// The chat's version at this message's latest change.
    pub version: i64,
    /// When it last changed after its creation (edit, delete, reaction);
    /// only such messages are indexed by `(chat_id, version)`.
    pub changed_at: Option<DateTimeUtc>,
    pub edited_at: Option<DateTimeUtc>,
    /// Set when deleted for everyone (the body is then empty).
    pub deleted_at: Option<DateTimeUtc>,
    /// The message of the same chat this one answers.
    pub reply_to_id: Option<Uuid>,
    /// A system message's event as JSON (`app::model::SystemEvent`); `None`
    /// for what people wrote.
    pub system: Option<String>,
    /// The members the body mentions, as a JSON list of ids (`None`: none).
    pub mentions: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
