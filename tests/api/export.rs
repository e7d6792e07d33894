//! Exports: an admin's JSON export is exactly `audit_chat_at` at the same moment; a participant
//! gets what they may read; HTML escapes what people wrote; the PDF renders (Debian's
//! `pdftoppm` draws its first page); every export is an event of the log.

use serde_json::{Value, json};

use crate::helpers::{TestApp, User, status_and_json};

async fn export(app: &TestApp, user: &User, chat: i64, query: &str) -> reqwest::Response {
    app.get(&format!("/api/chats/{chat}/export?{query}"), user).send().await.expect("export")
}

fn rfc3339(at: time::OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339).expect("format")
}

#[tokio::test]
async fn an_admins_json_export_is_what_audit_chat_at_shows_at_that_moment() {
    let a = TestApp::spawn_with(|config| config.append.editing = true).await;
    let (teacher, student, admin) =
        (a.user("teacher", "Teacher").await, a.user("student", "Ученица").await, a.user("admin", "Admin").await);
    let chat = a.chat(&teacher, &student).await;
    let first = a.send(&student, chat, "здравствуйте").await;
    assert_eq!(a.edit(&student, first, "здравствуйте, учитель").await.status(), 200);
    let gone = a.send(&teacher, chat, "sent by mistake").await;
    assert_eq!(a.delete_message(&teacher, gone).await.status(), 200);
    let hidden = a.send(&teacher, chat, "rude words").await;
    let hide = a.http.post(a.url(&format!("/api/admin/messages/{hidden}/hide"))).bearer_auth(&admin.token);
    assert_eq!(hide.json(&json!({ "reason": "rude" })).send().await.expect("hide").status(), 204);
    let at: time::OffsetDateTime = a.sql.query_one("SELECT now()", &[]).await.expect("now").get(0);
    a.send(&student, chat, "after the moment").await;

    let response = export(&a, &admin, chat, &format!("format=json&at={}", rfc3339(at).replace('+', "%2B"))).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-disposition"].to_str().expect("header").starts_with("attachment"));
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["chat"]["id"], chat);
    assert_eq!(body["members"].as_array().expect("members").len(), 2);
    assert_eq!(body["exported_by"]["id"], admin.id);

    let audit = a
        .sql
        .query(
            "SELECT coalesce(json_agg(json_build_object(
                 'message_id', message_id, 'sender_id', sender_id, 'sender_name', sender_name, 'content', content,
                 'is_deleted', is_deleted, 'edited', edited_at IS NOT NULL, 'deleted', deleted_at IS NOT NULL,
                 'reply_to_message_id', reply_to_message_id, 'hidden_reason', hidden_reason) ORDER BY message_position), '[]')
             FROM audit_chat_at($1, $2)",
            &[&chat, &at],
        )
        .await
        .expect("audit")
        .remove(0)
        .get::<_, Value>(0);
    let exported: Vec<Value> = body["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| {
            json!({
                "message_id": m["message_id"], "sender_id": m["sender_id"], "sender_name": m["sender_name"],
                "content": m["content"], "is_deleted": m["is_deleted"], "edited": !m["edited_at"].is_null(),
                "deleted": !m["deleted_at"].is_null(), "reply_to_message_id": m["reply_to_message_id"],
                "hidden_reason": m["hidden"]["reason"],
            })
        })
        .collect();
    assert_eq!(Value::Array(exported), audit, "the admin's export is the audit at the same moment");
    assert!(!body.to_string().contains("after the moment"));

    // The student's: the hidden message as a placeholder, the deleted one without its text.
    let body: Value = export(&a, &student, chat, "format=json").await.json().await.expect("JSON");
    let text = body.to_string();
    for withheld in ["rude words", "sent by mistake", "\"rude\""] {
        assert!(!text.contains(withheld), "{withheld:?} reached a participant: {text}");
    }
    assert!(text.contains("after the moment") && text.contains("здравствуйте, учитель"));

    // Strangers get nothing; every export is in the log.
    let stranger = a.user("student", "Stranger").await;
    let (status, _) = status_and_json(export(&a, &stranger, chat, "format=json").await).await;
    assert_eq!(status, 403);
    let (status, body) = status_and_json(export(&a, &admin, chat, "format=docx").await).await;
    assert_eq!(status, 400, "{body}");
    let exports: i64 = a
        .sql
        .query_one("SELECT count(*) FROM events WHERE chat_id = $1 AND type = 'chat_exported'", &[&chat])
        .await
        .expect("count")
        .get(0);
    assert_eq!(exports, 2);
    let timeline = crate::governance::timeline(&a, chat, "chat_exported").await;
    assert!(timeline[0].starts_with("exported as json, as it was at "), "{timeline:?}");
}

