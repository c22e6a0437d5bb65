#!/usr/bin/env python3
"""Benchmark fixture for the public map: bulk-loads N reports straight into a meldpunt
database (already migrated and seeded by the server) and prints a bounding box that holds
about --box-reports of them.

The reports are spread like real intake: positions and times of day come from the 311
sample (`311-sample.csv`: MyLA311 service requests, City of Los Angeles open data, via
hackforla/311-data; see the data README for its attribution), with Los Angeles' box
(lat 33.706..34.329, lon -118.667..-118.156) mapped linearly onto Heerlen and surroundings
(lat 50.80..51.00, lon 5.85..6.10), each point jittered by about 30 m, spread over the last
three years. Service types map onto a few of the seeded subcategories (one sensitive, one
non-public), statuses onto meldpunt's.

Writing rows directly is fine here: this is a benchmark fixture, not a way to file reports.
Only the Python standard library is used; PostgreSQL is loaded through `psql \\copy`.

    python3 benches/map_fixture.py --database sqlite:///tmp/x.sqlite3 --count 1000000 --sample 311-sample.csv
    python3 benches/map_fixture.py --database postgres://postgres@127.0.0.1/bench --count 1000000 --sample ...
"""

import argparse
import array
import csv
import datetime as dt
import io
import random
import sqlite3
import subprocess
import sys
import uuid

LA = (33.706, 34.329, -118.667, -118.156)  # min lat, max lat, min lon, max lon
NL = (50.80, 51.00, 5.85, 6.10)
JITTER_DEG = 0.0003
YEARS = 3

# Service type -> preferred subcategory slug (fallbacks are taken from the catalog).
SERVICE_TO_CATEGORY = {
    "Bulky Items": "grofvuil",
    "Graffiti Removal": "graffiti-wildplak",
    "Illegal Dumping Pickup": "veeg-zwerfvuil",
    "Metal/Household Appliances": "grofvuil",
    "Electronic Waste": "grofvuil",
    "Homeless Encampment": "overlast-van-en-door-personen-of-groepen",  # sensitive main
    "Dead Animal Removal": "dode-dieren",
    "Single Streetlight Issue": "straatverlichting-openbare-klok",
    "Multiple Streetlight Issue": "straatverlichting-openbare-klok",
    "Feedback": "drank-en-drugsoverlast",  # non-public
}
STATUS = {"Closed": "resolved", "Cancelled": "cancelled", "Open": "new", "Pending": "in_progress", "Referred Out": "accepted"}
COLUMNS = (
    "id reference category_id description lat lon address status priority source answers department_id "
    "deadline_at created_at updated_at gemeente_code wijk_code buurt_code area_year routing_rule_id "
    "routing_reason department_locked"
).split()
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def load_sample(path):
    rows = []
    with open(path, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            try:
                lat, lon = float(r["lat"]), float(r["lon"])
                t = dt.datetime.fromisoformat(r["requested_datetime"])
            except (ValueError, KeyError):
                continue
            nlat = NL[0] + (lat - LA[0]) / (LA[1] - LA[0]) * (NL[1] - NL[0])
            nlon = NL[2] + (lon - LA[2]) / (LA[3] - LA[2]) * (NL[3] - NL[2])
            rows.append((nlat, nlon, t.hour * 3600 + t.minute * 60 + t.second, r["service_name"], r["status"]))
    if not rows:
        sys.exit(f"no usable rows in {path}")
    return rows


def subcategories(backend, database):
    sql = "SELECT c.id, c.slug, p.slug, c.is_public, c.is_sensitive FROM categories c JOIN categories p ON p.id = c.parent_id"
    if backend == "sqlite":
        with sqlite3.connect(database) as conn:
            rows = conn.execute(sql).fetchall()
    else:
        out = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-F", "\t", database, "-c", sql],
                             check=True, capture_output=True, text=True).stdout
        rows = [tuple(line.split("\t")) for line in out.splitlines() if line.strip()]
    if not rows:
        sys.exit("the database has no categories: start the server on it once (it migrates and seeds)")
    return rows


def category_ids(cats):
    by_sub = {sub: cid for cid, sub, main, *_ in cats}
    first_of_main = {}
    for cid, sub, main, *_ in cats:
        first_of_main.setdefault(main, cid)
    fallback = [cid for cid, *_ in cats]
    mapping = {}
    for i, (service, slug) in enumerate(SERVICE_TO_CATEGORY.items()):
        mapping[service] = by_sub.get(slug) or first_of_main.get(slug) or fallback[i % len(fallback)]
    return mapping, fallback


