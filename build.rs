// The migrations are embedded in the binary (`embed_migrations!`); a changed or new migration
// must rebuild it.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
