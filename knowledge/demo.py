"""The demo's knowledge base for ``manage.py seed_demo``: three knowledge bases and 32 articles in
Korean and English, with a second version of some, feedback (one "not helpful" with its task), an
article near its valid-to date (its review task), one waiting for a knowledge manager's approval,
and an article attached to a demo incident as the one that resolved it.

Everything goes through the knowledge services, so the demo obeys the rules the application
enforces. Idempotent: nothing is added while an article exists.
"""

from collections import Counter
from datetime import timedelta

import pghistory
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts import demo as accounts_demo
from accounts.models import Organisation
from cmdb.models import ConfigurationItem
from incidents.demo import NOT_SENT_NOTE, outbox_only
from servicedesk import approvals
from servicedesk.choices import TicketKind
from servicedesk.models import Notification, Ticket

from . import services
from .choices import Audience, PublishingPolicy
from .models import Article, DeflectionSession, KnowledgeBase, KnowledgeTask

DEMO_SOURCE = "seed_demo"

BASES = [  # name, audience, publishing, restricted to organisations, description
    ("IT help", Audience.PUBLIC, PublishingPolicy.INSTANT, (),
     "Answers for everyone: accounts, e-mail, VPN, printing."),
    ("Service desk runbooks", Audience.INTERNAL, PublishingPolicy.INSTANT, (), "How the desk fixes things."),
    ("연구소 가이드", Audience.PUBLIC, PublishingPolicy.APPROVAL, ("연구소 R&D",),
     "R&D lab guides, for the lab's people only; a knowledge manager approves every publication."),
]


def _body(symptoms: str, cause: str, steps: list[str]) -> str:
    numbered = "\n".join(f"{n}. {step}" for n, step in enumerate(steps, 1))
    return f"## Symptoms\n\n{symptoms}\n\n## Cause\n\n{cause}\n\n## Resolution\n\n{numbered}\n"


def _body_ko(symptoms: str, cause: str, steps: list[str]) -> str:
    numbered = "\n".join(f"{n}. {step}" for n, step in enumerate(steps, 1))
    return f"## 증상\n\n{symptoms}\n\n## 원인\n\n{cause}\n\n## 해결 방법\n\n{numbered}\n"


