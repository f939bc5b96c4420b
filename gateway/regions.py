"""GB/T 2260 administrative division codes: the province level and Hubei's prefectures, by name.

The public code list (民政部 2020 edition). Only the levels the rules need are shipped: a region
code or the first six digits of an ID number must start with a real province (GB 11643 §5.1),
and the key-area list and the console show codes with their names.
"""

from __future__ import annotations

PROVINCES: dict[str, str] = {
    "11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区",
    "21": "辽宁省", "22": "吉林省", "23": "黑龙江省",
    "31": "上海市", "32": "江苏省", "33": "浙江省", "34": "安徽省", "35": "福建省", "36": "江西省",
    "37": "山东省",
    "41": "河南省", "42": "湖北省", "43": "湖南省", "44": "广东省", "45": "广西壮族自治区", "46": "海南省",
    "50": "重庆市", "51": "四川省", "52": "贵州省", "53": "云南省", "54": "西藏自治区",
    "61": "陕西省", "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区", "65": "新疆维吾尔自治区",
    "71": "台湾省", "81": "香港特别行政区", "82": "澳门特别行政区",
}

PREFECTURES: dict[str, str] = {
    "4201": "武汉市", "4202": "黄石市", "4203": "十堰市", "4205": "宜昌市", "4206": "襄阳市",
    "4207": "鄂州市", "4208": "荆门市", "4209": "孝感市", "4210": "荆州市", "4211": "黄冈市",
    "4212": "咸宁市", "4213": "随州市", "4228": "恩施土家族苗族自治州", "4290": "省直辖县级行政区划",
}


def known_province(code: str) -> bool:
    return code[:2] in PROVINCES


def name(code: str) -> str | None:
    """The most precise name known for a code or prefix: '420106' → '湖北省武汉市'."""
    province = PROVINCES.get(code[:2])
    if province is None:
        return None
    prefecture = PREFECTURES.get(code[:4]) if len(code) >= 4 else None
    return province + (prefecture or "")
