//! Two server processes on one database, as behind a load balancer: a phone that pushes
//! through one and pulls through the other sees one journal; sign-in limits and the end of a
//! session hold on both at once.

use serde_json::{json, Value};

use crate::both_engines;
use crate::helpers::{assert_problem, TestApp, PASSWORD};
use crate::sync::pain_record;
use crate::sync_safety::{start_process, ServerProcess};

both_engines!(two_server_processes_on_one_database_act_as_one);

async fn send(
    app: &TestApp,
    server: &ServerProcess,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> reqwest::Response {
    let url = format!("{}{path}", server.address);
    let request = match body {
        Some(body) => app.client.post(url).json(&body),
        None => app.client.get(url),
    };
    let request = match token {
        Some(token) => request.bearer_auth(token),
        None => request,
    };
    request.send().await.unwrap()
}

async fn json_of(response: reqwest::Response) -> Value {
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn two_server_processes_on_one_database_act_as_one(app: TestApp) {
    let servers = [start_process(&app).await, start_process(&app).await];
    app.register("ann@example.com").await;
    let login = |device: &str| json!({"email": "ann@example.com", "password": PASSWORD, "device_name": device});
    let tokens = json_of(
        send(
            &app,
            &servers[0],
            "/v1/auth/login",
            None,
            Some(login("phone")),
        )
        .await,
    )
    .await;
    let access = tokens["access_token"].as_str().unwrap().to_owned();

    // The phone alternates: each push goes through one server, the next pull through the
    // other, and that pull brings exactly what was pushed since the last one.
    let mut since = 0;
    for round in 0..6 {
        let (pushed_to, pulled_from) = (&servers[round % 2], &servers[(round + 1) % 2]);
        let ids: Vec<String> = (0..5).map(|i| format!("r{round}-{i}")).collect();
        let records: Vec<Value> = ids.iter().map(|id| pain_record(id, 4)).collect();
        let body = json!({"changes": {"pain_entries": {"created": records}}});
        let path = format!("/v1/sync?last_pulled_at={since}");
        let pushed = json_of(send(&app, pushed_to, &path, Some(&access), Some(body)).await).await;
        assert_eq!(pushed["applied"], 5, "round {round}");
        let pulled = json_of(send(&app, pulled_from, &path, Some(&access), None).await).await;
        let mut got: Vec<String> = pulled["changes"]["pain_entries"]["updated"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .collect();
        got.sort();
        assert_eq!(got, ids, "round {round}");
        since = pulled["timestamp"].as_i64().unwrap();
    }

    // A refresh token rotated through one server cannot be used again through the other, and
    // that reuse ends the session on both.
    let refresh = |token: &Value| json!({"refresh_token": token["refresh_token"]});
    let rotated = json_of(
        send(
            &app,
            &servers[1],
            "/v1/auth/refresh",
            None,
            Some(refresh(&tokens)),
        )
        .await,
    )
    .await;
    let new_access = rotated["access_token"].as_str().unwrap().to_owned();
    for server in &servers {
        assert_eq!(
            send(&app, server, "/v1/me", Some(&new_access), None)
                .await
                .status(),
            200
        );
    }
    let reuse = send(
        &app,
        &servers[0],
        "/v1/auth/refresh",
        None,
        Some(refresh(&tokens)),
    )
    .await;
    assert_problem(reuse, 401).await;
    for server in &servers {
        assert_problem(
            send(&app, server, "/v1/me", Some(&new_access), None).await,
            401,
        )
        .await;
    }

    // Signing out through one server ends the session on the other at its next request.
    let tablet = json_of(
        send(
            &app,
            &servers[1],
            "/v1/auth/login",
            None,
            Some(login("tablet")),
        )
        .await,
    )
    .await;
    let tablet_access = tablet["access_token"].as_str().unwrap();
    assert_eq!(
        send(&app, &servers[0], "/v1/me", Some(tablet_access), None)
            .await
            .status(),
        200
    );
    let out = send(
        &app,
        &servers[1],
        "/v1/auth/logout",
        None,
        Some(refresh(&tablet)),
    )
    .await;
    assert_eq!(out.status(), 204);
    assert_problem(
        send(&app, &servers[0], "/v1/me", Some(tablet_access), None).await,
        401,
    )
    .await;

    // Failed sign-ins count on both: the server's limit is 10 per account; five wrong
    // passwords on each lock the account on both, even for the right password.
    let wrong = json!({"email": "ann@example.com", "password": "not the password"});
    for attempt in 0..10 {
        let response = send(
            &app,
            &servers[attempt % 2],
            "/v1/auth/login",
            None,
            Some(wrong.clone()),
        )
        .await;
        assert_eq!(response.status(), 401, "attempt {attempt}");
    }
    for server in &servers {
        assert_problem(
            send(&app, server, "/v1/auth/login", None, Some(login("phone"))).await,
            429,
        )
        .await;
    }
}
