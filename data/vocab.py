"""The controlled vocabularies of the case model: the one place where codes and their Chinese labels live.

The database stores short English codes (stable for SQL, URLs and imports); every label shown on screen is
looked up here, so renaming a label never touches data.
"""

from __future__ import annotations

from enum import StrEnum


class Level(StrEnum):
    """Area levels of the hierarchy, top to bottom."""

    CITY = "city"
    COUNTY = "county"
    TOWNSHIP = "township"
    VILLAGE = "village"
    GRID = "grid"


LEVEL_ORDER: tuple[Level, ...] = (Level.CITY, Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE, Level.GRID)
LEVEL_LABELS = {
    Level.CITY: "市",
    Level.COUNTY: "县区",
    Level.TOWNSHIP: "乡镇街道",
    Level.VILLAGE: "村社区",
    Level.GRID: "网格",
}


class HandlingLevel(StrEnum):
    """Levels of the four-level service-center network that handle a case (村/乡/县/市)."""

    VILLAGE = "village"
    TOWNSHIP = "township"
    COUNTY = "county"
    CITY = "city"


HANDLING_ORDER: tuple[HandlingLevel, ...] = (
    HandlingLevel.VILLAGE,
    HandlingLevel.TOWNSHIP,
    HandlingLevel.COUNTY,
    HandlingLevel.CITY,
)
HANDLING_LABELS = {
    HandlingLevel.VILLAGE: "村级",
    HandlingLevel.TOWNSHIP: "乡镇级",
    HandlingLevel.COUNTY: "县区级",
    HandlingLevel.CITY: "市级",
}


class Kind(StrEnum):
    DISPUTE = "dispute"
    PETITION = "petition"
    SECURITY = "security"
    HAZARD = "hazard"


KIND_LABELS = {
    Kind.DISPUTE: "矛盾纠纷",
    Kind.PETITION: "信访",
    Kind.SECURITY: "治安问题",
    Kind.HAZARD: "风险隐患",
}

CATEGORIES: dict[Kind, tuple[str, ...]] = {
    Kind.DISPUTE: ("婚姻家庭", "邻里纠纷", "土地纠纷", "劳资纠纷", "物业纠纷", "医疗纠纷", "合同纠纷", "损害赔偿"),
    Kind.PETITION: ("征地拆迁", "劳动社保", "涉法涉诉", "城乡建设", "非法金融", "民营医院", "农村农业"),
    Kind.SECURITY: ("电信诈骗", "盗窃", "打架斗殴", "噪音扰民", "黄赌毒", "交通秩序"),
    Kind.HAZARD: ("安全生产", "消防隐患", "道路交通", "群租房", "重点人员", "食品药品"),
}


class Channel(StrEnum):
    GRID = "grid_report"
    VISIT = "walk_in"
    HOTLINE = "hotline_12345"
    ONLINE = "online_petition"
    POLICE = "police_110"
    TRANSFER = "dept_transfer"


CHANNEL_LABELS = {
    Channel.GRID: "网格员上报",
    Channel.VISIT: "群众来访",
    Channel.HOTLINE: "12345热线",
    Channel.ONLINE: "网上信访",
    Channel.POLICE: "110警情",
    Channel.TRANSFER: "部门移交",
}


class Mode(StrEnum):
    ONSITE = "onsite"
    ONLINE = "online"
    JOINT = "joint_meeting"
    ESCALATED = "escalated"


MODE_LABELS = {Mode.ONSITE: "现场办", Mode.ONLINE: "线上办", Mode.JOINT: "提请会办", Mode.ESCALATED: "提级办理"}


class Status(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


STATUS_LABELS = {Status.OPEN: "办理中", Status.CLOSED: "已办结"}


class Outcome(StrEnum):
    SUCCESS = "mediated"
    FAILURE = "not_mediated"
    TERMINATED = "terminated"
    RESOLVED = "resolved"
    REFERRED = "referred"


# 化解: the outcomes that count as a dispute resolved (mediated, or closed as resolved) — every 化解 count uses it.
RESOLVED_OUTCOMES = (str(Outcome.SUCCESS), str(Outcome.RESOLVED))

OUTCOME_LABELS = {
    Outcome.SUCCESS: "调解成功",
    Outcome.FAILURE: "调解不成功",
    Outcome.TERMINATED: "终止",
    Outcome.RESOLVED: "办结化解",
    Outcome.REFERRED: "转诉讼/移交",
}


class BacklogColor(StrEnum):
    RED = "red"
    YELLOW = "yellow"
    GREEN = "green"


BACKLOG_COLOR_LABELS = {BacklogColor.RED: "红色", BacklogColor.YELLOW: "黄色", BacklogColor.GREEN: "绿色"}


class BacklogOrigin(StrEnum):
    NATIONAL = "national"
    PROVINCIAL = "provincial"
    CITY = "city_found"


BACKLOG_ORIGIN_LABELS = {
    BacklogOrigin.NATIONAL: "国治件",
    BacklogOrigin.PROVINCIAL: "省交办件",
    BacklogOrigin.CITY: "市排查件",
}


class Step(StrEnum):
    """Steps of a case's life recorded as events; stage durations are measured between them."""

    REGISTERED = "registered"
    DISPATCHED = "dispatched"
    ACCEPTED = "accepted"
    ESCALATED = "escalated"
    JOINT_MEETING = "joint_meeting"
    REPEAT_VISIT = "repeat_visit"
    CLOSED = "closed"


STEP_LABELS = {
    Step.REGISTERED: "登记",
    Step.DISPATCHED: "分派",
    Step.ACCEPTED: "受理",
    Step.ESCALATED: "提级",
    Step.JOINT_MEETING: "会商会办",
    Step.REPEAT_VISIT: "重访",
    Step.CLOSED: "办结",
}


class CardColor(StrEnum):
    BLUE = "blue"
    YELLOW = "yellow"
    RED = "red"


CARD_ORDER: tuple[CardColor, ...] = (CardColor.BLUE, CardColor.YELLOW, CardColor.RED)
CARD_LABELS = {CardColor.BLUE: "蓝牌", CardColor.YELLOW: "黄牌", CardColor.RED: "红牌"}


class CenterLevel(StrEnum):
    CITY = "city"
    COUNTY = "county"
    TOWNSHIP = "township"
    VILLAGE = "village"


CENTER_LEVEL_LABELS = {
    CenterLevel.CITY: "市社会治理现代化指挥中心",
    CenterLevel.COUNTY: "县区社会治理服务中心",
    CenterLevel.TOWNSHIP: "乡镇街道社会治理服务中心",
    CenterLevel.VILLAGE: "村社区社会治理服务站",
}


class WorkerRole(StrEnum):
    LIAISON = "liaison"
    GRID_STAFF = "grid_staff"


WORKER_ROLE_LABELS = {WorkerRole.LIAISON: "微网格联络员", WorkerRole.GRID_STAFF: "网格员"}
