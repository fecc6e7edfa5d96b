//! Schema migrations, one file each, applied in order at start-up.

mod m20261125_000001_create_schema;
mod m20261127_000001_auth_throttle;
mod m20261127_000002_message_changes;
mod m20261127_000003_presence;
mod m20261128_000001_groups_and_privacy;
mod m20261128_000002_search_and_mentions;
mod m20261128_000003_attachments;
mod m20261206_000001_group_adds;
mod m20261207_000001_chat_list_index;
mod m20261208_000001_instance_admins;
mod m20261209_000001_web_push;
mod m20261210_000001_group_invites;
mod m20261210_000002_group_description;
mod m20261211_000001_photos;

use sea_orm_migration::prelude::*;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_create_schema::Migration),
            Box::new(m20261127_000001_auth_throttle::Migration),
            Box::new(m20261127_000002_message_changes::Migration),
            Box::new(m20261127_000003_presence::Migration),
            Box::new(m20261128_000001_groups_and_privacy::Migration),
            Box::new(m20261128_000002_search_and_mentions::Migration),
            Box::new(m20261128_000003_attachments::Migration),
            Box::new(m20261206_000001_group_adds::Migration),
            Box::new(m20261207_000001_chat_list_index::Migration),
            Box::new(m20261208_000001_instance_admins::Migration),
            Box::new(m20261209_000001_web_push::Migration),
            Box::new(m20261210_000001_group_invites::Migration),
            Box::new(m20261210_000002_group_description::Migration),
            Box::new(m20261211_000001_photos::Migration),
        ]
    }
}
