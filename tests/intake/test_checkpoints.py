"""An import's checkpoints keep SQLite's WAL bounded (`amparo.intake.connection.Checkpointer`).

SQLite starts the WAL over only at a transaction begun after a complete checkpoint. A writer that
checkpoints in a thread without ever waiting for one never begins such a transaction, and the WAL
grew to 19 GB over 1.3 million rows. Once the WAL passes the Checkpointer's bound, the writer waits
for the checkpoint of its last commit, and the WAL starts over.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import text

from amparo.db.engine import make_engine
from amparo.intake.connection import Checkpointer

BATCHES = 40
PAGES_PER_BATCH = 25  # 25 rows of 4,000 bytes: about one 4 KiB page each


def _largest_wal(tmp_path: Path, wal_pages: int) -> int:
    """Write BATCHES commits as an import does (autocheckpoint off, a checkpoint after each commit);
    the largest size the WAL file reached, in bytes."""
    database = tmp_path / f"wal-{wal_pages}.db"
    engine = make_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE filler (id INTEGER PRIMARY KEY, body BLOB)"))
    largest = 0
    with engine.connect() as connection:
        connection.connection.driver_connection.execute("PRAGMA wal_autocheckpoint=0")
        checkpointer = Checkpointer(engine, wal_pages=wal_pages)
        try:
            for _batch in range(BATCHES):
                with connection.begin():
                    connection.execute(
                        text("INSERT INTO filler (body) VALUES (randomblob(4000))"), [{}] * PAGES_PER_BATCH
                    )
                checkpointer.committed()
                largest = max(largest, os.path.getsize(f"{database}-wal"))
        finally:
            checkpointer.close()
    engine.dispose()
    return largest


def test_the_wal_starts_over_once_it_passes_the_bound(tmp_path: Path) -> None:
    bound = 3 * PAGES_PER_BATCH
    bounded = _largest_wal(tmp_path, wal_pages=bound)
    # The bound plus the batches written while the last checkpoint ran, each page with its frame header.
    assert bounded < (bound + 3 * PAGES_PER_BATCH) * (4096 + 24) + 32
    # Without waiting (a bound never reached) the same commits leave a WAL several times larger.
    unbounded = _largest_wal(tmp_path, wal_pages=10**9)
    assert unbounded > 3 * bounded
