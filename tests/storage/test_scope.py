"""Scoping by place: one range of county codes (within_by_county) selects exactly the rows that
the equality on the level's own column (within) selects, at every prefecture and province of
GB/T 2260 and at a county, over a table holding every place in use."""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, insert, select

from core.policy.jurisdictions import Level
from core.storage.scope import within, within_by_county


def test_a_range_of_county_codes_is_the_prefecture_or_province(registry):
    places = Table(
        "places",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("county", String(6)),
        Column("prefecture", String(6)),
        Column("province", String(6)),
    )
    rows = []
    # every place a row can be registered at: counties, and prefectures without counties
    # (441900 东莞市), and the counties directly under a province (429004 仙桃市)
    for j in registry.all():
        if j.level in (Level.COUNTY, Level.PREFECTURE):
            prefecture, province = registry.prefecture_and_province(j.code)
            rows.append({"county": j.code, "prefecture": prefecture, "province": province})
    assert any(r["prefecture"] is None for r in rows)  # 省直辖县 are among them
    engine = create_engine("sqlite://")
    with engine.begin() as conn:
        places.metadata.create_all(conn)
        conn.execute(insert(places), rows)
        levels = (Level.PROVINCE, Level.PREFECTURE)
        codes = [j.code for j in registry.all() if j.level in levels] + ["450326", "000000"]
        seen = 0
        for code in codes:
            by_level = set(
                conn.scalars(select(places.c.id).where(within(places.c, code, registry)))
            )
            by_range = set(
                conn.scalars(select(places.c.id).where(within_by_county(places.c, code, registry)))
            )
            assert by_range == by_level, code
            seen += len(by_level)
    assert seen > 2 * len(rows)  # each place at its province and (most) at its prefecture
