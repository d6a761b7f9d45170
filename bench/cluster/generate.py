"""Synthetic inputs for bench/cluster/run.sh (SYNTHETIC, for speed only; fixed patterns).

usage: generate.py trade|shipments|names PATH ROWS
  trade      embargo's plain trade CSV, China's trade with ten partners, a tenth with the DPRK
  shipments  a batch-check file: id, hs, origin, destination, date, quantity, unit, value_usd
  names      a batch-screening file: id, name, schema, dob, country
"""
import sys


def trade(n):
    partners = ["KP", "RU", "JP", "KR", "VN", "US", "DE", "TH", "MY", "IN"]
    hs = ["2701", "2601", "0301", "6110", "8703", "2709", "7108", "8471", "3004", "1006"]
    flow = "import" if (n // 7) % 2 else "export"
    return (f"CN,{partners[n % 10]},{flow},{2010 + n % 12},{hs[(n // 3) % 10]},"
            f"{1 + (n * 37) % 100000},synthetic,COMTRADE")


def shipment(n):
    hs = ["270112", "260111", "030389", "611020", "870323",
          "271019", "710812", "847130", "100630", "890110"]
    places = ["KP", "CN", "RU", "VN", "MY"]
    return (f"s{n},{hs[n % 10]},{places[(n // 10) % 5]},{places[(n // 50) % 5]},"
            f"{2012 + n % 12}-{1 + n % 12:02d}-15,{1 + n % 900},kg,{10 + (n * 13) % 90000}")


def name(n):
    family = ["Kim", "Ri", "Pak", "Choe", "Jang", "Han", "Wang", "Li", "Ivanov", "Smith"]
    given = ["Chol", "Song", "Myong", "Yong", "Hyok", "Jin", "Wei", "Anna", "Kwang", "Su"]
    full = f"{family[n % 10]} {given[(n // 10) % 10]} {given[(n // 100) % 10]}"
    return f"n{n},{full},person,{1950 + n % 50},{['KP', 'CN', 'RU', ''][n % 4]}"


KINDS = {
    "trade": ("reporter,partner,flow,year,hs,value_usd,source,series", trade),
    "shipments": ("id,hs,origin,destination,date,quantity,unit,value_usd", shipment),
    "names": ("id,name,schema,dob,country", name),
}

if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in KINDS:
        sys.exit(__doc__)
    header, row = KINDS[sys.argv[1]]
    with open(sys.argv[2], "w") as f:
        f.write(header + "\n")
        for i in range(int(sys.argv[3])):
            f.write(row(i) + "\n")