#[tokio::test]
async fn html_escapes_what_people_wrote_and_speaks_the_readers_language() {
    let a = TestApp::spawn().await;
    let (teacher, student) = (a.user("teacher", "Teacher").await, a.user("student", "Student").await);
    let chat = a.chat(&teacher, &student).await;
    a.send(&student, chat, "<script>alert('x')</script> & more").await;
    let response = a
        .get(&format!("/api/chats/{chat}/export?format=html"), &teacher)
        .header("Accept-Language", "ru-RU,ru;q=0.9,en;q=0.5")
        .send()
        .await
        .expect("export");
    assert_eq!(response.headers()["content-type"], "text/html; charset=utf-8");
    let html = response.text().await.expect("html");
    assert!(!html.contains("<script>"), "unescaped: {html}");
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more"));
    assert!(html.contains("Выгрузка переписки") && html.trim_end().ends_with("</html>"));
}

#[tokio::test]
async fn the_pdf_export_opens_and_renders_its_first_page() {
    let a = TestApp::spawn().await;
    let (teacher, student) = (a.user("teacher", "Иван Петров").await, a.user("student", "Мария").await);
    let chat = a.chat(&teacher, &student).await;
    for i in 0..120 {
        a.send(&student, chat, &format!("Сообщение номер {i}: домашнее задание по алгебре")).await;
    }
    let response = export(&a, &teacher, chat, "format=pdf&lang=ru").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    let pdf = response.bytes().await.expect("pdf");
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF");

    let dir = std::env::temp_dir().join(format!("tutorchat-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join(format!("chat-{chat}.pdf"));
    std::fs::write(&file, &pdf).expect("write");
    let png = dir.join(format!("chat-{chat}-page"));
    let rendered = std::process::Command::new("pdftoppm")
        .args(["-png", "-r", "40", "-f", "1", "-l", "1", "-singlefile"])
        .arg(&file)
        .arg(&png)
        .output()
        .expect("run pdftoppm (apt-get install poppler-utils)");
    assert!(rendered.status.success(), "pdftoppm: {}", String::from_utf8_lossy(&rendered.stderr));
    let image = std::fs::read(png.with_extension("png")).expect("the rendered page");
    assert!(image.starts_with(b"\x89PNG") && image.len() > 1000, "a blank or broken page");
    let text = std::process::Command::new("pdftotext").arg(&file).arg("-").output().expect("run pdftotext");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("Сообщение номер 119"), "the last message is in the PDF");
    let _ = std::fs::remove_dir_all(&dir);
}

/// What people stumbled on: a direct chat's PDF is titled by its members, its times are the
/// school's (to the minute, the zone named), its emoji drawn, and three messages weigh
/// kilobytes, not the fonts' megabytes.
#[tokio::test]
async fn a_pdf_export_is_titled_by_its_members_on_the_schools_clock_with_its_emoji_and_small() {
    let a = TestApp::spawn_with(|c| c.safeguarding.school_timezone = "Asia/Vladivostok".into()).await;
    let (teacher, student) = (a.user("teacher", "Иван Петров").await, a.user("student", "Мария").await);
    let chat = a.chat(&teacher, &student).await;
    let sent = a.send(&student, chat, "Спасибо, Иван Петрович! Сделаю 👍").await;
    a.send(&teacher, chat, "Отлично 📣").await;
    a.send(&student, chat, "До встречи").await;
    let created: time::OffsetDateTime =
        a.sql.query_one("SELECT created_at FROM messages WHERE id = $1", &[&sent]).await.expect("the message").get(0);
    let local = created.to_offset(time::UtcOffset::from_hms(10, 0, 0).expect("UTC+10"));
    let shown = format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        local.year(),
        u8::from(local.month()),
        local.day(),
        local.hour(),
        local.minute()
    );

    let response = export(&a, &student, chat, "format=pdf&lang=ru").await;
    assert_eq!(response.status(), 200);
    let pdf = response.bytes().await.expect("pdf");
    assert!(pdf.len() < 100_000, "three messages take {} bytes", pdf.len());
    let file = std::env::temp_dir().join(format!("tutorchat-export-small-{}-{chat}.pdf", std::process::id()));
    std::fs::write(&file, &pdf).expect("write");
    let info = std::process::Command::new("pdfinfo").arg(&file).output().expect("run pdfinfo");
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(info.lines().any(|l| l.starts_with("Title:") && l.contains("Иван Петров — Мария")), "{info}");
    let text = std::process::Command::new("pdftotext").arg(&file).arg("-").output().expect("run pdftotext");
    let text = String::from_utf8_lossy(&text.stdout);
    let _ = std::fs::remove_file(&file);
    assert!(text.contains("Иван Петров — Мария") && !text.contains("Чат "), "{text}");
    assert!(text.contains("Время выгрузки") && text.contains("(Asia/Vladivostok)"), "{text}");
    assert!(text.contains(&format!("#{sent} · Мария · {shown}\n")), "to the minute, at UTC+10: {shown}\n{text}");
    assert!(text.contains("Сделаю 👍") && text.contains("Отлично 📣") && !text.contains('\u{FFFD}'), "{text}");
}

