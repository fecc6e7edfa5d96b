//! What the sign-up and Admin pages render into their first HTML
//! (`app::ui::InstanceSource`).

use super::{Admin, AdminError};
use crate::{
    realtime::SessionSockets,
    store::{Store, invitation_usable},
};
use app::{
    model::User,
    ui::{AdminAsk, AdminView, InstanceSource, PageData, SignupState},
};
use chrono::Utc;
use std::sync::Arc;

pub struct InstancePages {
    pub admin: Admin,
    pub store: Store,
    pub sockets: Arc<dyn SessionSockets>,
}

impl InstanceSource for InstancePages {
    fn signup(&self, invitation: Option<String>) -> PageData<'_, SignupState> {
        Box::pin(async move {
            let mode = self.store.signup_mode().await.map_err(|e| e.to_string())?;
            let invitation_usable = match invitation {
                Some(token) => self
                    .store
                    .invitation(&token)
                    .await
                    .map_err(|e| e.to_string())?
                    .is_some_and(|found| invitation_usable(&found, Utc::now())),
                None => false,
            };
            Ok(SignupState {
                mode,
                invitation_usable,
            })
        })
    }

    fn admin_view(&self, viewer: User, asked: AdminAsk) -> PageData<'_, Option<AdminView>> {
        Box::pin(async move {
            if !viewer.admin {
                return Ok(None);
            }
            self.gather(asked)
                .await
                .map(Some)
                .map_err(|e| e.to_string())
        })
    }
}

impl InstancePages {
    async fn gather(&self, asked: AdminAsk) -> Result<AdminView, AdminError> {
        let sockets = self.sockets.connected().await;
        Ok(AdminView {
            figures: self.admin.figures(sockets).await?,
            users: self
                .admin
                .users(asked.query.as_deref(), asked.users_before.as_deref())
                .await?,
            signup: self.admin.signup_mode().await?,
            invitations: self.admin.invitations().await?,
            audit: self
                .admin
                .audit_trail(asked.audit_before.as_deref())
                .await?,
            public_url: self.admin.public_url().to_owned(),
        })
    }
}
