//! SCIM lists are filtered and paged in SQL: a page is the right one of all, a filter finds
//! exactly the resources that match it as the filter reads in memory (every attribute a
//! resource is rendered with), and the statement of a page reads the page, not the directory.

use serde_json::{Value, json};

use super::limits::encoded;
use super::{EXTENSION, Scim, user_body};
use crate::helpers::TestApp;

/// Every resource at `path`, as a client pages through them (200 a page).
async fn all(scim: &Scim<'_>, path: &str) -> Vec<Value> {
    let (status, page) = scim.send("GET", &format!("{path}?count=200"), None).await;
    assert_eq!(status, 200, "{page}");
    page["Resources"].as_array().cloned().unwrap_or_default()
}

fn ids(resources: &[Value]) -> Vec<String> {
    resources.iter().map(|r| r["id"].as_str().expect("id").to_owned()).collect()
}

/// A small school: people with different names, external ids and states, groups, a guardian.
async fn directory(scim: &Scim<'_>) -> (Vec<String>, Vec<String>) {
    let mut people = Vec::new();
    for (i, name) in
        ["ada", "alan", "grace", "barbara", "edsger", "alonzo", "kurt", "emmy", "ada2", "Zed"].into_iter().enumerate()
    {
        let (status, body) = scim.send("POST", "/Users", Some(user_body(name, &format!("E-{i}")))).await;
        assert_eq!(status, 201, "{body}");
        people.push(body["id"].as_str().expect("id").to_owned());
    }
    let mut bare = user_body("noext", "x");
    bare.as_object_mut().expect("object").remove("externalId");
    let (_, body) = scim.send("POST", "/Users", Some(bare)).await;
    people.push(body["id"].as_str().expect("id").to_owned());
    let mut guardian = user_body("gwen", "G-1");
    guardian["schemas"] = json!(["urn:ietf:params:scim:schemas:core:2.0:User", EXTENSION]);
    guardian[EXTENSION] = json!({ "guardianOf": [{ "value": people[2] }] });
    let (status, body) = scim.send("POST", "/Users", Some(guardian)).await;
    assert_eq!(status, 201, "{body}");
    people.push(body["id"].as_str().expect("id").to_owned());
    let off = json!({ "Operations": [{ "op": "replace", "path": "active", "value": false }] });
    for id in [&people[1], &people[4]] {
        scim.send("PATCH", &format!("/Users/{id}"), Some(off.clone())).await;
    }
    let mut groups = Vec::new();
    for (name, members) in [("Teachers", vec![0, 3]), ("Chess club", vec![3, 5, 6]), ("Empty", vec![])] {
        let members: Vec<Value> = members.iter().map(|&i| json!({ "value": people[i] })).collect();
        let group = json!({ "displayName": name, "externalId": format!("X-{name}"), "members": members });
        let (status, body) = scim.send("POST", "/Groups", Some(group)).await;
        assert_eq!(status, 201, "{body}");
        groups.push(body["id"].as_str().expect("id").to_owned());
    }
    (people, groups)
}

