//! Unread counts are derived, never kept: after random sequences of sends, deletions, hides and
//! unhides, purges, joins, leaves and reads in a group, every member's count in the chat list
//! and in `GET /api/unread-count` equals a plain count over a model of the chat the test keeps
//! itself (the messages after the member's marker that someone else sent and that are not
//! deleted, hidden or purged), and no message writes a member's row.

use serde_json::json;
use time::OffsetDateTime;

use super::unread_total;
use crate::announcements::audience::row_versions;
use crate::governance::one_retention_at_a_time;
use crate::groups::{add, group, remove};
use crate::helpers::{TestApp, User};

/// splitmix64: the sequence a seed gives is the same on every run, so a failure names its seed.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> Option<T> {
        (!items.is_empty()).then(|| items[self.below(items.len())])
    }
}

struct Message {
    id: i64,
    sender: usize,
    at: OffsetDateTime,
    deleted: bool,
    hidden: bool,
    purged: bool,
}

/// The chat as the test sees it: its messages in order, and each person's membership and marker.
#[derive(Default)]
struct Model {
    messages: Vec<Message>,
    /// Per person (0 is the teacher, the group's owner): their read marker while a member.
    markers: Vec<Option<i64>>,
}

impl Model {
    fn unread(&self, person: usize) -> Option<i64> {
        let marker = self.markers[person]?;
        let counted = self
            .messages
            .iter()
            .filter(|m| m.id > marker && m.sender != person && !m.deleted && !m.hidden && !m.purged);
        Some(counted.count() as i64)
    }

    fn members(&self) -> Vec<usize> {
        (0..self.markers.len()).filter(|p| self.markers[*p].is_some()).collect()
    }

    /// Joining reads up to the chat's newest message, deleted or not.
    fn join(&mut self, person: usize) {
        self.markers[person] = Some(self.messages.iter().map(|m| m.id).max().unwrap_or(0));
    }

    /// A read without a message reads up to the newest one not deleted.
    fn read(&mut self, person: usize, up_to: Option<i64>) {
        let newest = self.messages.iter().filter(|m| !m.deleted).map(|m| m.id).max();
        if let (Some(marker), Some(to)) = (self.markers[person].as_mut(), up_to.or(newest)) {
            *marker = (*marker).max(to);
        }
    }
}

async fn act(app: &TestApp, admin: &User, path: String) -> u16 {
    let request = app.http.post(app.url(&path)).bearer_auth(&admin.token).json(&json!({ "reason": "проверка" }));
    request.send().await.expect("POST").status().as_u16()
}

async fn run(seed: u64, steps: usize) {
    let _turn = one_retention_at_a_time().await; // purges run here
    let app = TestApp::spawn().await;
    let admin = app.user("admin", "Завуч").await;
    let mut people = vec![app.user("teacher", "Иван").await];
    for name in ["Маша", "Петя", "Оля", "Коля"] {
        people.push(app.user("student", name).await);
    }
    let chat = group(&app, &people[0], "7Б", &[&people[1], &people[2]]).await;
    let mut model = Model { markers: vec![Some(0), Some(0), Some(0), None, None], ..Model::default() };
    let mut random = Random(seed);

    for step in 0..steps {
        let members = model.members();
        let what = match random.below(20) {
            0..=6 => {
                let sender = random.pick(&members).expect("the teacher stays");
                let versions = row_versions(&app, chat).await;
                let id = app.send(&people[sender], chat, &format!("{seed}/{step}")).await;
                assert_eq!(
                    row_versions(&app, chat).await,
                    versions,
                    "seed {seed} step {step}: a message wrote a member's row"
                );
                let at =
                    app.sql.query_one("SELECT created_at FROM messages WHERE id = $1", &[&id]).await.expect("sent");
                model.messages.push(Message {
                    id,
                    sender,
                    at: at.get(0),
                    deleted: false,
                    hidden: false,
                    purged: false,
                });
                format!("{sender} sends {id}")
            }
            7..=8 => {
                let own: Vec<usize> = (0..model.messages.len())
                    .filter(|i| !model.messages[*i].deleted && members.contains(&model.messages[*i].sender))
                    .collect();
                let Some(i) = random.pick(&own) else { continue };
                let message = &mut model.messages[i];
                let status = app.delete_message(&people[message.sender], message.id).await.status();
                assert_eq!(status, 200, "seed {seed} step {step}: deleting {}", message.id);
                message.deleted = true;
                format!("{} deletes {}", message.sender, message.id)
            }
            9..=10 => {
                let shown: Vec<usize> = (0..model.messages.len()).filter(|i| !model.messages[*i].deleted).collect();
                let Some(i) = random.pick(&shown) else { continue };
                let message = &mut model.messages[i];
                let verb = if message.hidden { "unhide" } else { "hide" };
                let status = act(&app, &admin, format!("/api/admin/messages/{}/{verb}", message.id)).await;
                assert!((200..300).contains(&status), "seed {seed} step {step}: {verb} {} gave {status}", message.id);
                message.hidden = !message.hidden;
                format!("the admin {verb}s {}", message.id)
            }
            11..=14 => {
                let reader = random.pick(&members).expect("the teacher stays");
                let up_to = match random.below(3) {
                    0 => None,
                    _ => random.pick(&model.messages.iter().map(|m| m.id).collect::<Vec<_>>()),
                };
                let status = app.read(&people[reader], chat, up_to).await.status();
                assert_eq!(status, 204, "seed {seed} step {step}: {reader} reads up to {up_to:?}");
                model.read(reader, up_to);
                format!("{reader} reads up to {up_to:?}")
            }
            15..=16 => {
                let outside: Vec<usize> = (1..people.len()).filter(|p| model.markers[*p].is_none()).collect();
                let Some(person) = random.pick(&outside) else { continue };
                let (status, body) = add(&app, &people[0], chat, people[person].id).await;
                assert!((200..300).contains(&status), "seed {seed} step {step}: adding {person}: {body}");
                model.join(person);
                format!("{person} joins")
            }
            17..=18 => {
                let students: Vec<usize> = members.iter().copied().filter(|p| *p > 0).collect();
                let Some(person) = random.pick(&students) else { continue };
                let status = remove(&app, &people[person], chat, people[person].id).await;
                assert_eq!(status, 204, "seed {seed} step {step}: {person} leaves");
                model.markers[person] = None;
                format!("{person} leaves")
            }
            _ => {
                let Some(i) = random.pick(&(0..model.messages.len()).collect::<Vec<_>>()) else { continue };
                // Retention purges what was created before its horizon: message i and those before.
                let horizon = model.messages[i].at + time::Duration::microseconds(1);
                tutorchat::governance::retention::purge(&app.state, horizon).await.expect("purge");
                for message in model.messages.iter_mut().filter(|m| m.at < horizon) {
                    message.purged = true;
                }
                format!("retention purges up to {horizon}")
            }
        };

        for person in model.members() {
            let expected = model.unread(person).expect("a member");
            let listed = app.unread(&people[person], chat).await;
            assert_eq!(listed, expected, "seed {seed} step {step} ({what}): person {person}'s count in the chat list");
            let (status, total) = unread_total(&app, &people[person]).await;
            assert_eq!(
                (status, total["unread_count"].as_i64()),
                (200, Some(expected)),
                "seed {seed} step {step} ({what}): person {person}'s total"
            );
        }
    }
    crate::governance::audit_is_clean(&app).await;
}

#[tokio::test]
async fn random_sends_deletions_hides_purges_joins_leaves_and_reads_keep_every_count_exact() {
    for seed in [1, 2, 3] {
        run(seed, 80).await;
    }
}
