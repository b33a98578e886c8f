"""The demo service catalog, in English and Korean: a laptop, software, a shared folder, a new
colleague's onboarding, a password reset and VPN access, each with its form, approvals and tasks.

Everything is written through ``catalog.services`` by the demo catalog manager; ``seed()`` adds
only what is missing, so running it again changes nothing.
"""

from decimal import Decimal

from accounts.models import Team, User
from cmdb.models import CIClass
from servicedesk.models import ApproverGroup

from . import services
from .choices import ApproverSource, ItemState
from .choices import QuestionType as T
from .models import CatalogCategory, CatalogItem

KO = "ko"

# Approver groups the catalog asks (members by username): name, chair, members, description.
GROUPS = [
    ("Budget board", "lead", ["lead", "change"], "Approves purchases above the standard budget."),
    ("Software licence board", "appdev", ["appdev", "change"], "Approves paid software licences."),
]

CATEGORIES = [  # name, Korean name, icon, description, Korean description
    ("Hardware", "하드웨어", "laptop", "Laptops, screens and accessories.", "노트북, 모니터, 주변기기"),
    ("Software", "소프트웨어", "app", "Applications installed on your computer.", "컴퓨터에 설치하는 프로그램"),
    ("Access and accounts", "접근 권한 및 계정", "key", "Passwords, shared folders and remote access.",
     "비밀번호, 공유 폴더, 원격 접속"),
    ("People", "인사", "people", "Everything a new colleague needs on day one.", "신규 입사자가 첫날 필요한 모든 것"),
]


def choice(value, label, ko):
    return {"value": value, "label": label, "translations": {KO: ko}}


def question(key, kind, label, ko, **extra):
    """A question with its Korean label (``ko_help``: the Korean help text)."""
    ko_help = extra.pop("ko_help", "")
    texts = {"label": ko, **({"help_text": ko_help} if ko_help else {})}
    return {"key": key, "type": kind, "label": label, "translations": {KO: texts}, **extra}


NEEDS_JUSTIFICATION = {"question": "model", "op": "one_of", "value": ["performance", "workstation"]}