# knowledge base, language, title, tags, service, owner, body
ARTICLES = [
    ("IT help", "en", "Connect to the VPN from home", ["vpn", "remote", "globalprotect"], "VPN", "netops",
     _body("You need company systems from home or while travelling.", "Internal systems are reachable only "
           "through the VPN.", ["Open **GlobalProtect** from the system tray.", "Enter `vpn.example.com` as the "
           "portal.", "Sign in with your company account and approve the MFA prompt.", "Wait for *Connected*."])),
    ("IT help", "en", "VPN disconnects every few minutes", ["vpn", "disconnect", "wi-fi"], "VPN", "netops",
     _body("The VPN connects, then drops after 2–10 minutes.", "A weak home Wi-Fi signal or a router that "
           "closes idle UDP sessions.", ["Move closer to the router or use a cable.", "In GlobalProtect, "
           "choose *Settings → Connection → Use TCP*.", "Restart the laptop and connect again."])),
    ("IT help", "ko", "재택근무 시 VPN 접속 방법", ["vpn", "재택근무", "원격접속"], "VPN", "netops",
     _body_ko("집이나 출장지에서 회사 시스템에 접속해야 합니다.", "사내 시스템은 VPN을 통해서만 접속할 수 있습니다.",
              ["작업 표시줄에서 **GlobalProtect**를 엽니다.", "포털 주소에 `vpn.example.com`을 입력합니다.",
               "회사 계정으로 로그인하고 MFA 알림을 승인합니다.", "*연결됨*이 표시될 때까지 기다립니다."])),
    ("IT help", "ko", "VPN 연결이 자주 끊겨요", ["vpn", "연결끊김", "와이파이"], "VPN", "netops",
     _body_ko("VPN이 연결된 뒤 몇 분 만에 끊깁니다.", "가정용 와이파이 신호가 약하거나 공유기가 유휴 연결을 닫습니다.",
              ["공유기 가까이에서 사용하거나 유선으로 연결합니다.", "GlobalProtect 설정에서 TCP 사용을 선택합니다.",
               "노트북을 다시 시작한 뒤 다시 연결합니다."])),
    ("IT help", "en", "Reset your password", ["password", "account", "self-service"], None, "agent",
     _body("You forgot your password or it expired.", "Passwords expire every 90 days.",
           ["Go to `https://password.example.com`.", "Enter your user name and answer the MFA prompt.",
            "Choose a new password of at least 12 characters.", "Sign in again on your laptop and phone."])),
    ("IT help", "ko", "비밀번호 초기화 방법", ["비밀번호", "계정", "초기화"], None, "agent",
     _body_ko("비밀번호를 잊어버렸거나 만료되었습니다.", "비밀번호는 90일마다 만료됩니다.",
              ["`https://password.example.com`에 접속합니다.", "사용자 이름을 입력하고 MFA 알림을 승인합니다.",
               "12자 이상의 새 비밀번호를 정합니다.", "노트북과 휴대폰에서 새 비밀번호로 다시 로그인합니다."])),
    ("IT help", "ko", "계정이 잠겼을 때", ["계정잠김", "비밀번호", "로그인"], None, "agent",
     _body_ko("로그인할 때 *계정이 잠겼습니다*라는 메시지가 나옵니다.", "비밀번호를 여러 번 틀리면 15분 동안 잠깁니다.",
              ["15분 기다린 뒤 다시 시도합니다.", "비밀번호가 기억나지 않으면 비밀번호 초기화 방법을 따릅니다.",
               "휴대폰의 메일 앱에 옛 비밀번호가 저장되어 있으면 바꿉니다."])),
    ("IT help", "en", "Outlook keeps asking for your password", ["outlook", "e-mail", "password"], "E-mail",
     "appdev", _body("Outlook shows a sign-in window again and again.", "A stored old password or a broken "
                     "profile after a password change.", ["Close Outlook.", "Open *Credential Manager* and remove "
                     "entries that start with `MicrosoftOffice`.", "Start Outlook and sign in once."])),
    ("IT help", "en", "Outlook is stuck on \"Disconnected\"", ["outlook", "e-mail", "offline"], "E-mail",
     "appdev", _body("The status bar says *Disconnected* or *Working offline*.", "Offline mode is on, or the VPN "
                     "dropped.", ["On the *Send / Receive* tab, switch off *Work Offline*.", "Check the VPN when "
                     "outside the office.", "Restart Outlook."])),
    ("IT help", "ko", "아웃룩 메일이 보내지지 않아요", ["아웃룩", "메일", "보낼편지함"], "E-mail", "appdev",
     _body_ko("메일이 보낼 편지함에 남아 있고 보내지지 않습니다.", "첨부 파일이 너무 크거나 오프라인 모드입니다.",
              ["첨부 파일이 25MB를 넘으면 OneDrive 링크로 바꿉니다.", "*보내기/받기* 탭에서 오프라인 작업을 끕니다.",
               "아웃룩을 다시 시작합니다."])),
    ("IT help", "ko", "메일 용량이 가득 찼을 때", ["메일", "용량", "사서함"], "E-mail", "appdev",
     _body_ko("*사서함이 가득 찼습니다* 알림이 뜨고 메일을 보낼 수 없습니다.", "사서함 한도(50GB)를 넘었습니다.",
              ["지운 편지함을 비웁니다.", "큰 첨부 파일이 있는 메일을 보관 폴더로 옮깁니다.",
               "그래도 부족하면 서비스 데스크에 용량 증설을 요청합니다."])),
    ("IT help", "en", "Add a printer on your laptop", ["printer", "printing", "setup"], "Printing", "fieldtech",
     _body("You cannot see the floor's printer.", "Printers are shared from the print server.",
           ["Open *Settings → Printers & scanners*.", "Choose *Add device* and pick `prn-3f-01` (3rd floor).",
            "Print a test page."])),
    ("IT help", "en", "Printer shows \"Paper jam\"", ["printer", "paper jam"], "Printing", "fieldtech",
     _body("The printer stops with a paper-jam message.", "A sheet is stuck in the tray or the fuser.",
           ["Open the front door and the side cover.", "Pull the sheet out slowly in the direction of the "
            "paper path.", "Close the covers; the job continues."])),
    ("IT help", "ko", "프린터가 인쇄를 안 해요", ["프린터", "인쇄", "대기열"], "Printing", "fieldtech",
     _body_ko("인쇄를 눌러도 프린터에서 아무것도 나오지 않습니다.", "인쇄 대기열에 멈춘 작업이 있거나 다른 프린터가 "
              "기본으로 선택되어 있습니다.", ["*설정 → 프린터 및 스캐너*에서 올바른 프린터를 기본으로 선택합니다.",
                                   "인쇄 대기열을 열고 멈춘 작업을 취소합니다.", "다시 인쇄합니다."])),
    ("IT help", "ko", "프린터 용지 걸림 해결", ["프린터", "용지걸림"], "Printing", "fieldtech",
     _body_ko("프린터에 *용지 걸림*이 표시됩니다.", "용지함이나 정착기에 종이가 끼었습니다.",
              ["앞 덮개와 옆 덮개를 엽니다.", "종이가 나가는 방향으로 천천히 빼냅니다.",
               "덮개를 닫으면 인쇄가 이어집니다."])),
    ("IT help", "ko", "스캔한 문서를 메일로 받기", ["프린터", "스캔", "복합기"], "Printing", "fieldtech",
     _body_ko("복합기에서 스캔한 문서를 메일로 받고 싶습니다.", "복합기의 *메일로 스캔* 기능을 사용합니다.",
              ["사원증을 복합기에 태그합니다.", "*스캔 → 내 메일로*를 누릅니다.", "받은 편지함을 확인합니다."])),
    ("IT help", "en", "Connect to the office Wi-Fi", ["wi-fi", "wireless", "network"], "Wi-Fi", "config",
     _body("Your laptop does not join the office network.", "The corporate network needs your company account.",
           ["Choose the `CORP` network.", "Sign in with your company account.", "Guests use `GUEST` with the "
            "code from reception."])),
    ("IT help", "ko", "사내 와이파이 접속 방법", ["와이파이", "무선", "네트워크"], "Wi-Fi", "config",
     _body_ko("노트북이 사내 무선 네트워크에 연결되지 않습니다.", "사내망은 회사 계정으로 인증해야 합니다.",
              ["`CORP` 네트워크를 선택합니다.", "회사 계정으로 로그인합니다.", "손님은 안내 데스크에서 받은 코드로 "
               "`GUEST`에 접속합니다."])),
    ("IT help", "ko", "그룹웨어 전자결재 문서가 안 보여요", ["그룹웨어", "전자결재", "결재"], "그룹웨어", "appdev",
     _body_ko("결재할 문서가 결재함에 보이지 않습니다.", "대결자 설정이 되어 있거나 브라우저 캐시 문제입니다.",
              ["*환경설정 → 대결자*를 확인합니다.", "브라우저 캐시를 지우고 다시 로그인합니다.",
               "그래도 안 보이면 문서 번호와 함께 문의합니다."])),
    ("IT help", "en", "Request leave in the HR portal", ["hr portal", "leave", "vacation"], "HR portal", "slm",
     _body("You want to book days off.", "Leave is requested and approved in the HR portal.",
           ["Open the HR portal and choose *Leave → New request*.", "Pick the dates and the type.",
            "Your manager approves it; you get an e-mail."])),
    ("IT help", "ko", "급여명세서 확인 방법", ["인사포털", "급여명세서", "급여"], "HR portal", "slm",
     _body_ko("이번 달 급여명세서를 보고 싶습니다.", "급여명세서는 인사 포털에서만 볼 수 있습니다.",
              ["인사 포털에 로그인합니다.", "*급여 → 명세서*를 선택합니다.", "PDF로 내려받을 수 있습니다."])),
    ("IT help", "en", "ERP is slow at month end", ["erp", "slow", "month end"], "ERP", "problem",
     _body("ERP screens take a long time to open on the last working days of the month.", "Closing reports run "
           "at the same time.", ["Run large reports after 18:00.", "Use the *Scheduled report* option.",
                                  "Report screens that take more than a minute."])),
    ("IT help", "en", "Set up MFA on a new phone", ["mfa", "authenticator", "phone"], None, "agent",
     _body("You changed phones and no longer get MFA prompts.", "The authenticator is tied to the old phone.",
           ["On a computer, open `https://mysignins.example.com`.", "Add the new phone and scan the QR code.",
            "Remove the old phone."])),
    ("IT help", "ko", "새 휴대폰에 MFA 등록하기", ["mfa", "인증앱", "휴대폰"], None, "agent",
     _body_ko("휴대폰을 바꾼 뒤 MFA 알림이 오지 않습니다.", "인증 앱이 예전 휴대폰에 등록되어 있습니다.",
              ["컴퓨터에서 `https://mysignins.example.com`을 엽니다.", "새 휴대폰을 추가하고 QR 코드를 스캔합니다.",
               "예전 휴대폰을 삭제합니다."])),
    ("IT help", "en", "Laptop does not turn on", ["laptop", "power", "battery"], "Laptops and desktops",
     "fieldtech", _body("The laptop stays black when you press the power button.", "The battery is empty or the "
                        "laptop is stuck in sleep.", ["Plug in the charger and wait five minutes.", "Hold the "
                        "power button for 15 seconds, then press it again.", "Bring it to the IT desk if the "
                        "charging light stays off."])),
    ("IT help", "ko", "모니터가 인식되지 않아요", ["모니터", "도킹스테이션", "노트북"], "Laptops and desktops",
     "fieldtech", _body_ko("도킹 스테이션에 연결해도 외부 모니터가 켜지지 않습니다.", "도킹 스테이션 펌웨어나 케이블 "
                           "문제입니다.", ["케이블을 뽑았다가 다시 꽂습니다.", "`Win + P`를 눌러 *확장*을 선택합니다.",
                                     "그래도 안 되면 도킹 스테이션 전원을 껐다 켭니다."])),
    ("IT help", "en", "Share a large file with someone outside", ["onedrive", "file sharing", "attachment"],
     "E-mail", "appdev", _body("A file is too big to e-mail.", "Attachments over 25 MB are refused.",
                               ["Save the file in OneDrive.", "Choose *Share → Specific people* and enter "
                                "the address.", "Send the link instead of the file."])),
    ("Service desk runbooks", "en", "Unlock an account in Active Directory", ["account", "active directory",
     "runbook"], None, "lead", _body("A caller is locked out.", "Too many wrong passwords; the lockout lasts "
                                     "15 minutes.", ["Verify the caller with two facts from the HR record.",
                                                     "In AD Users and Computers, open the account and tick "
                                                     "*Unlock account*.", "Ask the caller to update stored "
                                                     "passwords on their phone."])),
    ("Service desk runbooks", "ko", "메일 서버 장애 시 1차 대응", ["메일서버", "장애", "exchange"], "E-mail", "lead",
     _body_ko("여러 사용자가 동시에 메일 송수신 장애를 신고합니다.", "메일 서버 또는 Exchange 서비스 이상입니다.",
              ["모니터링에서 mail-01, mail-02 상태를 확인합니다.", "주요 장애(Major incident)로 선언할지 팀장에게 "
               "확인합니다.", "포털 공지를 올리고 관련 인시던트를 상위 인시던트에 연결합니다."])),
    ("Service desk runbooks", "en", "Replace a printer toner", ["printer", "toner", "runbook"], "Printing",
     "fieldtech", _body("The printer reports low toner.", "Toner runs out about every 8,000 pages.",
                        ["Take a cartridge from the supply room (shelf B).", "Open the front door and swap the "
                         "cartridge.", "Log the replacement on the printer's CI."])),
    ("연구소 가이드", "ko", "연구소 공용 GPU 서버 사용 신청", ["gpu", "연구소", "서버"], None, "appdev",
     _body_ko("연구용 GPU 서버를 사용하고 싶습니다.", "GPU 서버는 예약제로 운영합니다.",
              ["연구소 그룹웨어 게시판에서 사용 신청서를 작성합니다.", "승인 메일을 받으면 배정된 시간에 접속합니다.",
               "사용이 끝나면 데이터를 정리합니다."])),
    ("연구소 가이드", "ko", "연구 데이터 백업 규칙", ["백업", "연구소", "데이터"], None, "appdev",
     _body_ko("연구 데이터를 어디에 어떻게 백업해야 하는지 궁금합니다.", "연구 데이터는 연구소 NAS에만 저장합니다.",
              ["개인 PC에 원본을 두지 않습니다.", "매일 NAS 동기화가 끝났는지 확인합니다.",
               "외부 반출은 연구소장 승인이 필요합니다."])),
]


