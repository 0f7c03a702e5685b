//! Access tokens, refresh rotation and throttling.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

use crate::both_engines;
use crate::helpers::{assert_problem, Engine, TestApp, JWT_SECRET, PASSWORD};

both_engines!(
    refresh_rotates_and_the_old_token_stops_working,
    reusing_a_rotated_refresh_token_revokes_the_whole_family,
    logout_ends_the_session_at_once,
    a_signed_out_session_neither_reads_nor_writes_the_journal,
    a_signed_out_write_does_not_wait_for_the_writer,
    forged_and_broken_access_tokens_are_refused,
    a_token_never_acts_for_another_user,
    unknown_email_and_wrong_password_answer_alike,
    failed_logins_are_limited_per_account_across_servers,
);

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn sign(claims: &Value, secret: &[u8]) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .unwrap()
}

async fn refresh(app: &TestApp, token: &str) -> reqwest::Response {
    app.post_json("/v1/auth/refresh", &json!({"refresh_token": token}))
        .await
}

async fn refresh_rotates_and_the_old_token_stops_working(app: TestApp) {
    let (_, tokens) = app.user("ann@example.com").await;
    let response = refresh(&app, &tokens.refresh).await;
    assert_eq!(response.status(), 200);
    let pair: Value = response.json().await.unwrap();
    let new_refresh = pair["refresh_token"].as_str().unwrap();
    assert_ne!(new_refresh, tokens.refresh);
    assert_eq!(pair["token_type"], "Bearer");
    assert_eq!(pair["expires_in"], 900);
    let access = pair["access_token"].as_str().unwrap();
    assert_eq!(app.get_auth("/v1/me", access).await.status(), 200);
    // The same device session continues.
    assert_eq!(claims_of(access)["sid"], claims_of(&tokens.access)["sid"]);
    // The new one works once more.
    assert_eq!(refresh(&app, new_refresh).await.status(), 200);
    // Garbage is refused.
    assert_problem(refresh(&app, "not-a-token").await, 401).await;
    assert_problem(
        refresh(&app, &format!("{}x", &new_refresh[..new_refresh.len() - 1])).await,
        401,
    )
    .await;
}

async fn reusing_a_rotated_refresh_token_revokes_the_whole_family(app: TestApp) {
    let (_, tokens) = app.user("ann@example.com").await;
    let other_device = app.login("ann@example.com", "tablet").await;
    let rotated: Value = refresh(&app, &tokens.refresh).await.json().await.unwrap();
    let current_refresh = rotated["refresh_token"].as_str().unwrap().to_owned();
    let current_access = rotated["access_token"].as_str().unwrap().to_owned();

    // An attacker (or a confused client) presents the old token again.
    let reuse = assert_problem(refresh(&app, &tokens.refresh).await, 401).await;
    assert!(reuse["detail"].as_str().unwrap().contains("already used"));

    // The whole family is gone: the legitimate newest token and its access token too.
    assert_problem(refresh(&app, &current_refresh).await, 401).await;
    assert_problem(app.get_auth("/v1/me", &current_access).await, 401).await;
    // Another device's session is untouched.
    assert_eq!(
        app.get_auth("/v1/me", &other_device.access).await.status(),
        200
    );
    assert_eq!(refresh(&app, &other_device.refresh).await.status(), 200);
}

async fn logout_ends_the_session_at_once(app: TestApp) {
    let (_, tokens) = app.user("ann@example.com").await;
    let response = app
        .post_json("/v1/auth/logout", &json!({"refresh_token": tokens.refresh}))
        .await;
    assert_eq!(response.status(), 204);
    assert_problem(app.get_auth("/v1/me", &tokens.access).await, 401).await;
    assert_problem(refresh(&app, &tokens.refresh).await, 401).await;
    // Logging out twice, or with an unknown token, is harmless.
    let again = app
        .post_json("/v1/auth/logout", &json!({"refresh_token": tokens.refresh}))
        .await;
    assert_eq!(again.status(), 204);
    let unknown = app
        .post_json("/v1/auth/logout", &json!({"refresh_token": "nope"}))
        .await;
    assert_eq!(unknown.status(), 204);
}