ITEMS = [
    {
        "category": "Hardware", "name": "New laptop", "ko": "새 노트북", "icon": "laptop",
        "short": "A company laptop, set up and ready to use.", "ko_short": "설정이 완료된 회사 노트북",
        "description": "Choose a model. **Standard** covers office work; the more powerful models need a "
                       "short justification and the budget board's approval.\n\nYour old laptop is collected "
                       "when the new one is delivered.",
        "ko_description": "모델을 선택하세요. **표준** 모델은 일반 사무용입니다. "
                          "고성능 모델은 사유와 예산 위원회 승인이 필요합니다.\n\n"
                          "새 노트북을 받을 때 기존 노트북은 회수됩니다.",
        "price": "900.00", "currency": "EUR", "days": 5, "team": "Workplace", "max_quantity": 3,
        "questions": [
            question("model", T.CHOICE, "Model", "모델", required=True, default="standard", choices=[
                choice("standard", "Standard 14\" (EUR 900)", "표준 14인치 (EUR 900)"),
                choice("performance", "Performance 16\" (EUR 1,800)", "고성능 16인치 (EUR 1,800)"),
                choice("workstation", "Workstation 17\" (EUR 3,200)", "워크스테이션 17인치 (EUR 3,200)"),
            ]),
            question("justification", T.LONG_TEXT, "Why do you need a more powerful model?",
                     "고성능 모델이 필요한 이유", help_text="For example the software you run.",
                     ko_help="예: 사용하는 프로그램", visible_if=NEEDS_JUSTIFICATION, required_if=NEEDS_JUSTIFICATION),
            question("keyboard", T.CHOICE, "Keyboard layout", "키보드 배열", required=True, default="us", choices=[
                choice("us", "US English", "미국 영어"), choice("uk", "UK English", "영국 영어"),
                choice("ko", "Korean", "한국어")]),
            question("accessories", T.MULTI_CHOICE, "Accessories", "주변기기", choices=[
                choice("mouse", "Mouse", "마우스"), choice("headset", "Headset", "헤드셋"),
                choice("dock", "Docking station", "도킹 스테이션")]),
            question("needed_by", T.DATE, "Needed by", "필요한 날짜"),
        ],
        "approvals": [
            {"name": "Manager", "source": ApproverSource.MANAGER},
            # A more powerful model, or an order above EUR 2,500 (three standard laptops).
            {"name": "Budget board", "source": ApproverSource.GROUP, "group": "Budget board",
             "condition": {"any": [NEEDS_JUSTIFICATION, {"question": "price", "op": "at_least", "value": 2500}]},
             "timeout_hours": 72, "timeout_action": "reject"},
        ],
        "tasks": [
            {"key": "imaging", "name": "Prepare and image the laptop", "ko": "노트북 준비 및 이미지 설치",
             "team": "Workplace", "description": "Model: {model}. Keyboard: {keyboard}. Accessories: {accessories}."},
            {"key": "delivery", "name": "Deliver the laptop and collect the old one",
             "ko": "노트북 전달 및 기존 장비 회수",
             "team": "Workplace", "depends_on": ["imaging"]},
        ],
    },
    {
        "category": "Software", "name": "Software installation", "ko": "소프트웨어 설치", "icon": "app",
        "short": "Install a licensed application on your computer.", "ko_short": "라이선스가 있는 프로그램 설치",
        "description": "Paid software needs a licence, which the software licence board approves.",
        "ko_description": "유료 소프트웨어는 라이선스가 필요하며 소프트웨어 라이선스 위원회가 승인합니다.",
        "days": 3, "team": "Workplace", "max_quantity": 1,
        "questions": [
            question("software", T.CHOICE, "Which software?", "어떤 소프트웨어인가요?", required=True, choices=[
                choice("visio", "Microsoft Visio", "Microsoft Visio"),
                choice("acrobat", "Adobe Acrobat Pro", "Adobe Acrobat Pro"),
                choice("autocad", "AutoCAD", "AutoCAD"), choice("other", "Something else", "기타")]),
            question("other_software", T.SHORT_TEXT, "Name of the software", "소프트웨어 이름",
                     visible_if={"question": "software", "op": "equals", "value": "other"},
                     required_if={"question": "software", "op": "equals", "value": "other"}),
            question("computer_name", T.SHORT_TEXT, "Computer name", "컴퓨터 이름",
                     help_text="On the sticker under your laptop, e.g. LT-01234.",
                     ko_help="노트북 아래 스티커 (예: LT-01234)",
                     pattern=r"[A-Za-z]{2}-\d{4,6}", pattern_message="Write it like LT-01234.", required=True),
        ],
        "approvals": [{"name": "Licence", "source": ApproverSource.GROUP, "group": "Software licence board"}],
        "tasks": [{"key": "install", "name": "Install the software", "ko": "소프트웨어 설치", "team": "Workplace",
                   "description": "Software: {software} {other_software}. Computer: {computer_name}."}],
    },
    {
        "category": "Access and accounts", "name": "Access to a shared folder", "ko": "공유 폴더 접근 권한",
        "icon": "folder", "short": "Read or change files in a team's shared folder.",
        "ko_short": "팀 공유 폴더의 파일 읽기 또는 수정 권한",
        "description": "The folder's owner approves the access.", "ko_description": "폴더 담당자가 접근을 승인합니다.",
        "days": 1, "team": "Service Desk", "max_quantity": 1,
        "questions": [
            question("folder", T.SHORT_TEXT, "Folder path", "폴더 경로", required=True,
                     help_text="For example \\\\files\\finance\\reports", ko_help="예: \\\\files\\finance\\reports",
                     pattern=r"\\\\.+", pattern_message="Start the path with \\\\, e.g. \\\\files\\team."),
            question("access", T.CHOICE, "Access", "권한", required=True, default="read", choices=[
                choice("read", "Read only", "읽기 전용"), choice("change", "Read and change", "읽기 및 수정")]),
            question("folder_owner", T.PERSON, "Who owns the folder?", "폴더 담당자는 누구인가요?", required=True,
                     help_text="They will be asked to approve.", ko_help="이 분에게 승인을 요청합니다."),
            question("until", T.DATE, "Until (leave empty if permanent)", "종료일 (영구적이면 비워 두세요)"),
        ],
        "approvals": [{"name": "Folder owner", "source": ApproverSource.ANSWER, "answer_key": "folder_owner",
                       "timeout_hours": 48, "timeout_action": "escalate", "escalate_to": "Budget board"}],
        "tasks": [{"key": "grant", "name": "Grant access to the folder", "ko": "폴더 접근 권한 부여",
                   "team": "Service Desk", "description": "Folder: {folder}. Access: {access}. Until: {until}."}],
    },
    {
        "category": "Access and accounts", "name": "Password reset", "ko": "비밀번호 초기화", "icon": "key",
        "short": "Locked out? Get a new password for an application.",
        "ko_short": "계정이 잠겼나요? 새 비밀번호를 받으세요.",
        "description": "No approval needed: the service desk calls you with a temporary password.",
        "ko_description": "승인이 필요 없습니다. 서비스 데스크가 임시 비밀번호를 전화로 알려 드립니다.",
        "days": 1, "team": "Service Desk", "max_quantity": 1, "allow_requested_for": False,
        "questions": [
            question("system", T.CI, "Which application?", "어떤 애플리케이션인가요?", required=True,
                     ci_class="application"),
            question("phone", T.SHORT_TEXT, "Phone number to call you back", "연락 받을 전화번호", required=True,
                     pattern=r"[0-9+() -]{6,20}", pattern_message="Digits, spaces and + only."),
        ],
        "approvals": [],
        "tasks": [{"key": "reset", "name": "Reset the password and call back", "ko": "비밀번호 초기화 후 연락",
                   "team": "Service Desk", "description": "Application: {system}. Call: {phone}."}],
    },
    {
        "category": "Access and accounts", "name": "VPN access", "ko": "VPN 접속 권한", "icon": "globe",
        "short": "Work from home or on the road through the company VPN.",
        "ko_short": "재택 또는 외근 시 회사 VPN 사용",
        "description": "Your manager approves; the network team sets up your account.",
        "ko_description": "관리자가 승인하면 네트워크 팀이 계정을 설정합니다.",
        "days": 2, "team": "Network", "max_quantity": 1,
        "questions": [
            question("reason", T.LONG_TEXT, "What do you need it for?", "사용 목적", required=True),
            question("temporary", T.YES_NO, "Only for a limited time?", "기간 한정인가요?", default=False),
            question("until", T.DATE, "Until", "종료일",
                     visible_if={"question": "temporary", "op": "equals", "value": True},
                     required_if={"question": "temporary", "op": "equals", "value": True}),
        ],
        "approvals": [{"name": "Manager", "source": ApproverSource.MANAGER, "timeout_hours": 72,
                       "timeout_action": "approve"}],
        "tasks": [{"key": "vpn", "name": "Create the VPN account", "ko": "VPN 계정 생성", "team": "Network",
                   "description": "Temporary: {temporary}. Until: {until}."}],
    },
    {
        "category": "People", "name": "New employee onboarding", "ko": "신규 입사자 온보딩", "icon": "person-plus",
        "short": "Accounts, laptop, badge and desk for a new colleague.",
        "ko_short": "신규 입사자의 계정, 노트북, 출입증, 자리",
        "description": "Order this at least a week before the first day. Several teams prepare everything: "
                       "accounts first, then the laptop; the badge and the desk in parallel.",
        "ko_description": "입사 최소 일주일 전에 신청하세요. 여러 팀이 준비합니다: "
                          "계정을 먼저 만들고 노트북을 준비하며, 출입증과 자리는 동시에 준비합니다.",
        "days": 7, "team": "Service Desk", "max_quantity": 1, "allow_requested_for": False,
        "questions": [
            question("employee_name", T.SHORT_TEXT, "New colleague's full name", "신규 입사자 이름", required=True),
            question("start_date", T.DATE, "First working day", "첫 출근일", required=True),
            question("department", T.CHOICE, "Department", "부서", required=True, choices=[
                choice("finance", "Finance", "재무"), choice("sales", "Sales", "영업"),
                choice("rnd", "R&D", "연구소")]),
            question("needs_laptop", T.YES_NO, "Do they need a laptop?", "노트북이 필요한가요?", default=True),
            question("laptop_model", T.CHOICE, "Laptop model", "노트북 모델", default="standard",
                     visible_if={"question": "needs_laptop", "op": "equals", "value": True},
                     required_if={"question": "needs_laptop", "op": "equals", "value": True}, choices=[
                         choice("standard", "Standard 14\"", "표준 14인치"),
                         choice("performance", "Performance 16\"", "고성능 16인치")]),
            question("desk", T.SHORT_TEXT, "Desk (floor and number)", "자리 (층 및 번호)", help_text="e.g. 3F-12",
                     ko_help="예: 3F-12"),
        ],
        "approvals": [{"name": "Manager", "source": ApproverSource.MANAGER}],
        "tasks": [
            {"key": "accounts", "name": "Create accounts (directory, e-mail, ERP)",
             "ko": "계정 생성 (디렉터리, 메일, ERP)",
             "team": "Applications", "description": "{employee_name}, {department}, from {start_date}."},
            {"key": "laptop", "name": "Image and set up the laptop", "ko": "노트북 이미지 설치 및 설정",
             "team": "Workplace", "depends_on": ["accounts"], "description": "Model: {laptop_model}.",
             "condition": {"question": "needs_laptop", "op": "equals", "value": True}},
            {"key": "badge", "name": "Print the access badge", "ko": "출입증 발급", "team": "Service Desk",
             "description": "{employee_name}, from {start_date}."},
            {"key": "desk", "name": "Prepare the desk", "ko": "자리 준비", "team": "Workplace",
             "depends_on": ["accounts"], "description": "Desk: {desk}."},
        ],
    },
]


