//! Attempts counted per key (an account, an address), in the database so every
//! node sees the same counts. The rule itself is pure: [`Rule::next`].

use super::{Store, StoreError, entity::auth_throttle};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    entity::prelude::*,
    sea_query::{ExprTrait, OnConflict},
};
use std::time::Duration;

/// How many attempts a key gets in a window before it is refused, and for how
/// long: `first_block`, doubling with every attempt beyond, up to `max_block`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    pub free_attempts: u32,
    pub window: Duration,
    pub first_block: Duration,
    pub max_block: Duration,
}

/// A key's count as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attempts {
    pub attempts: u32,
    pub window_started_at: DateTime<Utc>,
    pub blocked_until: Option<DateTime<Utc>>,
}

impl Attempts {
    /// How much longer the key is refused at `now`, if it is.
    pub fn blocked_for(&self, now: DateTime<Utc>) -> Option<Duration> {
        let until = self.blocked_until?;
        (until > now).then(|| (until - now).to_std().unwrap_or_default())
    }
}

impl Rule {
    /// The count after one more attempt at `now`. A window that has run out
    /// (and holds no block) starts again from one.
    pub fn next(&self, previous: Option<Attempts>, now: DateTime<Utc>) -> Attempts {
        let window = chrono::Duration::from_std(self.window).unwrap_or(chrono::Duration::MAX);
        let current = previous.filter(|before| {
            before.window_started_at + window > now || before.blocked_for(now).is_some()
        });
        let (attempts, window_started_at) = match current {
            Some(before) => (before.attempts.saturating_add(1), before.window_started_at),
            None => (1, now),
        };
        let beyond = attempts.saturating_sub(self.free_attempts);
        let blocked_until = (beyond > 0).then(|| {
            let doubled = self
                .first_block
                .saturating_mul(1u32.checked_shl(beyond - 1).unwrap_or(u32::MAX));
            let block = doubled.min(self.max_block);
            now + chrono::Duration::from_std(block).unwrap_or(chrono::Duration::MAX)
        });
        Attempts {
            attempts,
            window_started_at,
            blocked_until,
        }
    }
}

impl From<auth_throttle::Model> for Attempts {
    fn from(row: auth_throttle::Model) -> Self {
        Self {
            attempts: u32::try_from(row.attempts).unwrap_or(0),
            window_started_at: row.window_started_at,
            blocked_until: row.blocked_until,
        }
    }
}

impl Store {
    /// The longest any of `keys` is still refused at `now`.
    pub async fn blocked_for(
        &self,
        keys: &[&str],
        now: DateTime<Utc>,
    ) -> Result<Option<Duration>, StoreError> {
        let rows = auth_throttle::Entity::find()
            .filter(auth_throttle::Column::Key.is_in(keys.iter().copied()))
            .filter(auth_throttle::Column::BlockedUntil.gt(now))
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|row| Attempts::from(row).blocked_for(now))
            .max())
    }

    /// Counts one attempt against `key` under `rule`.
    pub async fn count_attempt(
        &self,
        key: &str,
        rule: &Rule,
        now: DateTime<Utc>,
    ) -> Result<Attempts, StoreError> {
        let (txn, _turn) = self.begin_write().await?;
        let previous = auth_throttle::Entity::find_by_id(key.to_owned())
            .one(&txn)
            .await?
            .map(Attempts::from);
        let next = rule.next(previous, now);
        auth_throttle::Entity::insert(auth_throttle::ActiveModel {
            key: Set(key.to_owned()),
            attempts: Set(i32::try_from(next.attempts).unwrap_or(i32::MAX)),
            window_started_at: Set(next.window_started_at),
            blocked_until: Set(next.blocked_until),
        })
        .on_conflict(
            OnConflict::column(auth_throttle::Column::Key)
                .update_columns([
                    auth_throttle::Column::Attempts,
                    auth_throttle::Column::WindowStartedAt,
                    auth_throttle::Column::BlockedUntil,
                ])
                .to_owned(),
        )
        .exec(&txn)
        .await?;
        txn.commit().await?;
        Ok(next)
    }

    /// Forgets `key`'s attempts (a successful sign-in clears its account's).
    pub async fn forget_attempts(&self, key: &str) -> Result<(), StoreError> {
        auth_throttle::Entity::delete_by_id(key.to_owned())
            .exec(&*self.writing().await)
            .await?;
        Ok(())
    }

    /// Drops counts whose window and block both ended before `cutoff`.
    pub async fn sweep_attempts(&self, cutoff: DateTime<Utc>) -> Result<u64, StoreError> {
        let swept = auth_throttle::Entity::delete_many()
            .filter(auth_throttle::Column::WindowStartedAt.lt(cutoff))
            .filter(
                auth_throttle::Column::BlockedUntil
                    .is_null()
                    .or(auth_throttle::Column::BlockedUntil.lt(cutoff)),
            )
            .exec(&*self.writing().await)
            .await?;
        Ok(swept.rows_affected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: Rule = Rule {
        free_attempts: 3,
        window: Duration::from_secs(600),
        first_block: Duration::from_secs(2),
        max_block: Duration::from_secs(30),
    };

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::seconds(seconds)
    }

    #[test]
    fn free_attempts_pass_then_blocks_double_up_to_the_cap() {
        let mut count = None;
        let mut blocks = Vec::new();
        for _ in 0..8 {
            let next = RULE.next(count, at(0));
            blocks.push(next.blocked_for(at(0)).map(|block| block.as_secs()));
            count = Some(next);
        }
        assert_eq!(
            blocks,
            [
                None,
                None,
                None,
                Some(2),
                Some(4),
                Some(8),
                Some(16),
                Some(30)
            ]
        );
    }

    #[test]
    fn a_spent_window_starts_again_but_a_block_holds_it() {
        let mut count = None;
        for _ in 0..3 {
            count = Some(RULE.next(count, at(0)));
        }
        // After the window, the count starts over.
        assert_eq!(RULE.next(count, at(601)).attempts, 1);
        // A key still blocked past its window keeps counting.
        let blocked = Attempts {
            attempts: 9,
            window_started_at: at(0),
            blocked_until: Some(at(700)),
        };
        assert_eq!(RULE.next(Some(blocked), at(650)).attempts, 10);
        assert_eq!(blocked.blocked_for(at(650)), Some(Duration::from_secs(50)));
        assert_eq!(blocked.blocked_for(at(700)), None);
    }
}
