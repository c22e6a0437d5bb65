#!/usr/bin/env python3
"""Converts the 311 sample (`311-sample.csv`: MyLA311 service requests, City of Los Angeles
open data, via hackforla/311-data; see the data README for its attribution) into meldpunt's
documented history import CSV (docs/import.md), moved onto Heerlen.

* Positions: Los Angeles' box (lat 33.706..34.329, lon -118.667..-118.156) is mapped
  linearly onto Heerlen's bounding box (lat 50.818..50.937, lon 5.901..6.024, the box of
  `heerlen-buurten.geojson`), as benches/map_fixture.py does onto a wider box. Heerlen is not
  a rectangle, so some points land outside the municipality: the import refuses those rows.
* Times: the sample's local Los Angeles times are written as `YYYY-MM-DD HH:MM:SS`, which
  the import reads as Amsterdam time (the clock moves with the city).
* Categories: the service type is written as it is; benches/311-categories.csv maps it.
* Statuses: Closed -> resolved, Cancelled and Referred Out -> cancelled, Open -> new,
  Pending -> in_progress. A close time of an open request is left out. The sample's closed
  requests without a close time stay as they are: the import refuses them.

    python3 benches/import_311.py SAMPLE > history.csv

Only the Python standard library is used.
"""

import csv
import sys

LA = (33.706, 34.329, -118.667, -118.156)  # min lat, max lat, min lon, max lon
HEERLEN = (50.818, 50.937, 5.901, 6.024)
STATUS = {"Closed": "resolved", "Cancelled": "cancelled", "Referred Out": "cancelled", "Open": "new", "Pending": "in_progress"}
CLOSED = {"resolved", "cancelled"}
COLUMNS = ["source_id", "category", "description", "lat", "lon", "created_at", "closed_at", "final_status", "department"]


def moved(lat, lon):
    nlat = HEERLEN[0] + (lat - LA[0]) / (LA[1] - LA[0]) * (HEERLEN[1] - HEERLEN[0])
    nlon = HEERLEN[2] + (lon - LA[2]) / (LA[3] - LA[2]) * (HEERLEN[3] - HEERLEN[2])
    return round(nlat, 6), round(nlon, 6)


def local(text):
    return text.replace("T", " ") if text else ""


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: import_311.py 311-sample.csv > history.csv")
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(COLUMNS)
    with open(sys.argv[1], newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            lat, lon = moved(float(r["lat"]), float(r["lon"]))
            status = STATUS.get(r["status"], r["status"])
            closed = local(r["closed_datetime"]) if status in CLOSED else ""
            writer.writerow([r["id"], r["service_name"], r["description"], lat, lon, local(r["requested_datetime"]), closed, status, ""])


if __name__ == "__main__":
    main()
