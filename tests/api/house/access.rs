//! Authorization has one home, `src/access/`: a handler neither asks the delivery hub whether
//! someone is a member, nor reads membership windows itself, nor branches on the caller being
//! an admin. It names an extractor (`Admin`, `Staff`, `Participant`, `Writer`) or calls the
//! module (`check_access`, `check_read_access`, `group_manager`, `viewer`, …).

use super::sources;

/// The text of a source file without its comments (a doc may name what the code must not do).
fn code(text: &str) -> String {
    text.lines().filter(|line| !line.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
}

#[test]
fn authorization_is_decided_only_in_src_access() {
    let mut found = Vec::new();
    for (path, text) in sources() {
        let path_text = path.to_string_lossy().into_owned();
        if path_text.starts_with("src/access/") {
            continue;
        }
        let code = code(&text);
        // The hub routes deliveries; whether someone may use a chat is access's to say.
        if code.contains(".is_member(") && !path_text.starts_with("src/realtime/hub/") {
            found.push(format!("{path_text}: asks the hub about membership"));
        }
        // Who is an admin is a role the authentication module reads from the token and the
        // access module decides on.
        if !path_text.starts_with("src/auth/") && code.contains(".is_admin()") {
            found.push(format!("{path_text}: branches on the caller being an admin"));
        }
        if path_text.starts_with("src/api/") && code.contains("Role::Admin") {
            found.push(format!("{path_text}: decides by the admin role itself"));
        }
        // The read rule's windows (`Readable`), but for the two statements that apply the same
        // windows set-based, inside one statement, for speed: the replay's read of the log
        // (src/log/replay.rs) and search's (src/api/search/sql.rs).
        let windowed = ["src/api/search/sql.rs", "src/log/replay.rs"];
        if code.contains("FROM chat_memberships") && !windowed.contains(&path_text.as_str()) {
            found.push(format!("{path_text}: reads membership windows itself"));
        }
        // A guardian's reading: the rule (src/access/), the replay's statement, and the
        // guardians' own module (their links, their chat list), and a new chat's header, which
        // says whether guardians read it.
        let guardians = [
            "src/log/store.rs",
            "src/api/guardians.rs",
            "src/access/chat.rs",
            "src/access/records.rs",
            "src/realtime/frames/mod.rs",
        ];
        let reads_links = ["FROM guardian_links", "JOIN guardian_links"].iter().any(|sql| code.contains(sql));
        if reads_links && !guardians.contains(&path_text.as_str()) {
            found.push(format!("{path_text}: reads guardians' links itself"));
        }
        if path_text.starts_with("src/api/") && code.contains("EXISTS (SELECT 1 FROM chat_participants") {
            found.push(format!("{path_text}: decides membership in its own SQL"));
        }
    }
    assert!(found.is_empty(), "authorization outside src/access/: {found:#?}");
}