/// A participant's export at a past moment has the messages of that moment, each as it is
/// now: what was hidden, deleted or edited since shows as it does in the chat, never the text
/// it had then (security review M1). An admin's still shows the moment, as the audit does.
#[tokio::test]
async fn a_participants_export_at_a_past_moment_shows_each_message_as_it_is_now() {
    let a = TestApp::spawn_with(|config| config.append.editing = true).await;
    let (teacher, student, admin) =
        (a.user("teacher", "Teacher").await, a.user("student", "Ученица").await, a.user("admin", "Admin").await);
    let chat = a.chat(&teacher, &student).await;
    let edited = a.send(&student, chat, "первый вариант").await;
    let deleted = a.send(&teacher, chat, "отправлено по ошибке").await;
    let hidden = a.send(&teacher, chat, "грубые слова").await;
    let at: time::OffsetDateTime = a.sql.query_one("SELECT now()", &[]).await.expect("now").get(0);
    assert_eq!(a.edit(&student, edited, "исправленный вариант").await.status(), 200);
    assert_eq!(a.delete_message(&teacher, deleted).await.status(), 200);
    let hide = a.http.post(a.url(&format!("/api/admin/messages/{hidden}/hide"))).bearer_auth(&admin.token);
    assert_eq!(hide.json(&json!({ "reason": "грубо" })).send().await.expect("hide").status(), 204);
    let query = format!("format=json&at={}", rfc3339(at).replace('+', "%2B"));

    for participant in [&student, &teacher] {
        let body: Value = export(&a, participant, chat, &query).await.json().await.expect("JSON");
        let text = body.to_string();
        for withheld in ["первый вариант", "отправлено по ошибке", "грубые слова", "грубо"]
        {
            assert!(!text.contains(withheld), "{withheld:?} reached a participant: {text}");
        }
        let messages = body["messages"].as_array().expect("messages");
        let ids: Vec<i64> = messages.iter().map(|m| m["message_id"].as_i64().expect("id")).collect();
        assert_eq!(ids, [edited, deleted, hidden], "the messages of that moment");
        assert_eq!(messages[0]["content"], "исправленный вариант", "the text it has now");
        assert!(!messages[0]["edited_at"].is_null());
        assert_eq!((messages[1]["is_deleted"].as_bool(), messages[1]["content"].as_str()), (Some(true), Some("")));
        assert!(!messages[2]["hidden"].is_null(), "a placeholder: {}", messages[2]);
    }
    let body: Value = export(&a, &admin, chat, &query).await.json().await.expect("JSON");
    let text = body.to_string();
    for kept in ["первый вариант", "отправлено по ошибке", "грубые слова"] {
        assert!(text.contains(kept), "the admin's export is the moment's: {kept:?} missing");
    }
}