def reference(n):
    chars = []
    for _ in range(8):
        n, r = divmod(n, len(ALPHABET))
        chars.append(ALPHABET[r])
    s = "".join(chars)
    return f"{s[:4]}-{s[4:]}"


def generate(sample, mapping, fallback, count, seed, lats, lons):
    rng = random.Random(seed)
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    start_day = now - dt.timedelta(days=365 * YEARS)
    offset = rng.randrange(1, 2**30)
    for i in range(count):
        lat0, lon0, second_of_day, service, status = sample[rng.randrange(len(sample))]
        lat = min(max(lat0 + rng.gauss(0, JITTER_DEG), NL[0]), NL[1])
        lon = min(max(lon0 + rng.gauss(0, JITTER_DEG * 1.6), NL[2]), NL[3])
        lats.append(lat)
        lons.append(lon)
        day = start_day + dt.timedelta(days=rng.randrange(365 * YEARS))
        created = day.replace(hour=0, minute=0, second=0) + dt.timedelta(seconds=second_of_day, microseconds=rng.randrange(10**6))
        category = mapping.get(service) or fallback[hash(service) % len(fallback)]
        yield (
            str(uuid.UUID(int=rng.getrandbits(128), version=4)), reference(offset + i), category, "Benchmark report",
            round(lat, 6), round(lon, 6), None, STATUS.get(status, "new"), "normal", "api", "{}", None, None,
            created, created, None, None, None, None, None, "category_default", False,
        )


def load_sqlite(path, rows):
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -262144")
    conn.execute("BEGIN IMMEDIATE")
    fmt = "%Y-%m-%dT%H:%M:%S.%fZ"
    placeholders = ",".join("?" * len(COLUMNS))
    conn.executemany(
        f"INSERT INTO reports ({','.join(COLUMNS)}) VALUES ({placeholders})",
        (r[:13] + (r[13].strftime(fmt), r[14].strftime(fmt)) + r[15:21] + (int(r[21]),) for r in rows),
    )
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()


def load_postgres(url, rows):
    copy = f"\\copy reports ({','.join(COLUMNS)}) FROM STDIN WITH (FORMAT csv)"
    proc = subprocess.Popen(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", copy],
                            stdin=subprocess.PIPE, text=True)
    writer = csv.writer(proc.stdin)
    for r in rows:
        writer.writerow(["" if v is None else (v.isoformat() if isinstance(v, dt.datetime) else ("f" if v is False else v)) for v in r])
    proc.stdin.close()
    if proc.wait() != 0:
        sys.exit("loading into PostgreSQL failed")
    # VACUUM as autovacuum does within a minute or so of a bulk insert (its insert threshold):
    # it sets the visibility map, without which every index-only scan visits the table.
    # Running it here makes the measurement independent of when autovacuum happens to run.
    subprocess.run(["psql", "-X", "-q", url, "-c", "VACUUM (ANALYZE) reports"], check=True)


def box_for(lats, lons, wanted):
    """A square-ish box around the densest 0.01 degree cell holding about `wanted` points."""
    cells = {}
    for lat, lon in zip(lats, lons):
        key = (int(lat * 100), int(lon * 100))
        cells[key] = cells.get(key, 0) + 1
    (clat, clon), _ = max(cells.items(), key=lambda kv: kv[1])
    clat, clon = (clat + 0.5) / 100, (clon + 0.5) / 100
    lo, hi = 0.0001, 0.3
    for _ in range(40):
        half = (lo + hi) / 2
        n = sum(1 for lat, lon in zip(lats, lons) if abs(lat - clat) <= half and abs(lon - clon) <= half * 1.6)
        if n < wanted:
            lo = half
        else:
            hi = half
        if abs(n - wanted) <= wanted * 0.02:
            break
    return (round(clon - half * 1.6, 6), round(clat - half, 6), round(clon + half * 1.6, 6), round(clat + half, 6)), n


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", required=True, help="sqlite://PATH or postgres://...")
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--sample", required=True, help="path of 311-sample.csv")
    parser.add_argument("--box-reports", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    backend = "postgres" if args.database.startswith(("postgres://", "postgresql://")) else "sqlite"
    database = args.database if backend == "postgres" else args.database.removeprefix("sqlite://")
    sample = load_sample(args.sample)
    mapping, fallback = category_ids(subcategories(backend, database))
    lats, lons = array.array("d"), array.array("d")
    rows = generate(sample, mapping, fallback, args.count, args.seed, lats, lons)
    (load_sqlite if backend == "sqlite" else load_postgres)(database, rows)
    (bbox, n) = box_for(lats, lons, min(args.box_reports, args.count))
    print(f"BBOX={','.join(str(v) for v in bbox)} REPORTS_IN_BOX={n}")


if __name__ == "__main__":
    main()
