"""The Korean locale (docs/architecture.md, rule 10): pages speak Korean to those who ask for it, and the catalogue is complete."""

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

PO_PATH = Path(settings.BASE_DIR) / "locale" / "ko" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")

# %(name)s / %(count)d (Python, and templates' {{ name }} once extracted) and {name} (str.format).
PLACEHOLDER = re.compile(r"%\([A-Za-z_][A-Za-z0-9_]*\)[sdif]|\{[A-Za-z_][A-Za-z0-9_]*\}")


# --- The catalogue ---------------------------------------------------------------------------

ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


def _unquote(line: str) -> str:
    body = line[line.index('"') + 1:line.rindex('"')]
    return re.sub(r"\\(.)", lambda m: ESCAPES[m.group(1)], body)


def read_po(path: Path) -> list[dict]:
    """Entries as {"flags", "msgid", "msgid_plural", "msgstr": {index: text}}; enough of the format for checks."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        entry = {"flags": set(), "msgstr": {}}
        key = None
        for line in block.strip().splitlines():
            if line.startswith("#,"):
                entry["flags"].update(flag.strip() for flag in line[2:].split(","))
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                if key[0] == "msgstr":
                    entry["msgstr"][key[1]] += _unquote(line)
                else:
                    entry[key[0]] += _unquote(line)
            else:
                keyword = line.split(" ", 1)[0]
                match = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
                if keyword == "msgstr" or match:
                    key = ("msgstr", int(match.group(1)) if match else None)
                    entry["msgstr"][key[1]] = _unquote(line)
                else:
                    key = (keyword, None)
                    entry[keyword] = _unquote(line)
        if "msgid" in entry:
            entries.append(entry)
    return [e for e in entries if e["msgid"]]  # the header has an empty msgid


@pytest.fixture(scope="module")
def catalogue() -> list[dict]:
    return read_po(PO_PATH)


def test_the_catalogue_is_large_and_complete(catalogue):
    assert len(catalogue) > 500
    untranslated = [e["msgid"] for e in catalogue if not all(s.strip() for s in e["msgstr"].values())]
    assert untranslated == []


def test_no_entry_is_fuzzy(catalogue):
    assert [e["msgid"] for e in catalogue if "fuzzy" in e["flags"]] == []
    assert "#, fuzzy" not in PO_PATH.read_text(encoding="utf-8")


def test_every_translation_keeps_the_placeholders_of_its_source(catalogue):
    broken = []
    for entry in catalogue:
        if "msgid_plural" in entry:
            # Korean has one plural form, used for every number: it must carry the plural's placeholders.
            expected = sorted(PLACEHOLDER.findall(entry["msgid_plural"]))
        else:
            expected = sorted(PLACEHOLDER.findall(entry["msgid"]))
        for text in entry["msgstr"].values():
            if sorted(set(PLACEHOLDER.findall(text))) != sorted(set(expected)):
                broken.append((entry["msgid"], text))
    assert broken == []


def test_plural_entries_have_the_korean_plural_form(catalogue):
    plurals = [e for e in catalogue if "msgid_plural" in e]
    assert plurals
    assert all(set(e["msgstr"]) == {0} for e in plurals)
    assert "Plural-Forms: nplurals=1; plural=0;" in PO_PATH.read_text(encoding="utf-8")


def test_the_committed_mo_matches_the_po(catalogue):
    # The .mo is committed so that machines without gettext still get Korean; it must not go stale.
    with MO_PATH.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for entry in catalogue:
        if "msgid_plural" in entry:
            if compiled.ngettext(entry["msgid"], entry["msgid_plural"], 1) != entry["msgstr"][0]:
                stale.append(entry["msgid"])
        elif "msgctxt" in entry:
            if compiled.pgettext(entry["msgctxt"], entry["msgid"]) != entry["msgstr"][None]:
                stale.append(entry["msgid"])
        elif compiled.gettext(entry["msgid"]) != entry["msgstr"][None]:
            stale.append(entry["msgid"])
    assert stale == []


APPS = ("accounts", "esm", "servicedesk", "incidents", "problems", "changes", "cmdb", "sla", "catalog", "knowledge",
        "surveys")
TEMPLATE_TRANS = re.compile(r"""\{%\s*trans(?:late)?\s+(?:"([^"]*)"|'([^']*)')[^%]*%\}""")


