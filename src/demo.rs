//! Demo data: a student, a teacher and an admin with one completed lesson (so a chat exists
//! at once, with two messages), a second student whose lesson is still scheduled, so the
//! teacher can complete it and watch the new chat appear, and the teacher's inquiry link
//! ([`DEMO_INQUIRY_PATH`]), so a visitor can ask him something without an account. Safe to
//! run on every start.

use tokio_postgres::Client;

use crate::log::{self, NewEvent};

pub const DEMO_USERS: [(&str, &str, &str); 4] = [
    ("maria@demo.school", "Мария Иванова", "student"),
    ("ivan@demo.school", "Иван Петров", "teacher"),
    ("alex@demo.school", "Alex Kim", "student"),
    ("admin@demo.school", "Ольга Админ", "admin"),
];

/// The demo teacher's inquiry link (open it in a private window to be a guest).
pub const DEMO_INQUIRY_PATH: &str = "/inquiry/demoEGEmatematika2026askIvanPetrov";

pub async fn seed(client: &mut Client) -> anyhow::Result<()> {
    let tx = client.transaction().await?;
    for (email, name, role) in DEMO_USERS {
        tx.execute(
            "INSERT INTO users (email, name, role) VALUES ($1, $2, $3) ON CONFLICT (email) DO NOTHING",
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
            "INSERT INTO lessons (teacher_id, student_id, scheduled_at, status)
             VALUES ($1, $2, now() - interval '1 day', 'completed')",
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
                },
                NewEvent::MessageCreated {
                    chat_id,
                    sender_id: maria,
                    content: "Спасибо, Иван Петрович! Сделаю 👍".into(),
                    reply_to: None,
                    attachment_ids: Vec::new(),
                },
            ],
        )
        .await?;
    }
    if lessons_of(alex).await? == 0 {
        tx.execute(
            "INSERT INTO lessons (teacher_id, student_id, scheduled_at, status)
             VALUES ($1, $2, now() + interval '1 hour', 'scheduled')",
            &[&ivan, &alex],
        )
        .await?;
    }
    let token = DEMO_INQUIRY_PATH.trim_start_matches("/inquiry/");
    tx.execute(
        "INSERT INTO inquiry_links (token, host_id, created_by, title, context)
         VALUES ($1, $2, $2, 'Вопросы о курсе ЕГЭ по математике', '{\"type\": \"course\", \"title\": \"ЕГЭ математика\"}')
         ON CONFLICT (token) DO NOTHING",
        &[&token, &ivan],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
