//! `/admin`: the instance admins' page. What the instance holds, its people
//! (search; deactivate or reactivate; make admin or not; a password-reset
//! link), who may sign up, instance invitations and the audit trail.
//!
//! Like the account pages, it is server-rendered with its data in place
//! and every action is a plain form that posts to `/admin/…` and comes back
//! here with `?done=` or `?error=` (post/redirect/get): it works before
//! (and without) the WebAssembly, and a page built in the browser later
//! asks the server for itself (`page_data::from_the_server`). Links that
//! change which part of a list shows load the page anew (`target="_self"`).

use super::auth_pages::form_error_text;
use super::navigation::{Location, encoded};
use super::page_data::{AdminAsk, AdminView};
use super::widgets::local_time;
use crate::model::SignupMode;
use crate::protocol::{AdminUser, AuditEntry, ErrorCode, InstanceFigures, Invitation};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AdminPage() -> impl IntoView {
    let location = Location::current();
    let asked = AdminAsk {
        query: location
            .query("query")
            .filter(|query| !query.trim().is_empty()),
        users_before: location.query("before"),
        audit_before: location.query("auditBefore"),
    };
    let query = asked.query.clone().unwrap_or_default();
    let data = Resource::new(
        || (),
        move |_| {
            let asked = asked.clone();
            async move {
                #[cfg(feature = "ssr")]
                return super::page_data::admin_view(asked).await;
                #[cfg(not(feature = "ssr"))]
                {
                    let _ = asked;
                    Ok::<Option<AdminView>, ServerFnError>(
                        super::page_data::from_the_server().await,
                    )
                }
            }
        },
    );
    let done = location.query("done").and_then(|done| done_text(&done));
    let error = location
        .query("error")
        .map(|code| match ErrorCode::parse(&code) {
            Some(ErrorCode::BadRequest) => {
                "That would leave this Parley without an active admin.".to_owned()
            }
            _ => form_error_text(&code, None),
        });
    let reset = reset_link_asked(location);
    view! {
        <Title text="Admin · Parley"/>
        <section class="auth-card admin-page">
            <h1 class="brand">"Parley"</h1>
            <h2>"Admin"</h2>
            {done.map(|text| view! { <p class="form-notice" role="status" data-testid="admin-done">{text}</p> })}
            {error.map(|text| view! { <p class="form-error" role="alert">{text}</p> })}
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || {
                    let (query, reset) = (query.clone(), reset.clone());
                    Suspend::new(async move {
                        match data.await {
                            Ok(Some(view)) => {
                                let reset = reset.map(|(username, token)| {
                                    let url = format!("{}/reset/{token}", view.public_url);
                                    view! { <ResetLinkShown username url/> }
                                });
                                view! { {reset} <Sections view query/> }.into_any()
                            }
                            Ok(None) => view! {
                                <p class="form-error" role="alert" data-testid="not-admin">
                                    "Only the admins of this Parley can see this page."
                                </p>
                            }
                            .into_any(),
                            Err(_) => view! {
                                <p class="form-error" role="alert">"This page could not be loaded. Try again."</p>
                            }
                            .into_any(),
                        }
                    })
                }}
            </Suspense>
            <p class="switch"><a href="/">"Back to your chats"</a></p>
        </section>
    }
}

/// What an action that came back here did.
fn done_text(done: &str) -> Option<&'static str> {
    Some(match done {
        "deactivated" => "Deactivated: their sessions have ended.",
        "reactivated" => "Reactivated: they may sign in again.",
        "admin" => "Roles changed.",
        "signup" => "Sign-up setting saved.",
        "invited" => "Invitation link created.",
        "revoked" => "Invitation revoked.",
        _ => return None,
    })
}

/// The reset link a `reset-link` post came back with: the token and whose
/// it is, from the address. Only a token's characters pass, and the link
/// starts with this instance's own address: an address someone else wrote
/// shows at most a link to this Parley's reset page.
fn reset_link_asked(location: Location) -> Option<(String, String)> {
    let token = location.query("resetToken")?;
    let username = location.query("resetFor").unwrap_or_default();
    let url_safe = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if token.is_empty() || !token.chars().all(url_safe) || !username.chars().all(url_safe) {
        return None;
    }
    Some((username, token))
}

