"""Score nomenklatura name_bench pairs with nomenklatura's LogicV2 and time it.

Usage: python logicv2_pairs.py CASES_CSV [ROUNDS]
Prints one JSON object: pairs scored, seconds, pairs per second, and P/R/F1 at 0.70.
Each pair becomes two single-name FollowTheMoney entities of the case's schema (the
same construction the frozen reference run in the shared folder used).
"""
import csv
import json
import sys
import time

from followthemoney import ValueEntity, model
from nomenklatura.matching.logic_v2.model import LogicV2


def main() -> None:
    path = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    with open(path, newline="", encoding="utf-8") as fh:
        cases = list(csv.DictReader(fh))
    config = LogicV2.default_config()
    entities = []
    for i, c in enumerate(cases):
        schema = model.get(c["schema"])
        if schema is None:
            continue
        a = ValueEntity(schema, {"id": f"q{i}"})
        a.add("name", c["name1"])
        b = ValueEntity(schema, {"id": f"c{i}"})
        b.add("name", c["name2"])
        entities.append((c["is_match"].strip().lower() == "true", a, b))
    scores = []
    start = time.perf_counter()
    for r in range(rounds):
        for label, a, b in entities:
            s = float(LogicV2.compare(a, b, config).score)
            if r == 0:
                scores.append((label, s))
    seconds = time.perf_counter() - start
    tp = sum(1 for l, s in scores if l and s >= 0.7)
    fp = sum(1 for l, s in scores if not l and s >= 0.7)
    fn = sum(1 for l, s in scores if l and s < 0.7)
    p = tp / (tp + fp) if tp + fp else 0.0
    rc = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * p * rc / (p + rc) if p + rc else 0.0
    n = len(entities) * rounds
    print(json.dumps({"pairs": n, "seconds": seconds, "pairs_per_second": n / seconds,
                      "at_0_70": {"precision": p, "recall": rc, "f1": f1}}))


if __name__ == "__main__":
    main()