def _groups(people) -> dict[str, ApproverGroup]:
    """The catalog's approver groups (approver groups are configuration, kept in the admin)."""
    groups = {}
    for name, chair, members, description in GROUPS:
        group, created = ApproverGroup.objects.get_or_create(
            name=name, defaults={"chair": people[chair], "description": description})
        if created:
            group.members.set([people[m] for m in members])
        groups[name] = group
    return groups


def _category(actor, name, ko, icon, description, ko_description, position) -> CatalogCategory:
    existing = CatalogCategory.objects.filter(name=name).first()
    return existing or services.category_save(
        actor=actor, name=name, icon=icon, description=description, position=position,
        translations={KO: {"name": ko, "description": ko_description}})


def _item(actor, spec, category, teams, groups, classes, position) -> CatalogItem:
    item = services.item_save(
        actor=actor, category=category, name=spec["name"], short_description=spec["short"],
        description=spec["description"], icon=spec["icon"], price=Decimal(spec["price"]) if "price" in spec else None,
        currency=spec.get("currency", ""), delivery_days=spec["days"], fulfilment_team=teams[spec["team"]],
        max_quantity=spec["max_quantity"], allow_requested_for=spec.get("allow_requested_for", True),
        position=position, translations={KO: {"name": spec["ko"], "short_description": spec["ko_short"],
                                              "description": spec["ko_description"]}})
    form = services.form_draft(actor=actor, item=item)
    for fields in spec["questions"]:
        fields = dict(fields)
        if "ci_class" in fields:
            fields["ci_class"] = classes.get(fields["ci_class"])
        services.question_save(actor=actor, form=form, **fields)
    templates = {}
    for task in spec["tasks"]:
        templates[task["key"]] = services.task_template_save(
            actor=actor, item=item, key=task["key"], name=task["name"], team=teams[task["team"]],
            description=task.get("description", ""), condition=task.get("condition"),
            translations={KO: {"name": task["ko"]}},
            depends_on=[templates[key] for key in task.get("depends_on", [])])
    for rule in spec["approvals"]:
        rule = dict(rule)
        for name in ("group", "escalate_to"):
            if name in rule:
                rule[name] = groups[rule[name]]
        services.approval_rule_save(actor=actor, item=item, **rule)
    services.form_publish(actor=actor, form=form)
    return services.item_set_state(actor=actor, item=item, state=ItemState.ACTIVE)


def seed() -> dict:
    """Create the demo catalog where missing; returns how many categories and items were created."""
    actor = User.objects.get(username="catalog")
    people = {u.username: u for u in User.objects.filter(username__in={g[1] for g in GROUPS}
                                                         | {m for g in GROUPS for m in g[2]})}
    teams = {t.name: t for t in Team.objects.all()}
    classes = {c.slug: c for c in CIClass.objects.all()}
    groups = _groups(people)
    created = {"categories": 0, "items": 0}
    categories = {}
    for position, (name, ko, icon, description, ko_description) in enumerate(CATEGORIES, start=1):
        created["categories"] += not CatalogCategory.objects.filter(name=name).exists()
        categories[name] = _category(actor, name, ko, icon, description, ko_description, position)
    existing = set(CatalogItem.objects.values_list("name", flat=True))
    for position, spec in enumerate(ITEMS, start=1):
        if spec["name"] not in existing:
            _item(actor, spec, categories[spec["category"]], teams, groups, classes, position)
            created["items"] += 1
    return created
