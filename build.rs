// The migrations in sql/ are embedded at compile time (refinery::embed_migrations!), so a new
// or changed file there must rebuild the crate.
fn main() {
    println!("cargo:rerun-if-changed=sql");
}