/// A signed-out token is refused without queueing behind the writer: on SQLite every write
/// of the server takes one writer's turn, so a refused token that queued would hold that
/// turn and delay every live writer (and wait for all of them). Here another connection
/// holds the writer's lock (SQLite) or the person's row (PostgreSQL): the signed-out write is
/// answered at once, the live one waits for the lock and then lands.
async fn a_signed_out_write_does_not_wait_for_the_writer(app: TestApp) {
    use diesel::RunQueryDsl;

    let (ann, phone) = app.user("ann@example.com").await;
    let tablet = app.login("ann@example.com", "tablet").await;
    app.post_json("/v1/auth/logout", &json!({"refresh_token": phone.refresh}))
        .await;

    let mut holder = app.db();
    let hold = match app.engine {
        Engine::Sqlite => vec!["BEGIN IMMEDIATE".to_owned()],
        Engine::Postgres => vec![
            "BEGIN".to_owned(),
            format!(
                "SELECT id FROM users WHERE id = '{}' FOR UPDATE",
                ann["id"].as_str().unwrap()
            ),
        ],
    };
    for statement in hold {
        diesel::sql_query(statement).execute(&mut *holder).unwrap();
    }

    let entry = |id: &str| json!({"id": id, "recorded_at": "2026-11-02T09:00:00Z", "intensity": 5});
    let live = {
        let (client, url, token, body) = (
            app.client.clone(),
            app.url("/v1/pain-entries"),
            tablet.access.clone(),
            entry("live"),
        );
        tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap()
        })
    };
    let refused = tokio::time::timeout(
        std::time::Duration::from_secs(2),
        app.post_auth("/v1/pain-entries", &phone.access, &entry("gone")),
    )
    .await
    .expect("a signed-out write is answered while the writer's lock is held");
    assert_problem(refused, 401).await;
    // The lock is real: the live write is still waiting for it.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!live.is_finished());

    diesel::sql_query("ROLLBACK").execute(&mut *holder).unwrap();
    assert_eq!(live.await.unwrap().status(), 201);
    let stored = app.get_json("/v1/pain-entries", &tablet.access).await;
    let ids: Vec<&str> = stored["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["live"]);
}

/// The journal routes check the session inside their own database work (`PatientToken`):
/// every one of them must still refuse a signed-out session, and write nothing.
async fn a_signed_out_session_neither_reads_nor_writes_the_journal(app: TestApp) {
    let (_, phone) = app.user("ann@example.com").await;
    let tablet = app.login("ann@example.com", "tablet").await;
    let entry = json!({"id": "kept", "recorded_at": "2026-11-01T09:00:00Z", "intensity": 3});
    let stored = app
        .post_expect("/v1/pain-entries", &tablet.access, &entry, 201)
        .await;
    // A day that holds a massage and nothing else: the day view's lists each check the
    // session, and the last of them must not answer on its own.
    let massage = json!({"id": "rub", "started_at": "2026-11-03T17:00:00Z", "duration_min": 60,
                         "kind": "swedish", "regions": ["lower_back"]});
    app.post_expect("/v1/massage-sessions", &tablet.access, &massage, 201)
        .await;
    app.post_json("/v1/auth/logout", &json!({"refresh_token": phone.refresh}))
        .await;

    let new_entry = json!({"id": "new", "recorded_at": "2026-11-02T09:00:00Z", "intensity": 5});
    let change = json!({"intensity": 9});
    for response in [
        // A list with rows, and one without (a list checks the session in its own query).
        app.get_auth("/v1/pain-entries", &phone.access).await,
        app.get_auth("/v1/check-ins", &phone.access).await,
        app.post_auth("/v1/pain-entries", &phone.access, &new_entry)
            .await,
        // The stored entry sent again: a live session would get it back (200); this one
        // must learn nothing of it.
        app.post_auth("/v1/pain-entries", &phone.access, &entry)
            .await,
        app.get_auth("/v1/pain-entries/kept", &phone.access).await,
        app.patch_auth("/v1/pain-entries/kept", &phone.access, &change)
            .await,
        app.delete_auth("/v1/pain-entries/kept", &phone.access)
            .await,
        app.get_auth("/v1/days/2026-11-01", &phone.access).await,
        app.get_auth("/v1/days/2026-11-03", &phone.access).await,
        // A day with nothing on it cannot tell by its lists: the session is checked alone.
        app.get_auth("/v1/days/2026-11-09", &phone.access).await,
        // A pull that has rows to send, and one already up to date (answered from the
        // statement that checks the session).
        app.get_auth("/v1/sync?last_pulled_at=0", &phone.access)
            .await,
        app.get_auth("/v1/sync?last_pulled_at=999999", &phone.access)
            .await,
    ] {
        let problem = assert_problem(response, 401).await;
        assert!(problem["detail"].as_str().unwrap().contains("signed out"));
    }
    // Told to sign in again before anything about what it sent: a value that breaks a rule,
    // a body that is not JSON, a bad filter, an id that cannot exist, a bad sync request.
    let bad_value = json!({"id": "bad", "recorded_at": "2026-11-02T09:00:00Z", "intensity": 11});
    for response in [
        app.post_auth("/v1/pain-entries", &phone.access, &bad_value)
            .await,
        app.client
            .post(app.url("/v1/pain-entries"))
            .bearer_auth(&phone.access)
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .unwrap(),
        app.get_auth("/v1/pain-entries?limit=0", &phone.access)
            .await,
        app.patch_auth("/v1/pain-entries/no%20such", &phone.access, &change)
            .await,
        app.get_auth("/v1/sync?last_pulled_at=soon", &phone.access)
            .await,
    ] {
        let problem = assert_problem(response, 401).await;
        assert!(problem["detail"].as_str().unwrap().contains("signed out"));
    }
    // The sign-in routes take no access token: a stale one sent along changes nothing there.
    let refresh_without_token = app
        .client
        .post(app.url("/v1/auth/refresh"))
        .bearer_auth(&phone.access)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_problem(refresh_without_token, 400).await;
    // A live session still learns what it got wrong.
    assert_problem(
        app.post_auth("/v1/pain-entries", &tablet.access, &bad_value)
            .await,
        422,
    )
    .await;
    assert_problem(
        app.get_auth("/v1/pain-entries?limit=0", &tablet.access)
            .await,
        400,
    )
    .await;
    // The other device sees the journal exactly as it was.
    let items = app.get_json("/v1/pain-entries", &tablet.access).await["items"].clone();
    assert_eq!(items, json!([stored]));
    let day = app.get_json("/v1/days/2026-11-03", &tablet.access).await;
    assert_eq!(day["massage_sessions"][0]["id"], "rub", "{day}");
    let empty = app.get_json("/v1/days/2026-11-09", &tablet.access).await;
    assert_eq!(
        (
            &empty["pain_entries"],
            &empty["medication_intakes"],
            &empty["massage_sessions"]
        ),
        (&json!([]), &json!([]), &json!([]))
    );
}

