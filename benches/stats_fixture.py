#!/usr/bin/env python3
"""Benchmark fixture for the statistics (`GET /api/v1/stats/reports`): bulk-loads N reports
straight into a meldpunt database (already migrated and seeded by the server, which also
loads the seed's 2025 boundaries) with everything statistics read: category, department,
source, receipt, deadline, life (`lifecycle`, `settled_at`, `status` consistent), "me too",
stamped areas and location.

Shape (seeded random, so two loads with the same --seed are the same):
  * receipt: a uniformly random day of 2016-01-01 .. 2025-12-31 (ten years) at a time of
    day of the 311 sample, written in order of the day as intake writes them (`311-sample.csv`: MyLA311 service requests, City of Los Angeles
    open data, via hackforla/311-data; see the data README), in Europe/Amsterdam;
  * place: --heerlen-share (0.5) in Heerlen: the sample's positions with Los Angeles' box
    (lat 33.706..34.329, lon -118.667..-118.156) mapped linearly onto the box of Heerlen's
    buurten in `data/seed/heerlen-buurten.geojson`, keeping those that fall inside a buurt
    (point in polygon), stamped with that buurt, its wijk and GM0917; the rest in the other
    341 municipalities of `data/seed/nl-gemeenten.geojson` (uniformly; points drawn inside
    each municipality's polygon), stamped with the municipality only; area_year 2025 for
    all. lat/lon and codes always agree;
  * life: ~80 % resolved, ~10 % cancelled, ~10 % still open (new / accepted / in progress);
    a closing comes after the sample's own time to close (at least two hours; a third get
    one to five weeks more), so a few days to weeks; ~2 % of the closed were resolved,
    reopened a few days later and closed again (`R.. O.. R|C..`). `settled_at` is the last
    closing (whole seconds, as in `lifecycle`), NULL while open;
  * deadline for ~90 % (2, 3, 5, 10 or 14 days after receipt), `me_too` 0..6 (mostly 0),
    source ~85 % api, ~10 % open311, ~5 % import; categories: the sample's service types
    mapped onto seeded subcategories (as benches/map_fixture.py does) plus, for variety,
    one in four reports in a random seeded subcategory; department: the category's default.

Writing rows directly is fine here: this is a benchmark fixture, not a way to file reports.
Only the Python standard library is used; PostgreSQL is loaded through `psql \\copy`.

    python3 benches/stats_fixture.py --database sqlite:///tmp/x.sqlite3 --count 1000000 --sample 311-sample.csv
    python3 benches/stats_fixture.py --database postgres://postgres@127.0.0.1/bench --count 1000000 --sample ...

It prints one line: `LOADED=<n> HEERLEN=<n> OPEN=<n> REOPENED=<n>`.
"""

import argparse
import csv
import datetime as dt
import json
import os
import random
import sqlite3
import subprocess
import sys
import uuid
from zoneinfo import ZoneInfo

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEED = os.path.join(ROOT, "data", "seed")
LA = (33.706, 34.329, -118.667, -118.156)  # min lat, max lat, min lon, max lon
AMS = ZoneInfo("Europe/Amsterdam")
FIRST_DAY = dt.date(2016, 1, 1)
DAYS = (dt.date(2025, 12, 31) - FIRST_DAY).days + 1
AREA_YEAR = 2025
HEERLEN = "GM0917"

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
COLUMNS = (
    "id reference category_id description lat lon address status priority source answers department_id "
    "deadline_at created_at updated_at gemeente_code wijk_code buurt_code area_year routing_rule_id "
    "routing_reason department_locked lifecycle settled_at me_too"
).split()
TIMES = (12, 13, 14, 23)  # positions of the timestamp columns
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
OPEN_STATUSES = ("new", "accepted", "in_progress")
HANDLING_DAYS = (2, 3, 5, 10, 14)


# --- geometry ------------------------------------------------------------------------------

def rings_of(geometry):
    """The polygons of a GeoJSON (Multi)Polygon, each as (outer ring, holes)."""
    if geometry["type"] == "Polygon":
        polygons = [geometry["coordinates"]]
    elif geometry["type"] == "MultiPolygon":
        polygons = geometry["coordinates"]
    else:
        return []
    return [(p[0], p[1:]) for p in polygons]


def in_ring(x, y, ring):
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i][0], ring[i][1]
        xj, yj = ring[j][0], ring[j][1]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


class Area:
    def __init__(self, feature):
        self.props = feature["properties"]
        self.polygons = rings_of(feature["geometry"])
        xs = [p[0] for outer, _ in self.polygons for p in outer]
        ys = [p[1] for outer, _ in self.polygons for p in outer]
        self.box = (min(xs), min(ys), max(xs), max(ys))

    def contains(self, lon, lat):
        x0, y0, x1, y1 = self.box
        if not (x0 <= lon <= x1 and y0 <= lat <= y1):
            return False
        return any(in_ring(lon, lat, outer) and not any(in_ring(lon, lat, h) for h in holes)
                   for outer, holes in self.polygons)