def demo_knowledge_exists() -> bool:
    return Article.objects.exists()


def _bases(manager) -> dict[str, KnowledgeBase]:
    bases = {}
    for name, audience, publishing, organisations, description in BASES:
        bases[name] = KnowledgeBase.objects.filter(name=name).first() or services.knowledge_base_save(
            actor=manager, name=name, description=description, audience=audience, publishing=publishing,
            organisations=list(Organisation.objects.filter(name__in=organisations)))
    return bases


def seed(*, now=None) -> Counter:
    """Load the demo's knowledge; returns what was created (nothing when articles exist)."""
    now = now or timezone.now()
    created = Counter()
    with transaction.atomic():
        with pghistory.context(source=DEMO_SOURCE, actor=None):
            people, _teams = accounts_demo.seed(Counter())
        if demo_knowledge_exists():
            return created
        bases = _bases(people["knowledge"])
        service_cis = {ci.name: ci for ci in ConfigurationItem.objects.services()}
        articles = []
        with outbox_only():  # task and approval e-mails are recorded, never sent
            for base, language, title, tags, service, owner, body in ARTICLES:
                author = people[owner]
                article = services.article_create(
                    actor=author, knowledge_base=bases[base], title=title, body=body, tags=tags,
                    language=language, owner=author, cis=[service_cis[service]] if service in service_cis else [])
                articles.append(article)
            _publish_and_use(articles, people, now)
        Notification.objects.filter(ticket__kind=TicketKind.KNOWLEDGE_TASK, sent_at__isnull=True).update(
            sent_at=F("created_at"), last_error=NOT_SENT_NOTE)
        created["articles"] = len(articles)
        created["knowledge bases"] = len(bases)
    return created


