"""Build gateway/data/gb2260.tsv from yescallop/areacodes' result.csv (the 民政部 county-level and above lists).

    python tools/gb2260_build.py result.csv COMMIT DATE > gateway/data/gb2260.tsv

Every record 1981..today is kept, withdrawn ones too: an ID number keeps the region code of the place
and year it was issued in. The source has no romanised names; the English names of the province-level
divisions (and of the 2020 key-area prefectures) are ours (web/labels.py had them before).
"""

from __future__ import annotations

import csv
import sys

LEVELS = {"省级": 1, "地级": 2, "县级": 3}
# GB/T 2260 lists these province-level divisions; the source (民政部 mainland lists) does not
EXTRA = [("710000", "台湾省", 1, "Taiwan", 1981), ("810000", "香港特别行政区", 1, "Hong Kong", 1997),
         ("820000", "澳门特别行政区", 1, "Macao", 1999)]
EN = {
    "110000": "Beijing", "120000": "Tianjin", "130000": "Hebei", "140000": "Shanxi", "150000": "Inner Mongolia",
    "210000": "Liaoning", "220000": "Jilin", "230000": "Heilongjiang", "310000": "Shanghai", "320000": "Jiangsu",
    "330000": "Zhejiang", "340000": "Anhui", "350000": "Fujian", "360000": "Jiangxi", "370000": "Shandong",
    "410000": "Henan", "420000": "Hubei", "430000": "Hunan", "440000": "Guangdong", "450000": "Guangxi",
    "460000": "Hainan", "500000": "Chongqing", "510000": "Sichuan", "520000": "Guizhou", "530000": "Yunnan",
    "540000": "Tibet", "610000": "Shaanxi", "620000": "Gansu", "630000": "Qinghai", "640000": "Ningxia",
    "650000": "Xinjiang",
    "420100": "Wuhan", "420200": "Huangshi", "420300": "Shiyan", "420500": "Yichang", "420600": "Xiangyang",
    "420700": "Ezhou", "420800": "Jingmen", "420900": "Xiaogan", "421000": "Jingzhou", "421100": "Huanggang",
    "421200": "Xianning", "421300": "Suizhou", "422800": "Enshi", "320500": "Suzhou", "320583": "Kunshan",
}


def main(path: str, commit: str, day: str) -> None:
    out = sys.stdout
    out.write("# GB/T 2260 administrative division codes, county level and above, every record 1981 to the latest"
              " 民政部 list\n")
    out.write(f"# source: https://github.com/yescallop/areacodes result.csv, commit {commit} ({day}), CC0 1.0;"
              " built by tools/gb2260_build.py\n")
    out.write("# plus 710000/810000/820000 (Taiwan, Hong Kong, Macao), which GB/T 2260 lists and the 民政部"
              " mainland lists do not\n")
    out.write("# columns: code, level (1 province, 2 prefecture, 3 county), first year in use, year withdrawn or"
              " changed (empty: in use), province, prefecture, name, English name\n")
    out.write("code\tlevel\tstart\tend\tprovince\tprefecture\tname\ten\n")
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    for code, name, level, en, start in EXTRA:
        out.write(f"{code}\t{level}\t{start}\t\t{name}\t\t{name}\t{en}\n")
    for r in sorted(rows, key=lambda r: (r["代码"], r["启用时间"])):
        level = LEVELS[r["级别"]]
        prefecture = r["二级行政区"] if r["二级行政区"] != "直辖" else ""
        en = EN.get(r["代码"], "") if r["状态"] == "在用" else ""
        out.write("\t".join((r["代码"], str(level), r["启用时间"], r["变更/弃用时间"], r["一级行政区"], prefecture,
                             r["名称"], en)) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:4])
