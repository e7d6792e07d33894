//! Demo data: a student, a teacher and an admin with one completed lesson (so a chat exists
//! at once, with two messages), a second student whose lesson is still scheduled, so the
//! teacher can complete it and watch the new chat appear, and the teacher's inquiry link
//! ([`DEMO_INQUIRY_PATH`]), so a visitor can ask him something without an account, and the
//! first student's mother as her guardian, who reads her chats, and a second teacher with no
//! lessons yet, to whom an admin can hand the first one's chats when he leaves the school.
//! Safe to run on every start.
//! Also the demo's own signing key ([`signing_key`]).

use std::path::Path;

use tokio_postgres::Client;

use crate::config::{ConfigError, JwtConfig, Secret};

use crate::log::{self, NewEvent};

pub const DEMO_USERS: [(&str, &str, &str); 6] = [
    ("maria@demo.school", "Мария Иванова", "student"),
    ("ivan@demo.school", "Иван Петров", "teacher"),
    ("alex@demo.school", "Alex Kim", "student"),
    ("admin@demo.school", "Ольга Админ", "admin"),
    ("elena@demo.school", "Елена Иванова", "guardian"),
    ("anna@demo.school", "Анна Смирнова", "teacher"),
];

/// The demo teacher's inquiry link (open it in a private window to be a guest).
pub const DEMO_INQUIRY_PATH: &str = "/inquiry/demoEGEmatematika2026askIvanPetrov";

pub async fn seed(client: &mut Client) -> anyhow::Result<()> {
    let tx = client.transaction().await?;
    for (email, name, role) in DEMO_USERS {
        tx.execute(
            "INSERT INTO users (email, name, role) VALUES ($1, $2, $3) ON CONFLICT (school_id, email) DO NOTHING",
            &[&email, &name, &role],
        )
        .await?;
    }
    let id = |email: &'static str| {
        let tx = &tx;
        async move { tx.query_one("SELECT id FROM users WHERE email = $1", &[&email]).await.map(|r| r.get::<_, i64>(0)) }
    };
    let (maria, ivan, alex) =
        (id("maria@demo.school").await?, id("ivan@demo.school").await?, id("alex@demo.school").await?);
    // Мария's mother reads her chats from before the first lesson (linking again is a no-op).
    let (admin_id, elena) = (id("admin@demo.school").await?, id("elena@demo.school").await?);
    log::append(&tx, &[NewEvent::Guardian { admin_id, guardian_id: elena, student_id: maria, linked: true }]).await?;

    let lessons_of = |student: i64| {
        let tx = &tx;
        async move {
            tx.query_one("SELECT count(*) FROM lessons WHERE teacher_id = $1 AND student_id = $2", &[&ivan, &student])
                .await
                .map(|r| r.get::<_, i64>(0))
        }
    };
    if lessons_of(maria).await? == 0 {
        tx.execute(
            "INSERT INTO lessons (teacher_id, student_id, scheduled_at, status, subject)
             VALUES ($1, $2, now() - interval '1 day', 'completed', 'Алгебра'),
                    ($1, $2, now() - interval '8 days', 'completed', 'Геометрия')",
            &[&ivan, &maria],
        )
        .await?;
        let chat_id: i64 = tx
            .query_one("SELECT id FROM chats WHERE teacher_id = $1 AND student_id = $2", &[&ivan, &maria])
            .await?
            .get(0);
        log::append(
            &tx,
            &[
                NewEvent::MessageCreated {
                    chat_id,
                    sender_id: ivan,
                    content: "Здравствуйте, Мария! Домашнее задание на завтра: упражнения 3 и 4 📚".into(),
                    reply_to: None,
                    attachment_ids: Vec::new(),
                    mentions: Vec::new(),
                },
                NewEvent::MessageCreated {
                    chat_id,
                    sender_id: maria,
                    content: "Спасибо, Иван Петрович! Сделаю 👍".into(),
                    reply_to: None,
                    attachment_ids: Vec::new(),
                    mentions: Vec::new(),
                },
            ],
        )
        .await?;
        // The lesson opened Елена's own chat with Иван too (she was linked): a word there.
        let family: i64 = tx
            .query_one(
                "SELECT id FROM chats WHERE kind = 'family' AND guardian_id = $1 AND teacher_id = $2",
                &[&elena, &ivan],
            )
            .await?
            .get(0);
        let said = |sender_id: i64, content: &str| NewEvent::MessageCreated {
            chat_id: family,
            sender_id,
            content: content.into(),
            reply_to: None,
            attachment_ids: Vec::new(),
            mentions: Vec::new(),
        };
        log::append(
            &tx,
            &[
                said(elena, "Иван Петрович, добрый вечер! Как у Марии дела с геометрией?"),
                said(ivan, "Добрый вечер, Елена! Хорошо: на прошлой неделе решила все задачи сама."),
            ],
        )
        .await?;
        // A conversation they had: both read it, so nobody is notified or emailed of it now.
        let newest: i64 = tx.query_one("SELECT max(id) FROM messages WHERE chat_id = $1", &[&family]).await?.get(0);
        let read = |reader_id: i64| NewEvent::ChatRead {
            chat_id: family,
            reader_id,
            up_to_message_id: newest,
            message_ids: Vec::new(),
        };
        log::append(&tx, &[read(elena), read(ivan)]).await?;
    }
    if lessons_of(alex).await? == 0 {
        tx.execute(
            "INSERT INTO lessons (teacher_id, student_id, scheduled_at, status, subject)
             VALUES ($1, $2, now() + interval '1 hour', 'scheduled', 'Алгебра')",
            &[&ivan, &alex],
        )
        .await?;
    }
    let token = DEMO_INQUIRY_PATH.trim_start_matches("/inquiry/");
    tx.execute(
        "INSERT INTO inquiry_links (token, host_id, created_by, title, context, listed)
         VALUES ($1, $2, $2, 'Вопросы о курсе ЕГЭ по математике', '{\"type\": \"course\", \"title\": \"ЕГЭ математика\"}', true)
         ON CONFLICT (school_id, token) DO NOTHING",
        &[&token, &ivan],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The demo's signing key, used when `JWT_SECRET` is unset: random, created once, kept with
/// the demo's data (`DATA_DIR/jwt-secret`, readable by its owner only) so that browser sessions
/// survive a restart. Passed to `Config::from_env` by `serve --demo` and `topology` only.
pub fn signing_key(data_dir: &Path) -> Result<Secret, ConfigError> {
    use std::os::unix::fs::OpenOptionsExt;
    let path = data_dir.join("jwt-secret");
    if let Ok(existing) = std::fs::read(&path)
        && existing.len() >= JwtConfig::MIN_SECRET_BYTES
    {
        // Earlier versions wrote it readable by everyone.
        let _ = std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600));
        return Ok(Secret::new(existing));
    }
    let fail = |e: std::io::Error| {
        ConfigError::new("JWT_SECRET", format!("is not set and {} cannot be written ({e})", path.display()))
    };
    let hex: String = rand::random::<[u8; 32]>().iter().map(|b| format!("{b:02x}")).collect();
    std::fs::create_dir_all(data_dir).map_err(fail)?;
    // Readable by its owner only: whoever reads it can sign in as anyone.
    let mut file =
        std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&path).map_err(fail)?;
    std::io::Write::write_all(&mut file, hex.as_bytes()).map_err(fail)?;
    Ok(Secret::new(hex.into_bytes()))
}
