"""What one PostgreSQL primary on this machine sustains in writes per second, with pgbench.

    .venv/bin/python bench/pg_writes.py [--seconds 15] [--clients 8] [--host 127.0.0.1] [--user postgres]

Needs pgbench (Debian: postgresql-contrib / postgresql-client). On a throw-away database
(``pg_writes_bench``, dropped afterwards), three workloads, each ``--clients`` connections for
``--seconds``:

1. ``insert``: one single-row INSERT per transaction into an append-only table shaped like a ledger
   entry (the floor: what committing costs);
2. ``settlement-shaped``: one transaction of the writes a counter settlement makes (one settlement row,
   six ledger legs in one multi-row INSERT, two balance UPDATEs, a usage UPDATE and an audit row),
   with the same commit per transaction;
3. ``tpcb-like``: pgbench's built-in (3 UPDATEs, 1 INSERT, 1 SELECT), as everyone's reference.

Printed: transactions/s and rows written/s for each. The settlement service itself adds Python on top:
``bench/settle_load.py`` measures that; ``docs/capacity.md`` puts the two together.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import tempfile
from pathlib import Path

DB = "pg_writes_bench"

SCHEMA = """
CREATE TABLE entry (id bigserial PRIMARY KEY, txn bigint NOT NULL, account bigint NOT NULL,
                    amount_fen bigint NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX ON entry (account, id);
CREATE TABLE settlement (id bigserial PRIMARY KEY, number text UNIQUE NOT NULL, person bigint NOT NULL,
                         total_fen bigint NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE account (id bigint PRIMARY KEY, balance_fen bigint NOT NULL);
CREATE TABLE usage (person bigint PRIMARY KEY, used_fen bigint NOT NULL);
CREATE TABLE audit (id bigserial PRIMARY KEY, person bigint NOT NULL, what text NOT NULL,
                    at timestamptz NOT NULL DEFAULT now());
INSERT INTO account SELECT g, 1000000 FROM generate_series(1, 100000) g;
INSERT INTO usage SELECT g, 0 FROM generate_series(1, 100000) g;
"""

INSERT = """
\\set account random(1, 100000)
INSERT INTO entry (txn, account, amount_fen) VALUES (:client_id, :account, 100);
"""

SETTLEMENT = """
\\set person random(1, 100000)
\\set till random(1, 100000)
BEGIN;
INSERT INTO settlement (number, person, total_fen) VALUES (md5(random()::text || clock_timestamp()), :person, 3000);
INSERT INTO entry (txn, account, amount_fen) VALUES
  (:person, :person, -1000), (:person, :till, 1000), (:person, 1, -1500), (:person, :till, 1500),
  (:person, 2, -500), (:person, :till, 500);
UPDATE account SET balance_fen = balance_fen - 1000 WHERE id = :person;
UPDATE account SET balance_fen = balance_fen + 3000 WHERE id = :till;
UPDATE usage SET used_fen = used_fen + 1500 WHERE person = :person;
INSERT INTO audit (person, what) VALUES (:person, 'settle');
COMMIT;
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--user", default="postgres")
    args = parser.parse_args()
    conn = ["-h", args.host, "-U", args.user]
    subprocess.run(["dropdb", *conn, "--if-exists", DB], check=True)
    subprocess.run(["createdb", *conn, DB], check=True)
    try:
        subprocess.run(["psql", *conn, "-q", "-d", DB, "-c", SCHEMA], check=True)
        subprocess.run(["pgbench", *conn, "-i", "-q", "-s", "10", DB], check=True, capture_output=True)
        settings = subprocess.run(
            ["psql", *conn, "-d", DB, "-tAc", "SHOW synchronous_commit; SHOW shared_buffers; SHOW wal_level"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        print(f"PostgreSQL: synchronous_commit={settings[0]}, shared_buffers={settings[1]}, wal_level={settings[2]}")
        print(f"{args.clients} clients, {args.seconds} s each\n")
        print(f"{'workload':<22} {'transactions/s':>15} {'rows written/s':>15}")
        with tempfile.TemporaryDirectory() as tmp:
            for name, script, rows in (("insert", INSERT, 1), ("settlement-shaped", SETTLEMENT, 11)):
                path = Path(tmp) / f"{name}.sql"
                path.write_text(script)
                tps = run_pgbench([*conn, "-f", str(path)], args)
                print(f"{name:<22} {tps:>15,.0f} {tps * rows:>15,.0f}")
        tps = run_pgbench(conn, args)
        print(f"{'tpcb-like (built-in)':<22} {tps:>15,.0f} {tps * 4:>15,.0f}")
    finally:
        subprocess.run(["dropdb", *conn, "--if-exists", DB], check=True)


def run_pgbench(extra: list[str], args: argparse.Namespace) -> float:
    out = subprocess.run(
        ["pgbench", *extra, "-n", "-c", str(args.clients), "-j", "2", "-T", str(args.seconds), DB],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    found = re.search(r"tps = ([\d.]+)", out)
    if found is None:
        raise SystemExit(f"pgbench printed no tps:\n{out}")
    return float(found.group(1))


if __name__ == "__main__":
    main()