/// An export is a GET that records something (`chat_exported`): another site's link or image
/// must not make a signed-in browser record one (security review L4). A cookie-authenticated
/// export the browser marks cross-site is 403 `cross_site_request` and records nothing; the
/// chat's own pages and bearer clients export as before.
#[tokio::test]
async fn another_sites_link_cannot_make_a_browser_record_an_export() {
    let a = TestApp::spawn().await;
    let (teacher, student) = (a.user("teacher", "Teacher").await, a.user("student", "Student").await);
    let chat = a.chat(&teacher, &student).await;
    let exports = async || -> i64 {
        let sql = "SELECT count(*) FROM events WHERE type = 'chat_exported'";
        a.sql.query_one(sql, &[]).await.expect("count").get(0)
    };
    let url = a.url(&format!("/api/chats/{chat}/export?format=json"));
    let with_cookie = |site: Option<&str>, referer: Option<&str>| {
        let mut request = a.http.get(&url).header("cookie", format!("access_token={}", student.token));
        if let Some(site) = site {
            request = request.header("sec-fetch-site", site);
        }
        if let Some(referer) = referer {
            request = request.header("referer", referer);
        }
        request
    };
    for (site, referer) in [(Some("cross-site"), None), (None, Some("https://evil.example/page"))] {
        let (status, body) = status_and_json(with_cookie(site, referer).send().await.expect("GET")).await;
        assert_eq!((status, body["code"].as_str()), (403, Some("cross_site_request")), "{site:?} {referer:?}: {body}");
    }
    assert_eq!(exports().await, 0, "nothing recorded");
    let own = a.url("/");
    for (site, referer) in [(Some("same-origin"), None), (Some("none"), None), (None, Some(own.as_str())), (None, None)]
    {
        assert_eq!(with_cookie(site, referer).send().await.expect("GET").status(), 200, "{site:?} {referer:?}");
    }
    let bearer =
        a.get(&format!("/api/chats/{chat}/export?format=json"), &student).header("sec-fetch-site", "cross-site");
    assert_eq!(bearer.send().await.expect("GET").status(), 200, "a bearer token is never sent by a browser on its own");
    assert_eq!(exports().await, 5);
}

/// A participant's export is of a moment they were a member at: an earlier `at` is moved to
/// when they joined, so a late joiner's export lists nobody who left the group before them
/// (security review L4), and the recorded export says the moment it showed.
#[tokio::test]
async fn a_late_joiners_export_never_shows_the_group_before_they_joined() {
    let a = TestApp::spawn().await;
    let teacher = a.user("teacher", "Teacher").await;
    let (early, gone, late) =
        (a.user("student", "Early").await, a.user("student", "Gone").await, a.user("student", "Late").await);
    let chat = crate::groups::group(&a, &teacher, "Алгебра", &[&early, &gone]).await;
    let before: time::OffsetDateTime = a.sql.query_one("SELECT now()", &[]).await.expect("now").get(0);
    assert_eq!(crate::groups::remove(&a, &teacher, chat, gone.id).await, 204);
    assert_eq!(crate::groups::add(&a, &teacher, chat, late.id).await.0, 201);
    let query = format!("format=json&at={}", rfc3339(before).replace('+', "%2B"));

    let body: Value = export(&a, &late, chat, &query).await.json().await.expect("JSON");
    let names: Vec<&str> =
        body["members"].as_array().expect("members").iter().filter_map(|m| m["name"].as_str()).collect();
    assert!(!names.contains(&"Gone"), "a member who left before they joined: {names:?}");
    assert!(names.contains(&"Late"), "the moment is one they were a member at: {names:?}");
    let at: time::OffsetDateTime =
        time::OffsetDateTime::parse(body["at"].as_str().expect("at"), &time::format_description::well_known::Rfc3339)
            .expect("at");
    assert!(at > before, "the moment moved to their joining");
    // The teacher, a member all along, and an admin still get that moment as it was.
    let body: Value = export(&a, &teacher, chat, &query).await.json().await.expect("JSON");
    assert!(body["members"].to_string().contains("Gone"), "{}", body["members"]);
}

/// The fonts are read from their files once, not for every export: with `EXPORT_FONT` a copy
/// of the font, a PDF exported after the copy is gone still renders in it.
#[tokio::test]
async fn a_pdf_export_reads_its_fonts_once_not_for_every_file() {
    let dir = std::env::temp_dir().join(format!("tutorchat-fonts-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let copy = dir.join("School-Regular.ttf");
    let font = tutorchat::config::GovernanceConfig::default().export_font;
    std::fs::copy(&font, &copy).expect("a copy of EXPORT_FONT");
    let a = TestApp::spawn_with(|c| c.governance.export_font = copy.clone()).await;
    let (teacher, student) = (a.user("teacher", "Иван Петров").await, a.user("student", "Мария").await);
    let chat = a.chat(&teacher, &student).await;
    a.send(&student, chat, "Первое").await;
    assert_eq!(export(&a, &teacher, chat, "format=pdf").await.status(), 200);
    std::fs::remove_dir_all(&dir).expect("the copy removed");
    let again = export(&a, &teacher, chat, "format=pdf").await;
    assert_eq!(again.status(), 200, "the font read before serves the next export");
    assert!(again.bytes().await.expect("pdf").starts_with(b"%PDF-"), "not a PDF");
}