/// The filters identity providers and testers send, on every attribute rendered, and some on
/// attributes no resource has.
fn user_filters(people: &[String], groups: &[String], created: &str) -> Vec<String> {
    let mut filters: Vec<String> = [
        r#"userName eq "ADA@school.example""#,
        r#"userName ne "ada@school.example""#,
        r#"userName sw "a""#,
        r#"userName ew "2@school.example""#,
        r#"userName co "LON""#,
        r#"userName gt "b""#,
        r#"userName le "edsger@school.example""#,
        r#"userName sw "a" and userName co "n""#,
        r#"userName sw "e" or userName co "ur" or userName eq "zed@school.example""#,
        r#"(userName sw "a" or userName sw "g") and not (active eq false)"#,
        r#"not (userName sw "a" and (active eq true or externalId eq "E-1"))"#,
        r#"externalId eq "E-3""#,
        r#"externalId eq "e-3""#,
        r#"externalId sw "E-" and externalId ne "E-0""#,
        "externalId pr",
        "not (externalId pr)",
        r#"emails.value co "@SCHOOL""#,
        r#"emails eq "ada@school.example""#,
        r#"emails.value ew "y@school.example""#,
        "emails pr",
        r#"emails.type eq "work""#,
        r#"displayName sw "ada""#,
        r#"displayName eq "Alan Example""#,
        "active eq false",
        "active ne false",
        r#"active eq "true""#,
        "active pr",
        r#"name.givenName eq "ada""#,
        r#"name.givenName ne "ada""#,
        "title pr",
        "userName eq 7",
        "userName eq null",
        r#"meta.resourceType eq "user""#,
        r#"meta.resourceType eq "Group""#,
        "meta.created pr",
        "meta pr",
        r#"meta.location co "/Users/""#,
        r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "ED""#,
        &format!(r#"schemas eq "{EXTENSION}""#),
        r#"schemas co "core""#,
        "groups pr",
        "not (groups pr)",
        r#"groups.display eq "chess club""#,
        r#"groups.display ne "Teachers""#,
        r#"groups.$ref co "/Groups/""#,
        "guardianOf pr",
        &format!(r#"{EXTENSION}:guardianOf.value eq "{}""#, people[2]),
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    filters.push(format!(r#"id eq "{}""#, people[4]));
    filters.push(format!(r#"id gt "{}" and id lt "{}""#, people[2], people[8]));
    filters.push(format!(r#"groups.value eq "{}""#, groups[1]));
    filters.push(format!(r#"meta.created ge "{created}""#));
    filters.push(format!(r#"meta.lastModified lt "{created}""#));
    filters.push(format!(r#"meta.lastModified eq "{created}""#));
    filters
}

#[tokio::test]
async fn lists_filter_and_page_as_the_filter_reads_in_memory() {
    let app = TestApp::spawn().await;
    let scim = Scim::new(&app).await;
    let (people, groups) = directory(&scim).await;
    let users = all(&scim, "/Users").await;
    let all_groups = all(&scim, "/Groups").await;
    assert_eq!(ids(&users), people, "every person, by id");
    assert_eq!(ids(&all_groups), groups);

    // Pages: the k-th person of all of them, and the total.
    for k in [1, 2, 7, people.len(), people.len() + 1] {
        let (status, page) = scim.send("GET", &format!("/Users?count=1&startIndex={k}"), None).await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(
            (page["totalResults"].as_u64(), page["startIndex"].as_u64()),
            (Some(people.len() as u64), Some(k as u64))
        );
        let expected: Vec<String> = people.iter().skip(k - 1).take(1).cloned().collect();
        assert_eq!(ids(page["Resources"].as_array().map(Vec::as_slice).unwrap_or_default()), expected, "page {k}");
        assert_eq!(page["itemsPerPage"].as_u64(), Some(expected.len() as u64));
    }

    // Some by hand, the rest against the in-memory reading of the same filter.
    let found = |filter: String| {
        let scim = &scim;
        async move {
            let (status, page) = scim.send("GET", &format!("/Users?filter={}&count=200", encoded(&filter)), None).await;
            assert_eq!(status, 200, "{filter}: {page}");
            page
        }
    };
    let a = found(r#"userName sw "a" and not (active eq false)"#.to_owned()).await;
    assert_eq!(
        ids(a["Resources"].as_array().expect("list")),
        vec![people[0].clone(), people[5].clone(), people[8].clone()]
    );
    let created = users[3]["meta"]["created"].as_str().expect("created").to_owned();
    let (mut some, mut none) = (0, 0);
    for filter in user_filters(&people, &groups, &created) {
        let expected: Vec<Value> = users
            .iter()
            .filter(|u| tutorchat::scim::filter_matches(&filter, u).expect("a valid filter"))
            .cloned()
            .collect();
        *(if expected.is_empty() { &mut none } else { &mut some }) += 1;
        let page = found(filter.clone()).await;
        assert_eq!(page["totalResults"].as_u64(), Some(expected.len() as u64), "{filter}");
        assert_eq!(page["Resources"].as_array().cloned().unwrap_or_default(), expected, "{filter}");
        // A page of the matching ones.
        let (_, second) =
            scim.send("GET", &format!("/Users?filter={}&startIndex=2&count=2", encoded(&filter)), None).await;
        let expected_page: Vec<Value> = expected.iter().skip(1).take(2).cloned().collect();
        assert_eq!(second["Resources"].as_array().cloned().unwrap_or_default(), expected_page, "{filter}, page 2");
        assert_eq!(second["totalResults"].as_u64(), Some(expected.len() as u64), "{filter}");
    }
    assert!(some > 30 && none > 5, "the filters find some people and no one: {some} and {none}");

    let group_filters = [
        r#"displayName eq "teachers""#.to_owned(),
        r#"displayName sw "C" or displayName ew "ty""#.to_owned(),
        "members pr".to_owned(),
        "not (members pr)".to_owned(),
        format!(r#"members.value eq "{}""#, people[3]),
        r#"members.$ref co "/Users/""#.to_owned(),
        r#"externalId eq "X-Empty""#.to_owned(),
        r#"externalId eq "x-empty""#.to_owned(),
        r#"meta.resourceType eq "Group""#.to_owned(),
        format!(r#"id ne "{}""#, groups[0]),
        r#"userName pr"#.to_owned(),
    ];
    for filter in group_filters {
        let expected: Vec<Value> = all_groups
            .iter()
            .filter(|g| tutorchat::scim::filter_matches(&filter, g).expect("a valid filter"))
            .cloned()
            .collect();
        let (status, page) = scim.send("GET", &format!("/Groups?filter={}", encoded(&filter)), None).await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(page["totalResults"].as_u64(), Some(expected.len() as u64), "{filter}");
        assert_eq!(page["Resources"].as_array().cloned().unwrap_or_default(), expected, "{filter}");
    }

    // /.search: Users then Groups, paged across the two.
    let everything: Vec<Value> = users.iter().chain(&all_groups).cloned().collect();
    for (filter, start, count) in
        [("meta pr", 11, 4), ("meta pr", 1, 200), (r#"displayName co "e""#, 3, 3), ("meta pr", 14, 5)]
    {
        let search = json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                             "filter": filter, "startIndex": start, "count": count });
        let (status, page) = scim.send("POST", "/.search", Some(search)).await;
        assert_eq!(status, 200, "{page}");
        let matching: Vec<&Value> =
            everything.iter().filter(|r| tutorchat::scim::filter_matches(filter, r).expect("a valid filter")).collect();
        let expected: Vec<Value> = matching.iter().skip(start - 1).take(count).map(|r| (*r).clone()).collect();
        assert_eq!(page["totalResults"].as_u64(), Some(matching.len() as u64), "{filter} {start} {count}");
        assert_eq!(page["Resources"].as_array().cloned().unwrap_or_default(), expected, "{filter} {start} {count}");
    }
}

#[tokio::test]
async fn a_page_of_users_reads_the_page_not_the_directory() {
    let app = TestApp::spawn().await;
    let scim = Scim::new(&app).await;
    const PEOPLE: i64 = 2_000;
    app.sql
        .execute(
            "INSERT INTO users (email, name, role, user_name)
             SELECT 'p' || i || '@school.example', 'Person ' || i, 'student', 'p' || i || '@school.example'
             FROM generate_series(1, $1::bigint) i",
            &[&PEOPLE],
        )
        .await
        .expect("people");
    app.sql.batch_execute("ANALYZE users").await.expect("analyze");
    let first: i64 = app.sql.query_one("SELECT min(id) FROM users", &[]).await.expect("first").get(0);

    let (status, page) = scim.send("GET", "/Users?count=1&startIndex=1000", None).await;
    assert_eq!((status, page["totalResults"].as_i64()), (200, Some(PEOPLE)), "{page}");
    assert_eq!(page["Resources"][0]["id"], (first + 999).to_string());
    assert_eq!(page["Resources"][0]["userName"], "p1000@school.example");

    for filter in [None, Some(r#"userName sw "p1" and active eq true"#)] {
        let statement =
            tutorchat::scim::users_page_statement(filter, "http://x/scim/v2", 3, 1).expect("a page's statement");
        let plan = crate::helpers::plan(
            &app.sql,
            "ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF",
            &statement.sql,
            &statement.params(),
        )
        .await;
        // The users the page walks: the two it skips and its one, by id (not every person).
        let users_read = plan
            .lines()
            .filter(|l| l.contains(" on users "))
            .filter_map(|l| l.split("actual rows=").nth(1)?.split(' ').next()?.parse::<i64>().ok())
            .collect::<Vec<_>>();
        assert!(!users_read.is_empty() && users_read.iter().all(|&rows| rows <= 3), "{filter:?}:\n{plan}");
        assert!(!plan.contains("Seq Scan on users") && !plan.contains("Sort"), "{filter:?}:\n{plan}");
    }
}