#[component]
fn ResetLinkShown(username: String, url: String) -> impl IntoView {
    view! {
        <div class="form-notice" role="status">
            <p>"A password-reset link for " <strong>{username}</strong> ", valid for 24 hours, once:"</p>
            <input class="link-field" readonly value=url aria-label="Password-reset link" data-testid="reset-link"/>
        </div>
    }
}

#[component]
fn Sections(view: AdminView, query: String) -> impl IntoView {
    let AdminView {
        figures,
        users,
        signup,
        invitations,
        audit,
        public_url: _,
    } = view;
    let more_people = users.next.map(|before| {
        let to = format!(
            "/admin?query={}&before={}",
            encoded(&query),
            encoded(&before)
        );
        view! { <a href=to target="_self">"Older accounts"</a> }
    });
    let older_audit = audit.next.map(|before| {
        let to = format!("/admin?auditBefore={}#audit", encoded(&before));
        view! { <a href=to target="_self">"Older entries"</a> }
    });
    view! {
        <Figures figures/>
        <section aria-labelledby="people-heading">
            <h3 id="people-heading">"People"</h3>
            <form method="get" action="/admin" role="search" class="admin-search">
                <label>
                    "Search people"
                    <input name="query" type="search" value=query/>
                </label>
                <button type="submit" class="secondary">"Search"</button>
            </form>
            <table class="admin-table">
                <thead>
                    <tr>
                        <th scope="col">"Person"</th>
                        <th scope="col">"Role"</th>
                        <th scope="col">"State"</th>
                        <th scope="col">"Actions"</th>
                    </tr>
                </thead>
                <tbody>
                    {users.users.into_iter().map(|user| view! { <PersonRow user/> }).collect_view()}
                </tbody>
            </table>
            {more_people}
        </section>
        <SignupSection mode=signup/>
        <section aria-labelledby="invitations-heading">
            <h3 id="invitations-heading">"Invitations"</h3>
            <form method="post" action="/admin/invitations" class="auth-form inline-form">
                <label>
                    "Uses " <span class="hint">"(empty: any number)"</span>
                    <input name="maxUses" type="number" min="1" max="100000" inputmode="numeric"/>
                </label>
                <label>
                    "Expires after, in hours " <span class="hint">"(empty: never)"</span>
                    <input name="expiresInHours" type="number" min="1" max="87600" inputmode="numeric"/>
                </label>
                <button type="submit" class="primary">"Create invitation link"</button>
            </form>
            <ul class="admin-list" data-testid="invitations">
                {invitations.invitations.into_iter().map(|invitation| view! { <InvitationRow invitation/> }).collect_view()}
            </ul>
        </section>
        <section aria-labelledby="audit">
            <h3 id="audit">"Audit trail"</h3>
            <ol class="admin-list" data-testid="audit-trail">
                {audit.entries.into_iter().map(|entry| view! { <AuditRow entry/> }).collect_view()}
            </ol>
            {older_audit}
        </section>
    }
}

#[component]
fn Figures(figures: InstanceFigures) -> impl IntoView {
    view! {
        <section aria-labelledby="figures-heading">
            <h3 id="figures-heading">"This Parley"</h3>
            <dl class="figures">
                <div><dt>"People"</dt><dd data-testid="figure-people">{figures.people}</dd></div>
                <div><dt>"Deactivated"</dt><dd data-testid="figure-deactivated">{figures.deactivated}</dd></div>
                <div><dt>"Messages"</dt><dd data-testid="figure-messages">{figures.messages}</dd></div>
                <div><dt>"Storage used"</dt><dd data-testid="figure-storage">{bytes(figures.storage_bytes)}</dd></div>
                <div><dt>"Connected now"</dt><dd data-testid="figure-sockets">{figures.sockets}</dd></div>
            </dl>
        </section>
    }
}

/// Bytes as a person reads them (decimal units, one decimal).
fn bytes(count: u64) -> String {
    const UNITS: [&str; 4] = ["kB", "MB", "GB", "TB"];
    if count < 1000 {
        return format!("{count} B");
    }
    let mut value = count as f64;
    let mut unit = "B";
    for next in UNITS {
        if value < 1000.0 {
            break;
        }
        value /= 1000.0;
        unit = next;
    }
    format!("{value:.1} {unit}")
}

