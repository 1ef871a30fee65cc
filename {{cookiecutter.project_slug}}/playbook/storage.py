"""The data folder as a disk: whether commands can write to it, what a missing, read-only, foreign-owned
or full one means, in one sentence each (`playbook doctor` reports the same problems, its `data` check), and
how everything a command makes on it is written (`building`: under a partial name, renamed when complete).
"""
import errno
import hashlib
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from . import settings
from .errors import UserError

# How errno ENOSPC reads in a program's output (TensorFlow's, KenLM's): a failed program said the disk was full.
NO_SPACE = "No space left on device"


def mount_of(path):
    """The mount point holding PATH (or the nearest folder of it that exists)."""
    path = Path(os.path.abspath(str(path)))
    while not path.exists():
        path = path.parent
    while not os.path.ismount(str(path)) and path != path.parent:
        path = path.parent
    return path


def problem(root=None):
    """(what is wrong, what to do) when commands cannot write to ROOT (default: the data folder); else None."""
    root = Path(root or settings.DATA_ROOT)
    if not root.is_dir():
        return ("the data folder {} does not exist".format(root),
                "attach the data volume there (docker run -v NAME:{0}; the dev containers do), or set PLAYBOOK_DATA to a "
                "folder that exists".format(root))
    if os.statvfs(str(root)).f_flag & os.ST_RDONLY:
        return ("{} is mounted read-only".format(root), "mount it read-write (no `:ro` or `readonly` on the volume)")
    owner, me = os.stat(str(root)).st_uid, os.getuid()
    try:
        with tempfile.NamedTemporaryFile(dir=str(root), prefix=".write-test-"):
            pass
    except OSError as error:
        if error.errno == errno.ENOSPC:
            return ("{} is full".format(root), "free space on it or attach a larger disk")
        return ("{} is owned by uid {} and you (uid {}) cannot write to it ({})".format(root, owner, me, error.strerror),
                "as root, once: `chown -R {} {}`".format(me, root))
    return None


def require_writable():
    """Refuse, in one sentence, before a command that writes to the data folder starts."""
    found = problem()
    if found:
        raise UserError("{}; {}, then run the command again.".format(*found))


def describe_os_error(error):
    """One sentence for an OSError that reached the command line: what ran out or was refused, where, what to do."""
    where = error.filename or settings.DATA_ROOT
    if error.errno == errno.ENOSPC:
        return no_space(where)
    if error.errno == errno.EROFS:
        return "{} is on a read-only file system; mount it read-write and run the command again.".format(where)
    if error.errno in (errno.EACCES, errno.EPERM):
        return ("permission denied on {} (you are uid {}); make it yours (as root: `chown -R {} {}`) and run the command "
                "again.".format(where, os.getuid(), os.getuid(), settings.DATA_ROOT))
    return "{}: {}; check the path and run the command again.".format(where, error.strerror or error)


def no_space(where):
    mount = mount_of(where)
    try:
        free = os.statvfs(str(mount))
        free = "{:.1f} MB free".format(free.f_bavail * free.f_frsize / 1e6)
    except OSError:
        free = "free space unknown"
    return ("no space left on {} ({}) while writing {}; what earlier commands made is kept: free some space (`du -sh {}/*` "
            "shows what is large) or attach a larger disk, then run the command again.".format(mount, free, where, mount))


def partial_of(target, hidden=False):
    """Where TARGET is written until it is complete: TARGET.partial beside it (.TARGET.partial: out of listings)."""
    target = Path(str(target))
    return target.with_name(("." if hidden else "") + target.name + ".partial")


@contextmanager
def building(target, folder=True, reuse=False, hidden=False):
    """Write TARGET under its partial name and rename it into place only when the block ends without an error,
    so a killed, failed or disk-full command never leaves a half-made TARGET under its name.

    folder=True: the partial folder is made (empty, unless REUSE keeps what an earlier attempt left there to
    be used again); the rename refuses a TARGET folder that appeared meanwhile, so nothing is overwritten.
    folder=False: a file the block writes whole, replacing TARGET in one step (a run's config.toml).
    A block that fails leaves its partial where the next attempt finds it (and reuses or removes it).
    """
    partial = partial_of(target, hidden)
    if folder:
        if not reuse:
            shutil.rmtree(str(partial), ignore_errors=True)
        partial.mkdir(parents=True, exist_ok=True)
    yield partial
    if folder:
        os.rename(str(partial), str(target))
    else:
        os.replace(str(partial), str(target))


def sha256_of(path):
    """The SHA-256 of the file at PATH, read a MiB at a time (checkpoints and shards are hundreds of MB)."""
    digest = hashlib.sha256()
    with open(str(path), "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
