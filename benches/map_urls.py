"""Shifted map boxes for the benchmarks: COUNT URLs of boxes of the size of BBOX, each moved
by up to a tenth of its width and height, one per line.

    python3 benches/map_urls.py BASE_URL BBOX COUNT [SEED]
"""

import random
import sys

base, bbox, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
if len(sys.argv) > 4:
    random.seed(int(sys.argv[4]))
min_lon, min_lat, max_lon, max_lat = map(float, bbox.split(","))
for _ in range(count):
    dx = (max_lon - min_lon) * (random.random() - 0.5) * 0.2
    dy = (max_lat - min_lat) * (random.random() - 0.5) * 0.2
    print(f"{base}/api/v1/reports?bbox={min_lon + dx:.6f},{min_lat + dy:.6f},{max_lon + dx:.6f},{max_lat + dy:.6f}")
