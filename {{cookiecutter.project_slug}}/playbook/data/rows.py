"""The import's rows on disk while `playbook import` works (a scratch SQLite database in <name>.partial): every
row of the source with its transcript, split, speaker and reason, queried by the importer and removed at the end."""
import json
import sqlite3


class RowStore(object):
    """The import's rows on disk. Rebuilt by every run (reading the sources again is quick); the audio
    is what a rerun reuses, through converted.jsonl."""
    COLUMNS = ("source", "origin", "split", "speaker", "original", "transcript", "reason", "detail", "wav")

    def __init__(self, path):
        if path.exists():
            path.unlink()
        self.path = path
        self.db = sqlite3.connect(str(path))
        # Scratch data: a crash loses nothing the next run does not rebuild, so no journal and no fsync.
        self.db.execute("PRAGMA journal_mode = OFF")
        self.db.execute("PRAGMA synchronous = OFF")
        self.db.execute("CREATE TABLE rows (id INTEGER PRIMARY KEY, source TEXT, origin TEXT, split TEXT, speaker TEXT, "
                        "original TEXT, transcript TEXT, reason TEXT, detail TEXT, wav TEXT, seconds REAL)")
        self.db.execute("CREATE TABLE seen (key TEXT PRIMARY KEY, origin TEXT)")
        self.db.execute("CREATE TABLE stems (stem TEXT PRIMARY KEY, uses INTEGER)")
        self.db.execute("CREATE TABLE converted (wav TEXT PRIMARY KEY, source TEXT)")

    def load_converted(self, log):
        """What an interrupted import already converted: converted.jsonl's lines, wav -> its source's
        [path, size, mtime] (as JSON text)."""
        if not log.is_file():
            return
        with open(str(log)) as handle:
            for line in handle:
                try:
                    entry = json.loads(line)
                    self.db.execute("INSERT OR REPLACE INTO converted VALUES (?, ?)", (entry["wav"], json.dumps(entry["source"])))
                except (ValueError, KeyError):
                    continue  # the last line of a killed import may be cut short
        self.db.commit()

    def converted_from(self, wav, stamp):
        """True when WAV was converted from the source STAMP describes (same path, size and time)."""
        found = self.db.execute("SELECT source FROM converted WHERE wav = ?", (wav,)).fetchone()
        return bool(found) and found[0] == json.dumps(stamp)

    def first_origin(self, key, origin):
        """Where KEY was seen first, or None (and KEY is recorded as seen at ORIGIN)."""
        found = self.db.execute("SELECT origin FROM seen WHERE key = ?", (key,)).fetchone()
        if found:
            return found[0]
        self.db.execute("INSERT INTO seen VALUES (?, ?)", (key, origin))
        return None

    def uses(self, stem):
        """How many rows have used STEM for their file name, this one included."""
        found = self.db.execute("SELECT uses FROM stems WHERE stem = ?", (stem,)).fetchone()
        count = (found[0] if found else 0) + 1
        self.db.execute("INSERT OR REPLACE INTO stems VALUES (?, ?)", (stem, count))
        return count

    def add(self, row):
        self.db.execute("INSERT INTO rows ({}) VALUES ({})".format(", ".join(self.COLUMNS), ", ".join("?" * len(self.COLUMNS))),
                        [row.get(column) for column in self.COLUMNS])

    def value(self, query, *parameters):
        return self.db.execute(query, parameters).fetchone()[0]

    def kept(self, columns, split=None):
        """The imported rows in source order, streamed."""
        query = "SELECT {} FROM rows WHERE reason IS NULL{} ORDER BY id".format(columns, " AND split = ?" if split else "")
        return self.db.execute(query, (split,) if split else ())

    def close(self):
        self.db.close()
        self.path.unlink()
