"""Build web/fonts/embargo-hangul.woff2: NanumGothic (SIL OFL 1.1, NAVER Corporation)
cut to the Hangul syllables and compatibility jamo, plus the Han characters that the
screening tables in data/screening use, and renamed as the OFL asks of modified
versions (the Reserved Font Names may not be kept).

Usage: python3 web/fonts/make-subset.py PATH/TO/NanumGothic.ttf
(Debian: `apt-get download fonts-nanum && dpkg-deb -x fonts-nanum_*.deb nanum`; needs the
PyPI packages fonttools and brotli.)
"""

import pathlib
import sys

from fontTools import subset
from fontTools.ttLib import TTFont

FAMILY = "Embargo Hangul"
ROOT = pathlib.Path(__file__).resolve().parents[2]


def han_in_screening_tables() -> str:
    chars = set()
    for path in (ROOT / "data" / "screening").rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="ignore")
            chars |= {c for c in text if 0x3400 <= ord(c) <= 0x9FFF or 0xF900 <= ord(c) <= 0xFAFF}
    return "".join(sorted(chars))


def main(source: str) -> None:
    font = TTFont(source)
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]
    options.hinting = False
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]
    sub = subset.Subsetter(options)
    unicodes = list(range(0xAC00, 0xD7A4)) + list(range(0x3131, 0x318F))
    unicodes += [ord(c) for c in han_in_screening_tables()]
    sub.populate(unicodes=unicodes)
    sub.subset(font)
    names = font["name"]
    for record in names.names:
        if record.nameID in (1, 16):
            record.string = FAMILY
        elif record.nameID == 3:
            record.string = f"{FAMILY} subset of NanumGothic"
        elif record.nameID == 4:
            record.string = f"{FAMILY} Regular"
        elif record.nameID == 6:
            record.string = FAMILY.replace(" ", "") + "-Regular"
    out = pathlib.Path(__file__).with_name("embargo-hangul.woff2")
    font.flavor = "woff2"
    font.save(str(out))
    print(f"wrote {out} ({out.stat().st_size} bytes, {len(unicodes)} code points asked)")


if __name__ == "__main__":
    main(sys.argv[1])
