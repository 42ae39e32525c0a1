//! The sandboxed extraction child (see `atzinums_ingest::sandbox`). Not meant to be run by hand.

fn main() {
    atzinums_ingest::sandbox::child_main()
}
