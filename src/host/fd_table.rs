//! The guest's file descriptor table: what each fd refers to, its rights
//! and its flags.

use super::fs::{DirFd, FileFd};
use super::stdio::{InputStream, OutputStream};
use crate::wasi_snapshot_preview1::types::{errno, fd, fdflags, filetype, rights};

/// What an fd refers to.
pub(crate) enum FdObject {
    /// A readable stream (stdin).
    Input(InputStream),
    /// A writable stream (stdout, stderr).
    Output(OutputStream),
    /// A file opened through a directory.
    File(FileFd),
    /// A directory: a preopen, or one opened through another.
    Dir(DirFd),
}

/// One open fd.
pub(crate) struct FdEntry {
    pub(crate) object: FdObject,
    pub(crate) rights_base: rights,
    pub(crate) rights_inheriting: rights,
    pub(crate) flags: fdflags,
}

impl FdEntry {
    /// Fails with `notcapable` unless the fd holds every right in `needed`.
    #[inline]
    pub(crate) fn require(&self, needed: rights) -> Result<(), errno> {
        if self.rights_base.contains(needed) {
            Ok(())
        } else {
            Err(errno::notcapable)
        }
    }

    pub(crate) fn filetype(&self) -> filetype {
        match &self.object {
            FdObject::Input(s) => s.filetype(),
            FdObject::Output(s) => s.filetype(),
            FdObject::File(f) => f.filetype,
            FdObject::Dir(_) => filetype::directory,
        }
    }
}

/// Rights of a readable stdio stream.
pub(crate) const STDIN_RIGHTS: rights = rights::from_raw(
    rights::fd_read.raw
        | rights::fd_fdstat_set_flags.raw
        | rights::fd_filestat_get.raw
        | rights::poll_fd_readwrite.raw,
);

/// Rights of a writable stdio stream.
pub(crate) const STDOUT_RIGHTS: rights = rights::from_raw(
    rights::fd_write.raw
        | rights::fd_fdstat_set_flags.raw
        | rights::fd_filestat_get.raw
        | rights::poll_fd_readwrite.raw,
);

/// The fd table. Slots are reused lowest first.
pub(crate) struct FdTable {
    slots: Vec<Option<FdEntry>>,
    open: usize,
    max_open: usize,
}

impl FdTable {
    pub(crate) fn new(max_open: usize) -> FdTable {
        FdTable {
            slots: Vec::new(),
            open: 0,
            max_open,
        }
    }

    #[inline]
    pub(crate) fn get(&self, fd: fd) -> Result<&FdEntry, errno> {
        match self.slots.get(fd as usize) {
            Some(Some(e)) => Ok(e),
            _ => Err(errno::badf),
        }
    }

    #[inline]
    pub(crate) fn get_mut(&mut self, fd: fd) -> Result<&mut FdEntry, errno> {
        match self.slots.get_mut(fd as usize) {
            Some(Some(e)) => Ok(e),
            _ => Err(errno::badf),
        }
    }

    /// Puts `entry` at exactly `fd` (used for stdio at build time).
    pub(crate) fn insert_at(&mut self, fd: fd, entry: FdEntry) {
        let i = fd as usize;
        if self.slots.len() <= i {
            self.slots.resize_with(i + 1, || None);
        }
        if self.slots[i].replace(entry).is_none() {
            self.open += 1;
        }
    }

    /// Whether the table holds its cap of open fds.
    pub(crate) fn is_full(&self) -> bool {
        self.open >= self.max_open
    }

    /// Puts `entry` at the lowest free fd; `mfile` (too many open files in
    /// this process) when the table is full.
    pub(crate) fn insert(&mut self, entry: FdEntry) -> Result<fd, errno> {
        if self.is_full() {
            return Err(errno::mfile);
        }
        let i = match self.slots.iter().position(Option::is_none) {
            Some(i) => i,
            None => {
                self.slots.push(None);
                self.slots.len() - 1
            }
        };
        let fd = fd::try_from(i).map_err(|_| errno::mfile)?;
        self.slots[i] = Some(entry);
        self.open += 1;
        Ok(fd)
    }

    /// Drops the `fd_readdir` listings of every directory fd when together
    /// they hold more than `budget` bytes.
    pub(crate) fn drop_listings_beyond(&mut self, budget: usize) {
        let listings = || {
            self.slots.iter().flatten().filter_map(|e| match &e.object {
                FdObject::Dir(d) => d.listing.as_ref(),
                _ => None,
            })
        };
        if listings().map(super::fs::Listing::bytes).sum::<usize>() <= budget {
            return;
        }
        for e in self.slots.iter_mut().flatten() {
            if let FdObject::Dir(d) = &mut e.object {
                d.listing = None;
            }
        }
    }

    pub(crate) fn remove(&mut self, fd: fd) -> Result<FdEntry, errno> {
        match self.slots.get_mut(fd as usize).and_then(Option::take) {
            Some(e) => {
                self.open -= 1;
                Ok(e)
            }
            None => Err(errno::badf),
        }
    }

    /// Moves `from` onto `to`, closing what `to` held. Both must be open.
    pub(crate) fn renumber(&mut self, from: fd, to: fd) -> Result<(), errno> {
        self.get(from)?;
        self.get(to)?;
        if from == to {
            return Ok(());
        }
        let entry = self.remove(from)?;
        // `to` is open, so this replaces it: the count drops by one overall.
        self.slots[to as usize] = Some(entry);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn null_out() -> FdEntry {
        FdEntry {
            object: FdObject::Output(OutputStream::Null),
            rights_base: STDOUT_RIGHTS,
            rights_inheriting: rights::empty(),
            flags: fdflags::empty(),
        }
    }

    #[test]
    fn insert_takes_the_lowest_free_slot_and_honours_the_cap() {
        let mut t = FdTable::new(4);
        t.insert_at(0, null_out());
        t.insert_at(1, null_out());
        assert_eq!(t.insert(null_out()), Ok(2));
        assert_eq!(t.insert(null_out()), Ok(3));
        assert_eq!(t.insert(null_out()).err(), Some(errno::mfile));
        assert!(t.remove(1).is_ok());
        assert_eq!(t.insert(null_out()), Ok(1));
        assert_eq!(t.remove(7).err(), Some(errno::badf));
    }

    #[test]
    fn renumber_replaces_the_target_and_frees_the_source() {
        let mut t = FdTable::new(8);
        t.insert_at(0, null_out());
        t.insert_at(1, null_out());
        t.get_mut(0).unwrap().flags = fdflags::append;
        assert_eq!(t.renumber(0, 1), Ok(()));
        assert_eq!(t.get(0).err(), Some(errno::badf));
        assert_eq!(t.get(1).unwrap().flags, fdflags::append);
        assert_eq!(t.renumber(1, 1), Ok(()));
        assert_eq!(t.renumber(1, 5).err(), Some(errno::badf));
        assert_eq!(t.renumber(5, 1).err(), Some(errno::badf));
        // One fd left open: the slot freed by the renumber is reused.
        assert_eq!(t.insert(null_out()), Ok(0));
        assert_eq!(t.insert(null_out()), Ok(2));
    }
}
