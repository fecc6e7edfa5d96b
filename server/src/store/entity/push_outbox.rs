use sea_orm::entity::prelude::*;

/// A push owed: one message to one device. Written in the transaction that
/// stores the message, deleted once the push service took it (or gave up).
/// `due_ms` is when anyone may take it: a node that takes it moves it a
/// lease ahead, so no other node sends it meanwhile.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "push_outbox")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub subscription_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub message_id: Uuid,
    pub due_ms: i64,
    pub attempts: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
