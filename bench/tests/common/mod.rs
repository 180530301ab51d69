//! What the differential tests (`differential.rs`, `battery.rs`) share:
//! the snapshot of a fixture tree that both hosts' copies are compared by.

use std::collections::BTreeMap;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Every entry under `root` (not `root` itself) without following
/// symlinks, as one line each, sorted by path: `a.txt file "hello"`
/// (longer files as `big file <len> bytes fnv=<hash>`), `d dir`,
/// `l -> target`, `x other`.
pub fn tree_lines(root: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).expect("read_dir") {
            let path = entry.expect("read_dir entry").path();
            let meta = std::fs::symlink_metadata(&path).expect("lstat");
            let rel = path
                .strip_prefix(root)
                .expect("under root")
                .as_os_str()
                .as_bytes()
                .escape_ascii()
                .to_string();
            let ft = meta.file_type();
            let line = if ft.is_symlink() {
                let t = std::fs::read_link(&path).expect("readlink");
                format!("{rel} -> {}", t.as_os_str().as_bytes().escape_ascii())
            } else if ft.is_dir() {
                walk(root, &path, out);
                format!("{rel} dir")
            } else if ft.is_file() {
                let bytes = std::fs::read(&path).expect("read file");
                if bytes.len() <= 64 {
                    format!("{rel} file \"{}\"", bytes.escape_ascii())
                } else {
                    format!("{rel} file {} bytes fnv={:016x}", bytes.len(), fnv(&bytes))
                }
            } else {
                format!("{rel} other")
            };
            out.insert(rel, line);
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out.into_values().collect()
}

/// FNV-1a of `bytes`: a short fingerprint of a large file's contents.
pub fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
    })
}
