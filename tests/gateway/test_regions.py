"""The GB/T 2260 code list shipped as data: names, the origin rule and the ID-number region rule."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway import idcard, regions
from gateway.errors import InvalidInput


def test_the_list_is_the_full_one_with_its_source() -> None:
    table = regions.table()
    levels = [records[0].level for records in table.by_code.values() if records[0].in_use]
    assert levels.count(1) == 34 and levels.count(2) > 330 and levels.count(3) > 2800
    assert "yescallop/areacodes" in table.source and "CC0" in table.source


@pytest.mark.parametrize(("code", "zh", "en"), [
    ("420106", "湖北省武汉市武昌区", "武昌区, Wuhan, Hubei"),
    ("4201", "湖北省武汉市", "Wuhan, Hubei"),
    ("42", "湖北省", "Hubei"),
    ("320583", "江苏省苏州市昆山市", "Kunshan, Suzhou, Jiangsu"),
    ("429004", "湖北省省直辖县级行政区划仙桃市", "仙桃市, counties under the province, Hubei"),
    ("110103", "北京市崇文区", "崇文区, Beijing"),  # withdrawn in 2010: still named
    ("810000", "香港特别行政区", "Hong Kong"),
])
def test_names(code: str, zh: str, en: str) -> None:
    assert regions.name(code) == zh
    assert regions.name(code, "en") == en


def test_an_origin_is_a_code_in_use_since_2020() -> None:
    assert regions.is_origin("420100") and regions.is_origin("330113")  # 临平区, since 2021
    assert regions.is_origin("330104")  # 江干区: in use in 2020, withdrawn in 2021
    assert regions.is_origin("130502")  # 邢台市桥东区: withdrawn during 2020
    assert not regions.is_origin("110103")  # 崇文区: withdrawn in 2010
    assert not regions.is_origin("000000") and not regions.is_origin("429900")


def test_an_id_number_keeps_a_withdrawn_code() -> None:
    for first6 in ("110103", "330104", "420101", "830000", "810000"):
        assert idcard.problem(idcard.make(first6 + "19800101123")) is None, first6
    for first6 in ("000000", "999999", "429900", "110199"):
        assert "region code" in (idcard.problem(idcard.make(first6 + "19800101123")) or ""), first6


@given(st.from_regex(r"\A[0-9]{6}\Z"))
def test_an_origin_is_always_an_id_region(code: str) -> None:
    if regions.is_origin(code):
        assert regions.is_id_region(code) and regions.name(code)


def test_a_prefix_by_name() -> None:
    assert regions.prefix_for("湖北省") == "42"
    assert regions.prefix_for("湖北省 武汉市") == "4201" == regions.prefix_for("武汉市")
    assert regions.prefix_for("Inner Mongolia") == "15" and regions.prefix_for("hubei") == "42"
    assert regions.prefix_for("北京市朝阳区") == "110105"
    assert regions.prefix_for("４２") is None  # digits: a code, the caller checks it
    with pytest.raises(InvalidInput, match="several regions"):
        regions.prefix_for("朝阳区")
    with pytest.raises(InvalidInput, match="no GB/T 2260 region"):
        regions.prefix_for("崇文区")  # withdrawn: not a key area to choose


def test_key_area_prefixes_are_real() -> None:
    assert regions.is_prefix("42") and regions.is_prefix("4201") and regions.is_prefix("420106")
    assert not regions.is_prefix("4299") and not regions.is_prefix("110103")
    assert "42" in regions.prefixes() and "4201" in regions.prefixes() and "1101" not in regions.prefixes()