#[component]
fn PersonRow(user: AdminUser) -> impl IntoView {
    let base = format!("/admin/users/{}", user.id);
    let name = user.username.clone();
    let (state_action, state_label) = if user.deactivated {
        ("reactivate", "Reactivate")
    } else {
        ("deactivate", "Deactivate")
    };
    let (make_admin, role_label) = if user.admin {
        ("false", "Remove admin")
    } else {
        ("true", "Make admin")
    };
    view! {
        <tr data-testid=format!("person-{}", user.username)>
            <td>
                <span class="person-name">{user.display_name.clone()}</span>
                " "
                <span class="me-username">"@"{user.username.clone()}</span>
            </td>
            <td>{if user.admin { "Admin" } else { "Member" }}</td>
            <td>{if user.deactivated { "Deactivated" } else { "Active" }}</td>
            <td class="row-actions">
                <form method="post" action=format!("{base}/{state_action}")>
                    <button type="submit" class="secondary">
                        {state_label}<span class="visually-hidden">" "{name.clone()}</span>
                    </button>
                </form>
                <form method="post" action=format!("{base}/admin")>
                    <input type="hidden" name="admin" value=make_admin/>
                    <button type="submit" class="secondary">
                        {role_label}<span class="visually-hidden">" "{name.clone()}</span>
                    </button>
                </form>
                <form method="post" action=format!("{base}/reset-link")>
                    <button type="submit" class="secondary">
                        "Reset link"<span class="visually-hidden">" for "{name}</span>
                    </button>
                </form>
            </td>
        </tr>
    }
}

#[component]
fn SignupSection(mode: SignupMode) -> impl IntoView {
    let choice = |value: SignupMode, label: &'static str| {
        view! {
            <label class="choice">
                <input type="radio" name="mode" value=value.as_str() checked=mode == value/>
                {label}
            </label>
        }
    };
    view! {
        <section aria-labelledby="signup-heading">
            <h3 id="signup-heading">"Sign-up"</h3>
            <form method="post" action="/admin/signup" class="auth-form">
                <fieldset>
                    <legend>"Who may create an account"</legend>
                    {choice(SignupMode::Open, "Anyone with the address")}
                    {choice(SignupMode::Invite, "Only with an invitation link")}
                    {choice(SignupMode::Closed, "Nobody (admins create accounts)")}
                </fieldset>
                <button type="submit" class="secondary">"Save sign-up setting"</button>
            </form>
        </section>
    }
}

#[component]
fn InvitationRow(invitation: Invitation) -> impl IntoView {
    let uses = match invitation.max_uses {
        Some(max) => format!("{} of {max} uses", invitation.uses),
        None => format!("{} uses", invitation.uses),
    };
    let used_up = invitation
        .max_uses
        .is_some_and(|max| invitation.uses >= max);
    let state = match (invitation.revoked, invitation.usable, used_up) {
        (true, _, _) => "revoked",
        (false, true, _) => "open",
        (false, false, true) => "used up",
        (false, false, false) => "expired",
    };
    let token = invitation.token.clone();
    view! {
        <li data-testid="invitation" data-state=state>
            <input class="link-field" readonly value=invitation.url aria-label="Invitation link"/>
            <span class="hint">
                {uses} " · " {state}
                {invitation.expires_at.map(|at| view! { " · until " {local_time(&at, true)} })}
            </span>
            {invitation.usable.then(|| view! {
                <form method="post" action=format!("/admin/invitations/{token}/revoke")>
                    <button type="submit" class="secondary">"Revoke"<span class="visually-hidden">" this invitation"</span></button>
                </form>
            })}
        </li>
    }
}

#[component]
fn AuditRow(entry: AuditEntry) -> impl IntoView {
    let actor = entry.actor.unwrap_or_else(|| "The command line".to_owned());
    // Invitations are named by their token's start: enough to tell apart.
    let target = entry.target.map(|target| match entry.action {
        crate::protocol::AuditAction::InvitationCreated
        | crate::protocol::AuditAction::InvitationRevoked => {
            format!("{}…", target.chars().take(8).collect::<String>())
        }
        _ => target,
    });
    view! {
        <li>
            {local_time(&entry.at, true)} " · " <strong>{actor}</strong> " " {entry.action.label()}
            {target.map(|target| view! { " " <strong>{target}</strong> })}
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::bytes;

    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(999), "999 B");
        assert_eq!(bytes(1_500), "1.5 kB");
        assert_eq!(bytes(25_000_000), "25.0 MB");
        assert_eq!(bytes(3_200_000_000), "3.2 GB");
    }
}
