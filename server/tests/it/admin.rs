//! Running an instance for others: instance admins, who may sign up
//! (modes and invitations), deactivation, one-time reset links, the audit
//! trail, the figures, and `parley admin` against a running instance.

use crate::{
    support::app::{TestApp, error_of, spawn_app, spawn_app_with},
    support::chats::{create_direct, send},
    support::nodes::two_nodes,
    support::process::run_parley,
    support::socket_client::{Credentials, SocketClient},
};
use app::{
    model::{ChatKind, SignupMode, User},
    protocol::{
        AdminUsersPage, AuditAction, AuditPage, CreateChat, ErrorCode, InstanceFigures,
        InvitationCreated, Invitations, JoinRoom, ResetLink, SessionEndReason, SessionEnded,
    },
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A request with a bearer token (and a JSON body when given).
async fn api(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let request = app.http.request(method, app.url(path)).bearer_auth(token);
    let request = match body {
        Some(body) => request.json(&body),
        None => request,
    };
    request.send().await.expect("request")
}

async fn signup_with(app: &TestApp, username: &str, invitation: Option<&str>) -> reqwest::Response {
    let mut body = json!({"username": username, "password": format!("{username} password")});
    if let Some(token) = invitation {
        body["invitation"] = json!(token);
    }
    app.post_json("/api/auth/signup", &body).await
}

async fn set_mode(app: &TestApp, admin: &str, mode: &str) {
    let set = api(
        app,
        Method::PUT,
        "/api/admin/signup",
        admin,
        Some(json!({"mode": mode})),
    )
    .await;
    assert_eq!(set.status(), StatusCode::OK);
}

async fn invite(app: &TestApp, admin: &str, body: Value) -> InvitationCreated {
    let made = api(
        app,
        Method::POST,
        "/api/admin/invitations",
        admin,
        Some(body),
    )
    .await;
    assert_eq!(made.status(), StatusCode::CREATED);
    made.json().await.expect("an invitation")
}

async fn refused_as(response: reqwest::Response, status: StatusCode, code: ErrorCode) {
    assert_eq!(response.status(), status);
    assert_eq!(error_of(response).await.error.code, code);
}

#[tokio::test]
async fn the_first_account_of_an_instance_is_its_admin_and_me_says_so() {
    let app = spawn_app().await;
    let harley = app.signup("harley", "harley password").await;
    let mike = app.signup("mike", "mike password").await;
    let me = |token: String| {
        let app = &app;
        async move { app.me(&token).await.json::<Value>().await.expect("json") }
    };
    assert_eq!(me(harley.token).await["admin"], json!(true));
    assert_eq!(me(mike.token).await["admin"], json!(false));
}

#[tokio::test]
async fn every_admin_route_refuses_anyone_else() {
    let app = spawn_app().await;
    let harley = app.signup("harley", "harley password").await;
    let mike = app.signup("mike", "mike password").await;
    let harley_id = harley.user.id.to_string();
    let routes = [
        (Method::GET, "/api/admin/users".to_owned(), None),
        (
            Method::POST,
            format!("/api/admin/users/{harley_id}/deactivate"),
            None,
        ),
        (
            Method::POST,
            format!("/api/admin/users/{harley_id}/reactivate"),
            None,
        ),
        (
            Method::PUT,
            format!("/api/admin/users/{}/admin", mike.user.id),
            Some(json!({"admin": true})),
        ),
        (
            Method::POST,
            format!("/api/admin/users/{harley_id}/reset-link"),
            None,
        ),
        (Method::GET, "/api/admin/signup".to_owned(), None),
        (
            Method::PUT,
            "/api/admin/signup".to_owned(),
            Some(json!({"mode": "open"})),
        ),
        (Method::GET, "/api/admin/invitations".to_owned(), None),
        (
            Method::POST,
            "/api/admin/invitations".to_owned(),
            Some(json!({})),
        ),
        (
            Method::DELETE,
            "/api/admin/invitations/whatever".to_owned(),
            None,
        ),
        (Method::GET, "/api/admin/audit".to_owned(), None),
        (Method::GET, "/api/admin/figures".to_owned(), None),
    ];
    for (method, path, body) in routes {
        let as_mike = api(&app, method.clone(), &path, &mike.token, body.clone()).await;
        assert_eq!(as_mike.status(), StatusCode::FORBIDDEN, "{method} {path}");
        assert_eq!(
            error_of(as_mike).await.error.code,
            ErrorCode::NotAdmin,
            "{method} {path}"
        );
        let stranger = api(&app, method.clone(), &path, "no session", body).await;
        assert_eq!(
            stranger.status(),
            StatusCode::UNAUTHORIZED,
            "{method} {path}"
        );
    }
    // The Admin page's forms are guarded the same way.
    let form = app
        .http
        .post(app.url(&format!("/admin/users/{harley_id}/deactivate")))
        .bearer_auth(&mike.token)
        .send()
        .await
        .expect("request");
    assert_eq!(form.status(), StatusCode::FORBIDDEN);
    // Nothing mike tried happened.
    assert_eq!(app.me(&harley.token).await.status(), StatusCode::OK);
    let page = app
        .http
        .get(app.url("/admin"))
        .bearer_auth(&mike.token)
        .send()
        .await
        .expect("request")
        .text()
        .await
        .expect("a page");
    assert!(page.contains("data-testid=\"not-admin\""));
    assert!(!page.contains("data-testid=\"figure-people\""));
}

#[tokio::test]
async fn sign_up_is_open_by_invitation_or_closed_as_the_admin_says() {
    let app = spawn_app().await;
    let harley = app.signup("harley", "harley password").await;
    let admin = harley.token.as_str();
    assert_eq!(
        signup_with(&app, "open1", None).await.status(),
        StatusCode::CREATED
    );

    set_mode(&app, admin, "invite").await;
    refused_as(
        signup_with(&app, "mike", None).await,
        StatusCode::FORBIDDEN,
        ErrorCode::SignupClosed,
    )
    .await;
    refused_as(
        signup_with(&app, "mike", Some("made-up")).await,
        StatusCode::FORBIDDEN,
        ErrorCode::SignupClosed,
    )
    .await;

    // One use: a sign-up that fails for another reason does not spend it.
    let once = invite(&app, admin, json!({"maxUses": 1, "expiresInHours": 24})).await;
    assert!(once.url.ends_with(&format!("/join/{}", once.token)));
    refused_as(
        signup_with(&app, "harley", Some(&once.token)).await,
        StatusCode::CONFLICT,
        ErrorCode::UsernameTaken,
    )
    .await;
    assert_eq!(
        signup_with(&app, "mike", Some(&once.token)).await.status(),
        StatusCode::CREATED
    );
    refused_as(
        signup_with(&app, "sara", Some(&once.token)).await,
        StatusCode::FORBIDDEN,
        ErrorCode::SignupClosed,
    )
    .await;

    // Revoked: refused from then on.
    let team = invite(&app, admin, json!({})).await;
    assert_eq!(
        signup_with(&app, "sara", Some(&team.token)).await.status(),
        StatusCode::CREATED
    );
    let revoke = api(
        &app,
        Method::DELETE,
        &format!("/api/admin/invitations/{}", team.token),
        admin,
        None,
    )
    .await;
    assert_eq!(revoke.status(), StatusCode::NO_CONTENT);
    refused_as(
        signup_with(&app, "tom", Some(&team.token)).await,
        StatusCode::FORBIDDEN,
        ErrorCode::SignupClosed,
    )
    .await;
    let listed: Invitations = api(&app, Method::GET, "/api/admin/invitations", admin, None)
        .await
        .json()
        .await
        .expect("invitations");
    let states: Vec<(u32, bool, bool)> = listed
        .invitations
        .iter()
        .map(|invitation| (invitation.uses, invitation.revoked, invitation.usable))
        .collect();
    assert_eq!(
        states,
        vec![(1, true, false), (1, false, false)],
        "newest first"
    );

    // Closed: not even with an invitation.
    let fresh = invite(&app, admin, json!({})).await;
    set_mode(&app, admin, "closed").await;
    refused_as(
        signup_with(&app, "tom", Some(&fresh.token)).await,
        StatusCode::FORBIDDEN,
        ErrorCode::SignupClosed,
    )
    .await;

    // The page says why, and the form post comes back to it with the code.
    let page = app.html("/signup").await;
    assert!(page.contains("Sign-up is closed on this Parley"));
    assert!(!page.contains("name=\"password\""));
    set_mode(&app, admin, "invite").await;
    assert!(
        app.html("/signup")
            .await
            .contains("Sign-up here is by invitation")
    );
    let join = app.html(&format!("/join/{}", fresh.token)).await;
    assert!(join.contains(&format!("name=\"invitation\" value=\"{}\"", fresh.token)));
    let spent = app.html(&format!("/join/{}", team.token)).await;
    assert!(spent.contains("This invitation link is expired, used up or revoked"));
    let posted = app
        .post_form(
            "/signup",
            &[
                ("username", "tom"),
                ("password", "tom password"),
                ("invitation", &team.token),
            ],
        )
        .await;
    assert_eq!(
        posted.headers()["location"],
        format!("/join/{}?error=signup_closed&username=tom", team.token).as_str()
    );
    let posted = app
        .post_form(
            "/signup",
            &[
                ("username", "tom"),
                ("password", "tom password"),
                ("invitation", &fresh.token),
            ],
        )
        .await;
    assert_eq!(posted.headers()["location"], "/");
}

#[tokio::test]
async fn the_signup_flag_sets_the_mode_at_start_up() {
    let app = spawn_app_with(tempfile::tempdir().unwrap(), |settings| {
        settings.signup = Some(SignupMode::Closed);
    })
    .await;
    refused_as(
        signup_with(&app, "harley", None).await,
        StatusCode::FORBIDDEN,
        ErrorCode::SignupClosed,
    )
    .await;
}

#[tokio::test]
async fn deactivation_ends_the_persons_sockets_on_every_node_and_keeps_what_they_wrote() {
    let Some(nodes) = two_nodes().await else {
        return;
    };
    let (a, b) = (&nodes.a, &nodes.b);
    let (harley_socket, mike_socket, chat) = nodes.harley_and_mike().await;
    let harley = a.login("harley", "harley password").await;
    let mike_id = chat
        .members
        .iter()
        .find(|member| member.user.username == "mike")
        .map(|member| member.user.id)
        .expect("mike is a member");
    mike_socket
        .emit(&send(&chat, "m1", "see you"))
        .await
        .expect("sent");

    let deactivated = api(
        a,
        Method::POST,
        &format!("/api/admin/users/{mike_id}/deactivate"),
        &harley.token,
        None,
    )
    .await;
    assert_eq!(deactivated.status(), StatusCode::NO_CONTENT);
    // Mike is on node B; node A ended his socket there at once.
    assert_eq!(
        mike_socket.next::<SessionEnded>().await.reason,
        SessionEndReason::Deactivated
    );
    mike_socket.closed_by_server().await;

    refused_as(
        b.post_json(
            "/api/auth/login",
            &json!({"username": "mike", "password": "mike password"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        ErrorCode::Deactivated,
    )
    .await;
    // What he wrote stays, under his name, marked deactivated.
    let opened = harley_socket
        .emit(&JoinRoom { chat_id: chat.id })
        .await
        .expect("joined");
    assert_eq!(
        opened.messages.last().map(|m| m.body.as_str()),
        Some("see you")
    );
    let member: &User = &opened
        .chat
        .members
        .iter()
        .find(|member| member.user.id == mike_id)
        .expect("still a member")
        .user;
    assert!(member.deactivated && !member.online);
    // No new chat with him.
    let refused = harley_socket
        .emit(&CreateChat {
            kind: ChatKind::Group,
            name: Some("team".into()),
            members: vec!["mike".into()],
        })
        .await
        .expect_err("refused");
    assert_eq!(refused.code, ErrorCode::UserNotFound);

    let reactivated = api(
        b,
        Method::POST,
        &format!("/api/admin/users/{mike_id}/reactivate"),
        &harley.token,
        None,
    )
    .await;
    assert_eq!(reactivated.status(), StatusCode::NO_CONTENT);
    b.login("mike", "mike password").await;
}

#[tokio::test]
async fn the_last_active_admin_stays_one() {
    let app = spawn_app().await;
    let harley = app.signup("harley", "harley password").await;
    let mike = app.signup("mike", "mike password").await;
    let path = |user: &User, what: &str| format!("/api/admin/users/{}/{what}", user.id);
    refused_as(
        api(
            &app,
            Method::PUT,
            &path(&harley.user, "admin"),
            &harley.token,
            Some(json!({"admin": false})),
        )
        .await,
        StatusCode::BAD_REQUEST,
        ErrorCode::BadRequest,
    )
    .await;
    refused_as(
        api(
            &app,
            Method::POST,
            &path(&harley.user, "deactivate"),
            &harley.token,
            None,
        )
        .await,
        StatusCode::BAD_REQUEST,
        ErrorCode::BadRequest,
    )
    .await;
    let promoted = api(
        &app,
        Method::PUT,
        &path(&mike.user, "admin"),
        &harley.token,
        Some(json!({"admin": true})),
    )
    .await;
    assert_eq!(promoted.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.me(&mike.token)
            .await
            .json::<Value>()
            .await
            .expect("json")["admin"],
        json!(true)
    );
    let stepped_down = api(
        &app,
        Method::PUT,
        &path(&harley.user, "admin"),
        &mike.token,
        Some(json!({"admin": false})),
    )
    .await;
    assert_eq!(stepped_down.status(), StatusCode::NO_CONTENT);
    refused_as(
        api(&app, Method::GET, "/api/admin/users", &harley.token, None).await,
        StatusCode::FORBIDDEN,
        ErrorCode::NotAdmin,
    )
    .await;
    refused_as(
        api(
            &app,
            Method::POST,
            &format!("/api/admin/users/{}/deactivate", uuid::Uuid::nil()),
            &mike.token,
            None,
        )
        .await,
        StatusCode::NOT_FOUND,
        ErrorCode::UserNotFound,
    )
    .await;
}

#[tokio::test]
async fn a_reset_link_sets_a_new_password_once_and_ends_the_old_sessions() {
    let app = spawn_app().await;
    let harley = app.signup("harley", "harley password").await;
    let mike = app.signup("mike", "mike password").await;
    let mike_socket = SocketClient::connect(app.addr, &mike.token).await;
    let link: ResetLink = api(
        &app,
        Method::POST,
        &format!("/api/admin/users/{}/reset-link", mike.user.id),
        &harley.token,
        None,
    )
    .await
    .json()
    .await
    .expect("a link");
    assert!(link.url.ends_with(&format!("/reset/{}", link.token)));
    let hours = (link.expires_at - chrono::Utc::now()).num_minutes();
    assert!(
        (23 * 60..=24 * 60).contains(&hours),
        "valid 24 h, not {hours} min"
    );

    let reset = |password: &str| {
        let body = json!({"token": link.token, "newPassword": password});
        let app = &app;
        async move { app.post_json("/api/auth/reset", &body).await }
    };
    refused_as(
        reset("short").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::InvalidPassword,
    )
    .await;
    assert_eq!(
        reset("mike's new password").await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        mike_socket.next::<SessionEnded>().await.reason,
        SessionEndReason::PasswordChanged
    );
    assert_eq!(app.me(&mike.token).await.status(), StatusCode::UNAUTHORIZED);
    app.login("mike", "mike's new password").await;
    refused_as(
        reset("another password").await,
        StatusCode::GONE,
        ErrorCode::InvalidLink,
    )
    .await;
    // The page's form: a used link comes back with the reason.
    let posted = app
        .post_form(
            &format!("/reset/{}", link.token),
            &[("newPassword", "another password")],
        )
        .await;
    assert_eq!(
        posted.headers()["location"],
        format!("/reset/{}?error=invalid_link", link.token).as_str()
    );
}

#[tokio::test]
async fn the_audit_trail_says_who_did_what_to_whom_and_the_figures_what_is_here() {
    let app = spawn_app().await;
    let harley = app.signup("harley", "harley password").await;
    let mike = app.signup("mike", "mike password").await;
    let admin = harley.token.as_str();
    let harley_socket = SocketClient::connect(app.addr, admin).await;
    let chat = create_direct(&harley_socket, "mike").await;
    harley_socket
        .emit(&send(&chat, "h1", "hello"))
        .await
        .expect("sent");

    set_mode(&app, admin, "invite").await;
    let invitation = invite(&app, admin, json!({"maxUses": 3})).await;
    let id = mike.user.id;
    for (method, path, body) in [
        (
            Method::POST,
            format!("/api/admin/users/{id}/deactivate"),
            None,
        ),
        (
            Method::POST,
            format!("/api/admin/users/{id}/reactivate"),
            None,
        ),
        (
            Method::PUT,
            format!("/api/admin/users/{id}/admin"),
            Some(json!({"admin": true})),
        ),
    ] {
        assert!(
            api(&app, method, &path, admin, body)
                .await
                .status()
                .is_success()
        );
    }
    let trail: AuditPage = api(&app, Method::GET, "/api/admin/audit", admin, None)
        .await
        .json()
        .await
        .expect("the trail");
    let read: Vec<(Option<&str>, AuditAction, Option<&str>)> = trail
        .entries
        .iter()
        .map(|entry| {
            (
                entry.actor.as_deref(),
                entry.action,
                entry.target.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        read,
        vec![
            (Some("harley"), AuditAction::MadeAdmin, Some("mike")),
            (Some("harley"), AuditAction::Reactivated, Some("mike")),
            (Some("harley"), AuditAction::Deactivated, Some("mike")),
            (
                Some("harley"),
                AuditAction::InvitationCreated,
                Some(invitation.token.as_str())
            ),
            (Some("harley"), AuditAction::SignupModeSet, Some("invite")),
        ]
    );

    let figures: InstanceFigures = api(&app, Method::GET, "/api/admin/figures", admin, None)
        .await
        .json()
        .await
        .expect("figures");
    assert_eq!(
        (
            figures.people,
            figures.deactivated,
            figures.messages,
            figures.sockets
        ),
        (2, 0, 1, 1)
    );
    let found: AdminUsersPage = api(&app, Method::GET, "/api/admin/users?query=MIK", admin, None)
        .await
        .json()
        .await
        .expect("users");
    let names: Vec<(&str, bool)> = found
        .users
        .iter()
        .map(|user| (user.username.as_str(), user.admin))
        .collect();
    assert_eq!(names, vec![("mike", true)]);
    assert_eq!(found.next, None);
}

/// `parley admin …`, the release binary, run against the database of a
/// server that is running.
async fn parley_admin(app: &TestApp, args: &[&str], stdin: &str) -> (bool, String) {
    let database = app.db_dir.path().join("parley.db");
    let env = [
        (
            "DATABASE_URL",
            format!("sqlite://{}?mode=rwc", database.display()),
        ),
        ("PARLEY_PUBLIC_URL", app.url("")),
    ];
    run_parley(&[&["admin"], args].concat(), &env, stdin).await
}

#[tokio::test]
async fn the_admin_command_works_against_a_running_instance() {
    let app = spawn_app_with(tempfile::tempdir().unwrap(), |settings| {
        settings.signup = Some(SignupMode::Closed);
    })
    .await;
    // Sign-up is closed from the start: the operator creates the first admin.
    let (ok, said) = parley_admin(&app, &["create", "root"], "root password\n").await;
    assert!(ok, "{said}");
    let root = app.login("root", "root password").await;
    assert_eq!(
        app.me(&root.token)
            .await
            .json::<Value>()
            .await
            .expect("json")["admin"],
        json!(true)
    );
    set_mode(&app, &root.token, "open").await;
    let mike = app.signup("mike", "mike password").await;
    let mike_socket = SocketClient::connect(app.addr, &mike.token).await;

    let (ok, said) = parley_admin(&app, &["users", "--query", "mik"], "").await;
    assert!(ok, "{said}");
    let rows: Vec<&str> = said.lines().skip(1).collect();
    assert_eq!(rows.len(), 1, "{said}");
    assert!(
        rows[0].starts_with("mike ") && rows[0].contains("active"),
        "{said}"
    );

    assert!(parley_admin(&app, &["promote", "mike"], "").await.0);
    assert_eq!(
        app.me(&mike.token)
            .await
            .json::<Value>()
            .await
            .expect("json")["admin"],
        json!(true)
    );
    assert!(parley_admin(&app, &["demote", "mike"], "").await.0);
    let (ok, said) = parley_admin(&app, &["demote", "root"], "").await;
    assert!(!ok && said.contains("at least one active admin"), "{said}");
    let (ok, said) = parley_admin(&app, &["promote", "nobody"], "").await;
    assert!(!ok && said.contains("no such user"), "{said}");

    // The running server ends the socket of someone deactivated at the
    // command line: it reads deactivations from the database.
    assert!(parley_admin(&app, &["deactivate", "mike"], "").await.0);
    assert_eq!(
        mike_socket.next::<SessionEnded>().await.reason,
        SessionEndReason::Deactivated
    );
    mike_socket.closed_by_server().await;
    let refused = SocketClient::try_connect(app.addr, Credentials::Token(&mike.token), None).await;
    assert!(refused.is_err());
    assert!(parley_admin(&app, &["reactivate", "mike"], "").await.0);

    let (ok, said) = parley_admin(&app, &["reset-password", "mike"], "").await;
    assert!(ok, "{said}");
    let url = said.lines().next().unwrap_or_default();
    let token = url
        .strip_prefix(&app.url("/reset/"))
        .unwrap_or_else(|| panic!("a link to this instance: {said}"));
    let reset = app
        .post_json(
            "/api/auth/reset",
            &json!({"token": token, "newPassword": "mike's new one"}),
        )
        .await;
    assert_eq!(reset.status(), StatusCode::NO_CONTENT);
    app.login("mike", "mike's new one").await;

    let trail: AuditPage = api(&app, Method::GET, "/api/admin/audit", &root.token, None)
        .await
        .json()
        .await
        .expect("the trail");
    let from_the_command_line: Vec<AuditAction> = trail
        .entries
        .iter()
        .filter(|entry| entry.actor.is_none())
        .map(|entry| entry.action)
        .collect();
    assert_eq!(
        from_the_command_line,
        vec![
            AuditAction::ResetLinkMade,
            AuditAction::Reactivated,
            AuditAction::Deactivated,
            AuditAction::AdminRemoved,
            AuditAction::MadeAdmin,
            AuditAction::AccountCreated,
            AuditAction::SignupModeSet,
        ]
    );
}
