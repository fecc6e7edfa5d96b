use sea_orm::entity::prelude::*;

/// A group's invite link: `/invite/<token>` lets someone join the group. One
/// per group at a time; the token is kept as it is (like an instance
/// invitation's): admins hand it out again, and it only lets someone in.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "group_invites")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub chat_id: Uuid,
    #[sea_orm(unique)]
    pub token: String,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    pub expires_at: Option<DateTimeUtc>,
    /// `None`: any number.
    pub max_uses: Option<i32>,
    pub uses: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
