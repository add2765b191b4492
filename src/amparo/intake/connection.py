"""The connection an import writes with, and on SQLite the checkpoints that keep its WAL short.

Each batch changes thousands of index pages in random key order (name keys, certificate ids, audit
hashes, deadlines): a commit appends every changed page to the WAL, and a checkpoint copies them
into the database file and syncs it. Run by the committing connection (SQLite's automatic
checkpoint), that copy and its sync held up the writer between batches: about as long as the
commit itself at 150,000 rows, growing with the database. Here a thread of the importing process,
on a connection of its own, checkpoints what each batch committed while the writer files the next
one; a PASSIVE checkpoint never blocks the writer. Both connections run `synchronous=FULL`: a commit
is durable when its frames are synced to the WAL, as before, and a checkpoint syncs the database file
before the WAL may be reused.

SQLite starts the WAL over only at a commit whose transaction began when everything in the WAL was
already copied, which a writer that never waits for the checkpoint never sees: the WAL then grows
without end (11 GB after 940,000 rows). So once the WAL holds more than `SQLITE_IMPORT_WAL_PAGES`,
the writer waits for the checkpoint of its last commit before it begins the next batch.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine

#: SQLite page cache for an import's connection (KiB, as PRAGMA cache_size takes a negative number).
#: A file of millions of rows grows indexes with random keys (audit hashes, name keys) far past the
#: default 2 MB cache; 256 MB keeps their upper levels in memory.
SQLITE_IMPORT_CACHE_KIB = 256 * 1024
#: WAL pages past which the writer waits for a checkpoint, so that the WAL starts over (4 KiB pages:
#: 160 MB, four to six batches of 1,000 rows).
SQLITE_IMPORT_WAL_PAGES = 40_000


@contextmanager
def import_connection(engine: Engine) -> Iterator[tuple[Connection, Callable[[], None]]]:
    """The one connection an import writes with, and what to call after each commit.

    On SQLite the connection gets the import's page cache and no automatic checkpoint (the
    `Checkpointer` does them), both put back before it returns to the pool, where live requests would
    get them. Elsewhere the call after a commit does nothing.
    """
    with engine.connect() as connection:
        if connection.dialect.name != "sqlite":
            yield connection, lambda: None
            return
        # On the driver's connection, which runs PRAGMAs outside any transaction (no write lock taken).
        driver = connection.connection.driver_connection
        saved = {name: driver.execute(f"PRAGMA {name}").fetchone()[0] for name in ("cache_size", "wal_autocheckpoint")}
        driver.execute(f"PRAGMA cache_size=-{SQLITE_IMPORT_CACHE_KIB}")
        driver.execute("PRAGMA wal_autocheckpoint=0")
        checkpointer = Checkpointer(engine)
        try:
            yield connection, checkpointer.committed
        finally:
            checkpointer.close()
            if not connection.invalidated:  # an interrupted statement (Ctrl-C) invalidates, and closes, it
                for name, value in saved.items():
                    driver.execute(f"PRAGMA {name}={int(value)}")


class Checkpointer:
    """Checkpoints an SQLite database in a thread of its own, once after each commit it is told of.

    At most one checkpoint runs: `committed` waits for the previous one to finish before asking for
    the next, and for that one too when the WAL has grown past `wal_pages`.
    """

    def __init__(self, engine: Engine, wal_pages: int = SQLITE_IMPORT_WAL_PAGES):
        self._raw = engine.raw_connection()
        self._wal_pages = wal_pages
        #: Pages in the WAL when the last checkpoint ran (copied or not).
        self._in_wal = 0
        self._wanted = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._closing = False
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="amparo-import-checkpoint", daemon=True)
        self._thread.start()

    def committed(self) -> None:
        """Checkpoint what is committed now, once the previous checkpoint has finished.

        Raises: what the previous checkpoint raised, but for a busy database (a live request's own
        checkpoint running: the next one copies what this one would have).
        """
        self._wait()
        self._idle.clear()
        self._wanted.set()
        if self._in_wal > self._wal_pages:
            self._wait()

    def _wait(self) -> None:
        self._idle.wait()
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def close(self) -> None:
        """Wait for the checkpoint running, if any, and end the thread."""
        self._idle.wait()
        self._closing = True
        self._wanted.set()
        self._thread.join()

    def _run(self) -> None:
        try:
            while True:
                self._wanted.wait()
                self._wanted.clear()
                if self._closing:
                    return
                try:
                    _, self._in_wal, _ = self._raw.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                except sqlite3.OperationalError as exc:
                    if "locked" not in str(exc) and "busy" not in str(exc):
                        self._error = exc
                except BaseException as exc:  # handed to the writer by `committed`
                    self._error = exc
                finally:
                    self._idle.set()
        finally:
            self._raw.close()
