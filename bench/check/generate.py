#!/usr/bin/env python3
"""Generate a synthetic shipments CSV for the batch-check benchmark.

SYNTHETIC: random HS codes, countries and dates, for speed measurement only. Rows mix
DPRK exports, supplies to the DPRK and third-country trade, 2005-2020, with 2-, 4- and
6-digit codes drawn from the HS nomenclature chapters (no real trade is implied).

usage: generate.py ROWS OUT.csv [--seed N]
"""
import random
import sys


def main() -> None:
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    rows = int(sys.argv[1])
    out = sys.argv[2]
    seed = int(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[3] == "--seed" else 42
    rnd = random.Random(seed)
    # A pool of codes: every chapter, and headings/subheadings around the regime's goods.
    pool = [f"{c:02d}" for c in range(1, 98) if c != 77]
    for c in range(1, 98):
        if c == 77:
            continue
        for h in range(1, 20):
            pool.append(f"{c:02d}{h:02d}")
            pool.append(f"{c:02d}{h:02d}{rnd.randrange(10, 99)}")
    partners = ["CN", "RU", "JP", "US", "IN", "TH", "SG", "MY", "DE", "SL", "KR", "VN"]
    dates = [f"{y}-{m:02d}-{d:02d}" for y in range(2005, 2021) for m in range(1, 13) for d in range(1, 29)]
    with open(out, "w", newline="") as f:
        f.write("id,hs,origin,destination,date\n")
        buf = []
        for i in range(rows):
            r = rnd.random()
            p = rnd.choice(partners)
            if r < 0.45:
                o, d = "KP", p
            elif r < 0.9:
                o, d = p, "KP"
            else:
                o, d = p, rnd.choice(partners)
            buf.append(f"{i},{rnd.choice(pool)},{o},{d},{rnd.choice(dates)}\n")
            if len(buf) >= 100_000:
                f.write("".join(buf))
                buf.clear()
        f.write("".join(buf))


if __name__ == "__main__":
    main()