def _marked_in_python(path: Path) -> set[str]:
    """Literal messages passed to _(…) in one module."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_" and node.args
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            found.add(node.args[0].value)
    return found


def test_every_simple_marked_string_is_in_the_catalogue(catalogue):
    """Catches a string marked after the last ``makemessages -l ko`` (the .po then needs updating)."""
    base = Path(settings.BASE_DIR)
    marked = set()
    for app in APPS:
        for path in (base / app).rglob("*.py"):
            if "migrations" not in path.parts:
                marked |= _marked_in_python(path)
    for path in (base / "templates").rglob("*.*"):
        marked |= {double or single for double, single in TEMPLATE_TRANS.findall(path.read_text(encoding="utf-8"))}
    assert len(marked) > 400
    assert sorted(marked - {e["msgid"] for e in catalogue}) == []


def test_django_finds_the_translations():
    with translation.override("ko"):
        assert translation.gettext("Report a problem") == "문제 신고하기"
        assert translation.gettext("In progress") == "처리 중"


# --- Pages -----------------------------------------------------------------------------------

def korean(user):
    user.language = "ko"
    user.save(update_fields=["language"])
    return user


def get_html(client, url, **headers) -> str:
    response = client.get(url, **headers)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_portal_home_in_the_requesters_language(client, requester, make_incident):
    make_incident(title="프린터가 안 돼요")
    client.force_login(korean(requester))
    html = get_html(client, reverse("portal:home"))
    assert '<html lang="ko"' in html
    for text in ("ESM 서비스 포털", "문제 신고하기", "진행 중인 요청", "내 요청 모두 보기", "접수됨", "로그아웃"):
        assert text in html, text
    assert "Report a problem" not in html


@pytest.mark.django_db
def test_report_form_in_korean(client, requester):
    client.force_login(korean(requester))
    html = get_html(client, reverse("portal:report"))
    for text in ("어떤 문제가 있나요?", "업무에 얼마나 지장이 있나요?", "전혀 일할 수 없어요", "누가 영향을 받나요?",
                 "잘 모르겠어요", "요청 보내기"):
        assert text in html, text
    assert "What is wrong?" not in html


@pytest.mark.django_db
def test_report_form_errors_in_korean(client, requester):
    client.force_login(korean(requester))
    response = client.post(reverse("portal:report"), {"title": "", "urgency": "", "impact": ""})
    html = response.content.decode()
    assert "아래 표시된 항목을 확인해 주세요." in html
    assert "어떤 문제인지 간단히 적어 주세요." in html


@pytest.mark.django_db
def test_desk_pages_in_the_agents_language(client, agent, team, make_incident):
    ticket = make_incident(title="VPN 연결 끊김", actor=agent, team=team)
    client.force_login(korean(agent))
    queue = get_html(client, reverse("desk:queue") + "?queue=all")
    for text in ("ESM 데스크", "대기열", "내 작업", "미배정", "우선순위", "신규", "새 인시던트"):
        assert text in queue, text
    incident = get_html(client, reverse("desk-incidents:detail", args=[ticket.number]))
    for text in ("타임라인", "상세 정보", "영향도", "긴급도", "작업 시작", "내게 배정", "인시던트 등록"):
        assert text in incident, text
    assert "Timeline" not in incident


@pytest.mark.django_db
def test_login_page_follows_accept_language(client):
    html = get_html(client, reverse("login"), HTTP_ACCEPT_LANGUAGE="ko-KR,ko;q=0.9,en;q=0.5")
    assert '<html lang="ko"' in html
    for text in ("로그인", "사용자 이름", "비밀번호"):
        assert text in html, text
    english = get_html(client, reverse("login"), HTTP_ACCEPT_LANGUAGE="en")
    assert "Password" in english and "비밀번호" not in english


# --- The language switcher -------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["portal:home", "desk:queue"])
def test_switcher_is_offered_and_returns_to_the_page(client, agent, team, url_name):
    client.force_login(agent)
    url = reverse(url_name)
    html = get_html(client, url)
    assert f'action="{reverse("set_language")}"' in html
    assert f'name="next" value="{url}"' in html
    assert 'value="ko" lang="ko"' in html and "한국어" in html

    response = client.post(reverse("set_language"), {"language": "ko", "next": url})
    assert response.status_code == 302
    assert response["Location"] == url
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ko"
    assert '<html lang="ko"' in get_html(client, url)

    client.post(reverse("set_language"), {"language": "en", "next": url})
    assert '<html lang="en"' in get_html(client, url)


@pytest.mark.django_db
def test_switching_overrides_and_updates_the_profile_language(client, requester):
    client.force_login(korean(requester))
    assert '<html lang="ko"' in get_html(client, reverse("portal:home"))
    client.post(reverse("set_language"), {"language": "en", "next": reverse("portal:home")})
    assert '<html lang="en"' in get_html(client, reverse("portal:home"))
    requester.refresh_from_db()
    assert requester.language == "en"


@pytest.mark.django_db
def test_switching_language_is_remembered_on_the_profile(client, requester):
    client.force_login(requester)
    response = client.post("/i18n/setlang/", {"language": "ko", "next": "/portal/"})
    assert response.status_code == 302
    requester.refresh_from_db()
    assert requester.language == "ko"