def load_areas(name):
    with open(os.path.join(SEED, name), encoding="utf-8") as f:
        return [Area(feature) for feature in json.load(f)["features"]]


# --- the sample ----------------------------------------------------------------------------

def load_sample(path):
    """(lat, lon, second of day, service type, seconds to close or None) per usable row."""
    rows = []
    with open(path, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            try:
                lat, lon = float(r["lat"]), float(r["lon"])
                t = dt.datetime.fromisoformat(r["requested_datetime"])
            except (ValueError, KeyError):
                continue
            to_close = None
            if r.get("closed_datetime"):
                try:
                    to_close = (dt.datetime.fromisoformat(r["closed_datetime"]) - t).total_seconds()
                except ValueError:
                    pass
            rows.append((lat, lon, t.hour * 3600 + t.minute * 60 + t.second, r["service_name"], to_close))
    if not rows:
        sys.exit(f"no usable rows in {path}")
    return rows


def heerlen_points(sample, buurten):
    """The sample's positions mapped onto Heerlen's box, those inside a buurt, with it."""
    x0 = min(b.box[0] for b in buurten)
    y0 = min(b.box[1] for b in buurten)
    x1 = max(b.box[2] for b in buurten)
    y1 = max(b.box[3] for b in buurten)
    points = []
    for lat, lon, *_ in sample:
        nlat = round(y0 + (lat - LA[0]) / (LA[1] - LA[0]) * (y1 - y0), 6)
        nlon = round(x0 + (lon - LA[2]) / (LA[3] - LA[2]) * (x1 - x0), 6)
        for b in buurten:
            if b.contains(nlon, nlat):
                points.append((nlat, nlon, b.props["code"], b.props["wijk_code"]))
                break
    if not points:
        sys.exit("no sample position falls inside a Heerlen buurt")
    return points


def country_points(gemeenten, rng, per_gemeente):
    """Per municipality other than Heerlen, random points inside its polygon."""
    out = []
    for g in gemeenten:
        if g.props["code"] == HEERLEN:
            continue
        x0, y0, x1, y1 = g.box
        points = []
        for _ in range(per_gemeente * 200):
            lon, lat = round(rng.uniform(x0, x1), 6), round(rng.uniform(y0, y1), 6)
            if g.contains(lon, lat):
                points.append((lat, lon))
                if len(points) == per_gemeente:
                    break
        if points:
            out.append((g.props["code"], points))
    return out


# --- the catalog ---------------------------------------------------------------------------

def query_rows(backend, database, sql):
    if backend == "sqlite":
        with sqlite3.connect(database) as conn:
            return conn.execute(sql).fetchall()
    out = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-F", "\t", database, "-c", sql],
                         check=True, capture_output=True, text=True).stdout
    return [tuple(v if v != "" else None for v in line.split("\t")) for line in out.splitlines() if line.strip()]


def catalog(backend, database):
    """(mapping service type -> (category, department), all subcategories as (category, department))."""
    rows = query_rows(backend, database,
                      "SELECT c.id, c.slug, p.slug, c.default_department_id "
                      "FROM categories c JOIN categories p ON p.id = c.parent_id ORDER BY c.slug")
    if not rows:
        sys.exit("the database has no categories: start the server on it once (it migrates and seeds)")
    subs = [(cid, dep) for cid, _, _, dep in rows]
    by_sub = {sub: (cid, dep) for cid, sub, _, dep in rows}
    first_of_main = {}
    for cid, _, main, dep in rows:
        first_of_main.setdefault(main, (cid, dep))
    mapping = {}
    for i, (service, slug) in enumerate(SERVICE_TO_CATEGORY.items()):
        mapping[service] = by_sub.get(slug) or first_of_main.get(slug) or subs[i % len(subs)]
    return mapping, subs


# --- the reports ---------------------------------------------------------------------------

def reference(n):
    chars = []
    for _ in range(8):
        n, r = divmod(n, len(ALPHABET))
        chars.append(ALPHABET[r])
    s = "".join(chars)
    return f"{s[:4]}-{s[4:]}"


def epoch(t):
    return int(t.timestamp())