async fn forged_and_broken_access_tokens_are_refused(app: TestApp) {
    let (_, tokens) = app.user("ann@example.com").await;
    let good = claims_of(&tokens.access);
    let now = chrono::Utc::now().timestamp();
    let with = |key: &str, value: Value| {
        let mut claims = good.clone();
        claims[key] = value;
        claims
    };
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(good.to_string());
    let alg_none = format!("{header}.{payload}.");
    let mut tampered = tokens.access.clone();
    let middle = tampered.split('.').nth(1).unwrap().to_owned();
    let forged_payload = URL_SAFE_NO_PAD.encode(with("sub", json!("someone-else")).to_string());
    tampered = tampered.replace(&middle, &forged_payload);
    let hs512 = encode(
        &Header::new(Algorithm::HS512),
        &good,
        &EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .unwrap();

    let secret = JWT_SECRET.as_bytes();
    let bad_tokens = [
        ("expired", sign(&with("exp", json!(now - 3600)), secret)),
        (
            "wrong audience",
            sign(&with("aud", json!("another-api")), secret),
        ),
        ("wrong issuer", sign(&with("iss", json!("evil")), secret)),
        ("no exp", {
            let mut claims = good.clone();
            claims.as_object_mut().unwrap().remove("exp");
            sign(&claims, secret)
        }),
        (
            "wrong key",
            sign(&good, b"another-secret-another-secret-another-secret"),
        ),
        ("alg none", alg_none),
        ("HS512", hs512),
        ("tampered payload", tampered),
        ("garbage", "abc.def.ghi".to_owned()),
        ("empty", String::new()),
    ];
    for (what, token) in bad_tokens {
        let response = app
            .client
            .get(app.url("/v1/me"))
            .header("authorization", format!("Bearer {token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{what}");
        assert_problem(response, 401).await;
    }
    // No header, or another scheme.
    assert_problem(app.client.get(app.url("/v1/me")).send().await.unwrap(), 401).await;
    let basic = app
        .client
        .get(app.url("/v1/me"))
        .header("authorization", format!("Basic {}", tokens.access))
        .send()
        .await
        .unwrap();
    assert_problem(basic, 401).await;
    // The genuine token still works, and a correctly signed fresh one too.
    assert_eq!(app.get_auth("/v1/me", &tokens.access).await.status(), 200);
    let resigned = sign(&with("exp", json!(now + 600)), secret);
    assert_eq!(app.get_auth("/v1/me", &resigned).await.status(), 200);
}

async fn a_token_never_acts_for_another_user(app: TestApp) {
    let (ann, ann_tokens) = app.user("ann@example.com").await;
    let (bob, bob_tokens) = app.user("bob@example.com").await;
    let me: Value = app
        .get_auth("/v1/me", &ann_tokens.access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["id"], ann["id"]);

    // A token claiming Bob's id with Ann's session (even if it were signed with the real key)
    // names no live session of Bob's.
    let mut claims = claims_of(&ann_tokens.access);
    claims["sub"] = bob["id"].clone();
    let crossed = sign(&claims, JWT_SECRET.as_bytes());
    assert_problem(app.get_auth("/v1/me", &crossed).await, 401).await;

    // Ann cannot sign Bob's device out: it is not found among hers.
    let bob_sid = claims_of(&bob_tokens.access)["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    let response = app
        .client
        .delete(app.url(&format!("/v1/me/sessions/{bob_sid}")))
        .bearer_auth(&ann_tokens.access)
        .send()
        .await
        .unwrap();
    assert_problem(response, 404).await;
    assert_eq!(
        app.get_auth("/v1/me", &bob_tokens.access).await.status(),
        200
    );

    // Ann cannot refresh with a token rewritten to Bob's id.
    let ann_secret = ann_tokens.refresh.split_once('.').unwrap().1;
    let rewritten = format!("{}.{ann_secret}", bob["id"].as_str().unwrap());
    assert_problem(refresh(&app, &rewritten).await, 401).await;

    // Ann's changes and deletion leave Bob alone.
    let response = app
        .client
        .delete(app.url("/v1/me"))
        .bearer_auth(&ann_tokens.access)
        .json(&serde_json::json!({"password": crate::helpers::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let bob_now: Value = app
        .get_auth("/v1/me", &bob_tokens.access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(bob_now["email"], "bob@example.com");
}

async fn unknown_email_and_wrong_password_answer_alike(app: TestApp) {
    app.register("ann@example.com").await;
    let wrong_password = app
        .post_json(
            "/v1/auth/login",
            &json!({"email": "ann@example.com", "password": "not the password"}),
        )
        .await;
    let unknown_email = app
        .post_json(
            "/v1/auth/login",
            &json!({"email": "nobody@example.com", "password": "not the password"}),
        )
        .await;
    let malformed_email = app
        .post_json(
            "/v1/auth/login",
            &json!({"email": "nobody", "password": "not the password"}),
        )
        .await;
    let a = assert_problem(wrong_password, 401).await;
    let b = assert_problem(unknown_email, 401).await;
    let c = assert_problem(malformed_email, 401).await;
    assert_eq!(a, b);
    assert_eq!(a, c);
    // Email case does not matter at login.
    let ok = app
        .post_json(
            "/v1/auth/login",
            &json!({"email": "ANN@Example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(ok.status(), 200);
}

async fn failed_logins_are_limited_per_account_across_servers(mut app: TestApp) {
    app.register("ann@example.com").await;
    let second_server = app.start_server().await;
    let attempt = |base: String, password: &'static str| {
        let client = app.client.clone();
        async move {
            client
                .post(format!("{base}/v1/auth/login"))
                .json(&json!({"email": "ann@example.com", "password": password}))
                .send()
                .await
                .unwrap()
        }
    };
    // LOGIN_MAX_FAILURES is 5 in tests; spread the failures over both servers.
    for i in 0..5 {
        let base = if i % 2 == 0 {
            app.address.clone()
        } else {
            second_server.clone()
        };
        assert_eq!(
            attempt(base, "wrong password!").await.status(),
            401,
            "attempt {i}"
        );
    }
    for base in [app.address.clone(), second_server.clone()] {
        let locked = attempt(base, PASSWORD).await;
        let retry_after: u64 = locked.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(retry_after > 0 && retry_after <= 900, "{retry_after}");
        assert_problem(locked, 429).await;
    }
    // Other accounts are not affected.
    app.register("bob@example.com").await;
    app.login("bob@example.com", "phone").await;
}

both_engines!(login_and_registration_are_throttled_per_address);

async fn login_and_registration_are_throttled_per_address(app: TestApp) {
    let limited = TestApp::spawn_with(app.engine, |s| s.auth_requests_per_minute = 3)
        .await
        .unwrap();
    drop(app);
    let login = json!({"email": "nobody@example.com", "password": "whatever it is"});
    for _ in 0..3 {
        assert_eq!(
            limited.post_json("/v1/auth/login", &login).await.status(),
            401
        );
    }
    // Registration shares the budget of the address.
    let register = json!({"email": "new@example.com", "password": PASSWORD, "timezone": "UTC"});
    for response in [
        limited.post_json("/v1/auth/login", &login).await,
        limited.post_json("/v1/auth/register", &register).await,
    ] {
        let retry_after: u64 = response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=60).contains(&retry_after), "{retry_after}");
        assert_problem(response, 429).await;
    }
    // Other routes are not throttled.
    assert_eq!(
        limited
            .client
            .get(limited.url("/health/live"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}
