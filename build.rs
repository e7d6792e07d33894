// The migrations in sql/ are embedded at compile time (refinery::embed_migrations!), and so are
// the function files of sql/functions/ (listed here, in name order, for `db::migrate`): a new or
// changed file there must rebuild the crate.
use std::fmt::Write;

fn main() {
    println!("cargo:rerun-if-changed=sql");
    println!("cargo:rerun-if-changed=sql/functions");
    // The manifest's folder as cargo gives it to this run, not as it was when this script was
    // compiled: a target folder reused by another checkout must embed that checkout's files.
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR");
    let dir = std::path::Path::new(&manifest).join("sql/functions");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("sql/functions")
        .map(|entry| entry.expect("sql/functions entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    let mut list = String::from("&[\n");
    for path in files {
        let name = path.file_stem().expect("file name").to_string_lossy().into_owned();
        writeln!(list, "    ({name:?}, include_str!({:?})),", path.display().to_string()).expect("write");
    }
    list.push_str("]\n");
    let out = std::path::Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("functions.rs");
    std::fs::write(out, list).expect("write functions.rs");
}
