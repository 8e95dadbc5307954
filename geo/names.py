"""Plausible synthetic names for villages (村) and communities (社区/居委会).

Real village lists are not available offline; names are built the way northern
Jiangsu villages are usually named: surname + place word (张庄, 王圩), or a
position/quality prefix + place word (新河, 前李圩). Communities get urban words.
"""

from __future__ import annotations

import numpy as np


def _words(text: str) -> tuple[str, ...]:
    """Space-separated word list (keeps long vocabularies compact)."""
    return tuple(text.split())


SURNAMES = (
    "张王李刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁许沈彭吕苏卢蒋蔡贾丁魏薛叶"
    "余潘杜戴夏钟汪田任姜范方石姚邹金陆孔白崔康毛邱秦史顾侯邵孟万段钱汤常武乔葛仲左花仇"
)
PLACE_WORDS = "庄圩集湖河沟桥营楼洼岗墩店口园套湾滩渡嘴塘荡坝闸堆场"
PREFIXES = "新大小前后东西南北中高双三五八老金柳杨桃花古长黄白青红朱马沙"
TWO_CHAR_VILLAGES = _words(
    "太平 永安 兴隆 丰收 友谊 团结 胜利 光明 和平 五星 红旗 联合 民主 建设 前进 幸福 新华 同心 富民 振兴 新庄 官庄 华庄 六塘"
)
URBAN_WORDS = _words(
    "城东 城西 城南 城北 城中 新城 古城 运河 黄河 府苑 馨苑 锦绣 幸福 和平 文昌 康居 民主 团结 友谊 建设 朝阳 阳光 花园 滨河 翠园 怡园 金港 富康 长安 东方 向阳 明珠 紫薇 桃园 春华 青年 振兴 丽景 凤凰 楚街 项王 马陵 人民 解放 健康 育才 龙湖 天河 锦华 书香 梧桐 玉兰 银杏 香樟 汇景 嘉和 华府 学府 钟吾 沭河 洋河 新港 新民 南关 北关 东关 西关 府前 杏园 丁香"
)
FARM_UNITS = _words("一分场 二分场 三分场 四分场 五分场 六分场 场部 东区 西区 南区 北区")


def _pick(rng: np.random.Generator, options: str | tuple[str, ...]) -> str:
    """One random element (a character for strings)."""
    return options[int(rng.integers(len(options)))]


def township_stem(name: str) -> str | None:
    """'吴集镇' -> '吴集'; None for zones whose names do not make a community name."""
    for suffix in ("街道办", "街道", "镇", "乡"):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return None


def village_name(rng: np.random.Generator) -> str:
    """A rural village name such as 张庄村, 前刘圩村 or 新河村."""
    roll = rng.random()
    if roll < 0.5:
        stem = _pick(rng, SURNAMES) + _pick(rng, PLACE_WORDS)
    elif roll < 0.7:
        stem = _pick(rng, PREFIXES) + _pick(rng, SURNAMES) + _pick(rng, PLACE_WORDS)
    elif roll < 0.9:
        stem = _pick(rng, PREFIXES) + _pick(rng, PLACE_WORDS)
    else:
        stem = _pick(rng, TWO_CHAR_VILLAGES)
    return stem + "村"


def community_name(rng: np.random.Generator, farm: bool = False) -> str:
    """An urban community name such as 城北社区; farms use 居委会 units."""
    if farm:
        return _pick(rng, FARM_UNITS + URBAN_WORDS[:12]) + "居委会"
    return _pick(rng, URBAN_WORDS) + "社区"


def unique_names(
    rng: np.random.Generator,
    n_communities: int,
    n_villages: int,
    township: str,
    farm: bool = False,
) -> tuple[list[str], list[str]]:
    """Community and village names, unique within one township.

    The first community of a street, town or xiang takes the township's own
    stem (吴集镇 -> 吴集社区), as seat communities usually do.
    """
    pool = len(FARM_UNITS) + 12 if farm else len(URBAN_WORDS)
    if n_communities > pool - 4 or n_villages > 200:
        raise ValueError(f"too many names requested for {township}: {n_communities}/{n_villages}")
    used: set[str] = set()
    stem = township_stem(township)
    communities: list[str] = []
    if n_communities and stem and not farm:
        communities.append(stem + "社区")
        used.add(communities[0])
    while len(communities) < n_communities:
        name = community_name(rng, farm)
        if name not in used:
            used.add(name)
            communities.append(name)
    villages: list[str] = []
    while len(villages) < n_villages:
        name = village_name(rng)
        if name not in used and name[:-1] + "社区" not in used:
            used.add(name)
            villages.append(name)
    return communities, villages
