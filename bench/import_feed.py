"""Benchmark the resource importer (run by hand, never from the tests).

    .venv/bin/python bench/import_feed.py                       # fresh SQLite in a temp folder
    .venv/bin/python bench/import_feed.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench
    .venv/bin/python bench/import_feed.py --corpus /work/shared/data/corpus/corpus-20k.jsonl.gz --twice

Imports the platforms file, then the corpus with the same code as `onestop import`, and prints
lines/s, the total time and the peak resident memory (getrusage maxrss). On PostgreSQL the
tables of the given database are dropped and rebuilt by the migrations first: use a scratch
database.
"""
from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATA = Path("/work/shared/data")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DATA / "corpus" / "corpus-100k.jsonl.gz")
    parser.add_argument("--platforms", type=Path, default=DATA / "platforms.json")
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temporary folder")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--twice", action="store_true", help="import again to time the all-unchanged pass")
    args = parser.parse_args()

    import flask_migrate
    import sqlalchemy as sa

    from booking import create_app
    from booking.catalog.importer import import_feed
    from booking.catalog.platforms import import_platforms
    from booking.extensions import db

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        if args.database_url:
            engine = sa.create_engine(url)
            with engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
                conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS btree_gist"))
            engine.dispose()
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": tmp, "SECRET_KEY": "bench"})
        with app.app_context():
            flask_migrate.upgrade()
            print(f"database: {url.split('@')[-1]}")
            print(import_platforms(args.platforms).describe())
            print(f"memory before import: {peak_mb():.0f} MB peak RSS")
            passes = 2 if args.twice else 1
            for n in range(passes):
                start = time.perf_counter()
                summary = import_feed(args.corpus, batch_size=args.batch_size)
                elapsed = time.perf_counter() - start
                label = "first pass" if n == 0 else "second pass"
                print(f"{label}: {summary.describe()}")
                print(f"  {elapsed:.1f} s, {summary.lines / elapsed:,.0f} lines/s, "
                      f"peak RSS {peak_mb():.0f} MB")
            outbox = db.session.scalar(sa.text("SELECT count(*) FROM index_outbox"))
            print(f"index outbox rows: {outbox}")
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
