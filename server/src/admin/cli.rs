//! `parley admin …`: the operator's commands, against the configured
//! database (`DATABASE_URL`), whether the server runs or not. What they
//! change, every node sees: a deactivated person's sockets end within a
//! couple of seconds (`realtime/accounts.rs`). Each is written to the audit
//! trail as done from the command line.

use super::{Actor, Admin};
use crate::{config::Settings, store::Store};
use anyhow::Context;
use clap::Subcommand;
use std::io::{BufRead, IsTerminal, Write};

#[derive(Clone, Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an account that is an instance admin. The password is asked
    /// for at a terminal, else read from the first line of standard input.
    Create { username: String },
    /// Make someone an instance admin.
    Promote { username: String },
    /// Take instance admin away (never from the last active one).
    Demote { username: String },
    /// List the accounts, newest first.
    Users {
        /// Only those whose username or display name contains this.
        #[arg(long)]
        query: Option<String>,
    },
    /// End someone's sessions and sockets and refuse their sign-ins; what
    /// they wrote stays.
    Deactivate { username: String },
    /// Let a deactivated account sign in again.
    Reactivate { username: String },
    /// Print a one-time link to set a new password (valid 24 hours).
    ResetPassword { username: String },
}

/// Runs one command; what it prints is for the operator.
pub async fn run(settings: &Settings, command: AdminCommand) -> anyhow::Result<()> {
    let store = Store::connect_with(&settings.database_url, settings.db_wait())
        .await
        .context("cannot open the database")?;
    let admin = Admin::new(store, &settings.public_url(None));
    let by = Actor::CommandLine;
    let mut out = std::io::stdout().lock();
    match command {
        AdminCommand::Create { username } => {
            let password = read_password(&username)?;
            let user = admin.create_admin(by, &username, password).await?;
            writeln!(out, "created {} (instance admin)", user.username)?;
        }
        AdminCommand::Promote { username } => {
            let user = admin.user_named(&username).await?;
            admin.set_admin(by, user.user.id, true).await?;
            writeln!(out, "{username} is an instance admin")?;
        }
        AdminCommand::Demote { username } => {
            let user = admin.user_named(&username).await?;
            admin.set_admin(by, user.user.id, false).await?;
            writeln!(out, "{username} is no longer an instance admin")?;
        }
        AdminCommand::Users { query } => list_users(&admin, query.as_deref(), &mut out).await?,
        AdminCommand::Deactivate { username } => {
            let user = admin.user_named(&username).await?;
            admin.deactivate(by, user.user.id).await?;
            writeln!(out, "{username} is deactivated; their sessions have ended")?;
        }
        AdminCommand::Reactivate { username } => {
            let user = admin.user_named(&username).await?;
            admin.reactivate(by, user.user.id).await?;
            writeln!(out, "{username} may sign in again")?;
        }
        AdminCommand::ResetPassword { username } => {
            let user = admin.user_named(&username).await?;
            let link = admin.reset_link(by, user.user.id).await?;
            writeln!(out, "{}", link.url)?;
            writeln!(
                out,
                "(works once, until {})",
                link.expires_at.format("%Y-%m-%d %H:%M UTC")
            )?;
        }
    }
    Ok(())
}

async fn list_users(
    admin: &Admin,
    query: Option<&str>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    writeln!(
        out,
        "{:<32} {:<32} {:<6} {:<11} created",
        "username", "display name", "admin", "state"
    )?;
    let mut before: Option<String> = None;
    loop {
        let page = admin.users(query, before.as_deref()).await?;
        for user in &page.users {
            writeln!(
                out,
                "{:<32} {:<32} {:<6} {:<11} {}",
                user.username,
                user.display_name,
                if user.admin { "yes" } else { "" },
                if user.deactivated {
                    "deactivated"
                } else {
                    "active"
                },
                user.created_at.format("%Y-%m-%d"),
            )?;
        }
        match page.next {
            Some(next) => before = Some(next),
            None => return Ok(()),
        }
    }
}

/// At a terminal, asked twice without echo; otherwise the first line of
/// standard input (for scripts: `echo "$PASSWORD" | parley admin create …`).
fn read_password(username: &str) -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("Password for {username}: "))?;
        let again = rpassword::prompt_password("Again: ")?;
        anyhow::ensure!(first == again, "the passwords differ");
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}