def generate(sample, heerlen, country, mapping, subs, args, stats):
    rng = random.Random(args.seed)
    offset = rng.randrange(1, 2**30)
    utc = dt.timezone.utc
    # Days in order: rows are written in receipt order, as intake writes them, so that a
    # period's reports lie together on disk as they do in a real database (written in random
    # order, every report of a period is on a page of its own: several times slower to read).
    days = sorted(rng.randrange(DAYS) for _ in range(args.count))
    for i, day_number in enumerate(days):
        _, _, second_of_day, service, to_close = sample[rng.randrange(len(sample))]
        if rng.random() < args.heerlen_share:
            lat, lon, buurt, wijk = heerlen[rng.randrange(len(heerlen))]
            gemeente = HEERLEN
            stats["heerlen"] += 1
        else:
            gemeente, points = country[rng.randrange(len(country))]
            lat, lon = points[rng.randrange(len(points))]
            buurt = wijk = None
        day = FIRST_DAY + dt.timedelta(days=day_number)
        local = dt.datetime(day.year, day.month, day.day, tzinfo=AMS) + dt.timedelta(seconds=second_of_day)
        created = (local.astimezone(utc) + dt.timedelta(microseconds=rng.randrange(10**6)))
        if rng.random() < 0.25:
            category, department = subs[rng.randrange(len(subs))]
        else:
            category, department = mapping.get(service) or subs[hash(service) % len(subs)]
        deadline = created + dt.timedelta(days=rng.choice(HANDLING_DAYS)) if rng.random() < 0.9 else None

        # Life: whole seconds, as lifecycle stores them.
        roll = rng.random()
        events = []
        if roll < 0.9:
            seconds = to_close if to_close is not None and 0 < to_close < 60 * 86400 else rng.uniform(1, 21) * 86400
            seconds = max(seconds, 7200.0)
            if rng.random() < 1 / 3:
                seconds += rng.uniform(7, 35) * 86400
            closed = created.replace(microsecond=0) + dt.timedelta(seconds=int(seconds))
            final = "C" if roll < 0.1 else "R"
            if rng.random() < 0.02:
                first = closed
                reopened = first + dt.timedelta(seconds=rng.randrange(86400, 10 * 86400))
                closed = reopened + dt.timedelta(seconds=rng.randrange(7200, 21 * 86400))
                events = [f"R{epoch(first)}", f"O{epoch(reopened)}", f"{final}{epoch(closed)}"]
                stats["reopened"] += 1
            else:
                events = [f"{final}{epoch(closed)}"]
            status = "resolved" if final == "R" else "cancelled"
            settled = closed
            updated = closed
        else:
            status = OPEN_STATUSES[rng.randrange(len(OPEN_STATUSES))]
            settled = None
            updated = created
            stats["open"] += 1
        me_too = min(int(rng.expovariate(2.5)), 6)
        source_roll = rng.random()
        source = "api" if source_roll < 0.85 else ("open311" if source_roll < 0.95 else "import")
        yield [
            str(uuid.UUID(int=rng.getrandbits(128), version=4)), reference(offset + i), category, "Benchmark report",
            lat, lon, None, status, "normal", source, "{}", department,
            deadline, created, updated, gemeente, wijk, buurt, AREA_YEAR, None, "category_default", False,
            " ".join(events), settled, me_too,
        ]


def load_sqlite(path, rows):
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -262144")
    conn.execute("BEGIN IMMEDIATE")
    fmt = "%Y-%m-%dT%H:%M:%S.%fZ"

    def converted(r):
        for i in TIMES:
            if r[i] is not None:
                r[i] = r[i].astimezone(dt.timezone.utc).strftime(fmt)
        r[21] = int(r[21])
        return r

    placeholders = ",".join("?" * len(COLUMNS))
    conn.executemany(f"INSERT INTO reports ({','.join(COLUMNS)}) VALUES ({placeholders})", (converted(r) for r in rows))
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()


def load_postgres(url, rows):
    # An empty lifecycle is an empty text, not NULL (CSV reads an unquoted empty field as NULL).
    copy = f"\\copy reports ({','.join(COLUMNS)}) FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL (lifecycle))"
    proc = subprocess.Popen(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", copy],
                            stdin=subprocess.PIPE, text=True)
    writer = csv.writer(proc.stdin)
    for r in rows:
        writer.writerow(["" if v is None else (v.isoformat() if isinstance(v, dt.datetime) else ("f" if v is False else v))
                         for v in r])
    proc.stdin.close()
    if proc.wait() != 0:
        sys.exit("loading into PostgreSQL failed")
    # VACUUM as autovacuum does soon after a bulk insert: it sets the visibility map.
    subprocess.run(["psql", "-X", "-q", url, "-c", "VACUUM (ANALYZE) reports"], check=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", required=True, help="sqlite://PATH or postgres://...")
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--sample", required=True, help="path of 311-sample.csv")
    parser.add_argument("--heerlen-share", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    backend = "postgres" if args.database.startswith(("postgres://", "postgresql://")) else "sqlite"
    database = args.database if backend == "postgres" else args.database.removeprefix("sqlite://")
    sample = load_sample(args.sample)
    heerlen = heerlen_points(sample, load_areas("heerlen-buurten.geojson"))
    country = country_points(load_areas("nl-gemeenten.geojson"), random.Random(args.seed + 1), 64)
    mapping, subs = catalog(backend, database)
    stats = {"heerlen": 0, "open": 0, "reopened": 0}
    rows = generate(sample, heerlen, country, mapping, subs, args, stats)
    (load_sqlite if backend == "sqlite" else load_postgres)(database, rows)
    print(f"LOADED={args.count} HEERLEN={stats['heerlen']} OPEN={stats['open']} REOPENED={stats['reopened']}")


if __name__ == "__main__":
    main()