def _publish_and_use(articles: list[Article], people: dict, now) -> None:
    """Publish most articles, then give the demo its history: a second version, feedback, tasks."""
    approval_pending = articles[-1]  # waits for a knowledge manager in the approval-policy base
    for article in articles:
        if article is approval_pending:
            services.article_transition(actor=article.owner, article=article, action="submit")
        elif article.knowledge_base.publishing == PublishingPolicy.INSTANT:
            services.article_transition(actor=article.owner, article=article, action="publish")
        else:  # the lab's first guide: submitted, then approved by the knowledge manager
            services.article_transition(actor=article.owner, article=article, action="submit")
            task = KnowledgeTask.objects.filter(article=article).select_related("ticket").get()
            approvals.approval_vote(actor=people["knowledge"], ticket=task.ticket, decision="approve",
                                    comment="Checked with the lab.")
    # A second version of the VPN article, so the history has a diff.
    vpn = Article.objects.get(pk=articles[0].pk)
    services.article_edit(actor=people["agent"], article=vpn, body=vpn.body.replace(
        "4. Wait for *Connected*.", "4. Wait for *Connected*.\n5. If it says *Gateway not responding*, "
        "choose another gateway in the list."), note="Added the gateway tip")
    services.article_transition(actor=people["agent"], article=vpn, action="publish")
    # Feedback from requesters: thanks, and one "no" that opens a task for the owner.
    printer_ko = articles[13]
    for username, helpful, rating, comment in [("minji", True, 5, "바로 해결됐어요."), ("seojun", True, 4, ""),
                                               ("haeun", False, 2, "대기열에 작업이 없는데도 인쇄가 안 됩니다.")]:
        services.feedback_add(actor=people[username], article=printer_ko, helpful=helpful, rating=rating,
                              comment=comment)
    for username in ("alice", "bob", "emma"):
        services.feedback_add(actor=people[username], article=articles[4], helpful=True, rating=5)
    services.feedback_add(actor=people["chris"], article=articles[8], flagged=True,
                          comment="The menu is called *Send / Receive → Preferences* in the new Outlook.")
    for index, views in ((0, 240), (5, 180), (13, 150), (4, 130), (2, 95)):
        Article.objects.filter(pk=articles[index].pk).update(view_count=views)
    # An article near its valid-to date: the beat's scan opens the owner's review task.
    expiring = Article.objects.get(pk=articles[21].pk)
    services.article_edit(actor=expiring.owner, article=expiring, valid_to=(now + timedelta(days=20)).date())
    services.review_tasks_open(actor=None, now=now)
    # Requesters who found their answer on the report form two days ago: counted as deflections.
    for username, text, article in (("minji", "프린터 인쇄가 안 돼요", articles[13]),
                                    ("haeun", "비밀번호 초기화", articles[5]),
                                    ("emma", "vpn disconnects", articles[1])):
        services.deflection_search(actor=people[username], text=text)
        services.deflection_read(actor=people[username], source="article", ident=str(article.pk), title=article.title)
    two_days_ago = now - timedelta(days=2)
    DeflectionSession.objects.filter(ticket__isnull=True).update(
        started_at=two_days_ago, last_search_at=two_days_ago, first_read_at=two_days_ago)
    # The Outlook article resolved a demo incident.
    incident = Ticket.objects.filter(kind=TicketKind.INCIDENT, title__icontains="outlook").order_by("id").first()
    if incident is not None:
        services.ticket_article_attach(actor=people["agent"], ticket=incident, article=articles[7], resolved=True)
