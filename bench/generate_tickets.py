"""Load N incidents into PostgreSQL fast, with set-based SQL, for the benchmarks.

    .venv/bin/python -m bench.generate_tickets 1000000 [--database-url URL] [--reset]

Each batch is one ``INSERT … SELECT … FROM generate_series`` into a staging table and two set-based
inserts (tickets, incidents) in one transaction, so an interrupted run leaves whole batches behind
and the next run appends after them. Rows are valid for the application: numbers continue the
incident sequence (which is advanced in the same transaction), ``active`` matches the state,
timestamps match the state, assignees belong to the team, priority comes from impact × urgency.

Audit triggers: pghistory's triggers would write one event row per ticket and per incident,
doubling the work. The loading session sets ``session_replication_role = replica``, which skips
ordinary triggers — that includes the foreign-key check triggers, so the script validates the
references itself at the end (``--skip-checks`` to leave that out). Loaded tickets therefore have
no history events and no timeline rows; everything the application writes afterwards has both.
"""

import argparse
import time
from datetime import UTC, datetime

from bench.common import add_database_argument, setup_django

ACTIVE_STATES = ("new", "in_progress", "on_hold")

LOCATIONS_KO = ["본사 3층", "부산지점", "판교 R&D센터", "회의실 A", "물류센터", "서울 본사", "2층 회계팀"]
LOCATIONS_EN = ["Seoul HQ", "Busan office", "Pangyo R&D", "meeting room A", "warehouse", "3rd floor"]
WHEN_KO = ["오늘 아침부터", "어제 오후부터", "지난주부터", "방금 전부터", "업데이트 이후", "출근 후부터"]
WHEN_EN = ["this morning", "yesterday afternoon", "last week", "the latest update", "I moved desks"]
DETAIL_KO = ["재부팅해도 동일합니다.", "다른 직원들도 같은 문제를 겪고 있습니다.", "급한 업무라 빠른 확인 부탁드립니다.",
             "오류 메시지 캡처 첨부합니다.", "내일 고객 미팅 전에 해결이 필요합니다.", "네트워크 케이블은 확인했습니다."]
DETAIL_EN = ["Restarting did not help.", "Several colleagues have the same problem.",
             "This blocks my work, please help.", "Screenshot of the error attached.",
             "Needed before tomorrow's customer meeting.", "I already checked the cable."]
RESOLUTION_NOTES = ["Restarted the service; the user confirmed it works.", "비밀번호 초기화 후 정상 로그인 확인.",
                    "Replaced the toner cartridge.", "드라이버 재설치로 해결.", "Reconfigured the VPN profile.",
                    "네트워크 케이블 교체 후 정상.", "Fixed by the vendor patch.", "사용자 PC 재부팅 후 정상 동작."]
# Two comments per ticket: a public reply and an internal work note, each mentioning the ticket's
# topic half the time (so topic words also match comments) and otherwise words that only comments
# carry (원격지원, 메일서버 큐, traceroute, spare part): ticket search looks in both.
REPLIES_KO = ["안녕하세요, 담당자가 확인 중입니다.", "원격 접속 가능하신 시간 알려주세요.", "조치 완료되었습니다. 확인 부탁드립니다.",
              "추가 정보가 필요합니다. 오류 화면을 보내주세요.", "부품 입고 후 방문 예정입니다."]
REPLIES_EN = ["Hello, an engineer is looking into it.", "When can we connect remotely?",
              "Fixed on our side, please confirm.", "Could you send a screenshot of the error?",
              "A technician will visit once the spare part arrives."]
WORK_NOTES_KO = ["원격지원으로 접속하여 로그 확인 중.", "벤더에 기술지원 요청함.", "메일서버 큐 점검, 이상 없음.",
                 "사용자에게 전화했으나 부재중.", "장비 교체 일정 협의 중.", "방화벽 정책 변경 필요 여부 검토."]
WORK_NOTES_EN = ["Checked the logs over a remote session.", "Raised a case with the vendor, traceroute attached.",
                 "Mail queue on the relay looks normal.", "Called the user, no answer.",
                 "Waiting for the spare part.", "Firewall rule review requested."]
# Weighted pick lists: a value appears as often as it should be drawn (out of 20 or 10).
CHANNELS = ["portal"] * 9 + ["email"] * 5 + ["phone"] * 4 + ["monitoring"] * 1 + ["api"] * 1
ON_HOLD_REASONS = ["awaiting_caller"] * 6 + ["awaiting_vendor"] * 3 + ["awaiting_change"]
RESOLUTION_CODES = (["solved_permanently"] * 9 + ["solved_workaround"] * 3 + ["solved_remotely"] * 4
                    + ["resolved_by_caller"] * 2 + ["not_reproducible", "no_fault_found"])

SETUP_SQL = """
CREATE OR REPLACE FUNCTION pg_temp.pick(items text[], r float8) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT items[1 + floor(r * cardinality(items))::int] $$;

DROP TABLE IF EXISTS bench_topic, bench_requester, bench_team, bench_team_member, bench_batch, bench_comment;
CREATE TEMP TABLE bench_topic (
    topic_id int PRIMARY KEY, category_id bigint, service_id bigint, team_id bigint,
    en_nouns text[], ko_nouns text[], en_problems text[], ko_problems text[]
);
CREATE TEMP TABLE bench_requester AS
    SELECT row_number() OVER (ORDER BY id)::int AS pos, id AS user_id, organisation_id
    FROM accounts_user WHERE username LIKE 'bench\\_req\\_%%';
ALTER TABLE bench_requester ADD PRIMARY KEY (pos);
CREATE TEMP TABLE bench_team_member AS
    SELECT team_id, row_number() OVER (PARTITION BY team_id ORDER BY user_id)::int AS pos, user_id
    FROM accounts_team_members;
ALTER TABLE bench_team_member ADD PRIMARY KEY (team_id, pos);
CREATE TEMP TABLE bench_team AS SELECT team_id, max(pos) AS size FROM bench_team_member GROUP BY team_id;
ALTER TABLE bench_team ADD PRIMARY KEY (team_id);
CREATE TEMP TABLE bench_batch (
    id bigint, number text, title text, description text, state text, active boolean, priority smallint,
    impact smallint, urgency smallint, channel text, on_hold_reason text, resolution_code text,
    resolution_notes text, major boolean, opened_at timestamptz, updated_at timestamptz,
    resolved_at timestamptz, closed_at timestamptz, requester_id bigint, organisation_id bigint,
    team_id bigint, assignee_id bigint, category_id bigint, service_id bigint
);
CREATE TEMP TABLE bench_comment (
    ticket_id bigint, k int, body text, public boolean, created_at timestamptz, author_id bigint
);
"""

# One batch of incidents, drawn in SQL. Tickets are spread over the last SPAN days in number order;
# whether one is still open depends on its age (young tickets are mostly open, ~10% overall).
STAGE_SQL = """
INSERT INTO bench_batch
WITH drawn AS (
    SELECT g,
           %(now)s::timestamptz - interval '1 day' * %(span_days)s
               * (1 - (%(done)s + g - 1 + random()) / %(total)s) AS opened_at,
           random() AS r_active, random() AS r_state, random() AS r_prio, random() AS r_pair,
           random() AS r_topic, random() AS r_unrouted, random() AS r_route, random() AS r_pick,
           random() AS r_assign, random() AS r_member, random() AS r_requester, random() AS r_lang,
           random() AS r_w1, random() AS r_w2, random() AS r_w3, random() AS r_w4, random() AS r_w5,
           random() AS r_w6, random() AS r_upd, random() AS r_dur, random() AS r_close, random() AS r_channel,
           random() AS r_code, random() AS r_major, random() AS r_hold, random() AS r_nocat
    FROM generate_series(1, %(n)s) AS g
), staged AS MATERIALIZED (  -- computed once: later steps refer to state many times
    SELECT d.*,
           CASE
               WHEN d.r_active < 0.9 * exp(-age.days / 60) + 0.05 THEN
                   CASE WHEN d.r_state < 0.3 THEN 'new' WHEN d.r_state < 0.8 THEN 'in_progress' ELSE 'on_hold' END
               WHEN age.days < 10 AND d.r_state < 0.5 THEN 'resolved'
               WHEN d.r_state >= 0.95 THEN 'cancelled'
               ELSE 'closed'
           END AS state,
           CASE WHEN d.r_prio < 0.015 THEN 1 WHEN d.r_prio < 0.095 THEN 2 WHEN d.r_prio < 0.495 THEN 3
                WHEN d.r_prio < 0.90 THEN 4 ELSE 5 END AS priority,
           (%(topic_pick)s::int[])[1 + floor(d.r_topic * cardinality(%(topic_pick)s::int[]))::int] AS topic_id
    FROM drawn d, LATERAL (SELECT extract(epoch FROM %(now)s::timestamptz - d.opened_at)::float8 / 86400 AS days) age
), routed AS MATERIALIZED (
    SELECT s.*, tp.category_id AS topic_category_id, tp.service_id AS topic_service_id,
           pg_temp.pick(tp.en_nouns, s.r_w1) AS en_noun, pg_temp.pick(tp.ko_nouns, s.r_w1) AS ko_noun,
           pg_temp.pick(tp.en_problems, s.r_w2) AS en_problem, pg_temp.pick(tp.ko_problems, s.r_w2) AS ko_problem,
           CASE
               WHEN s.state = 'new' AND s.r_unrouted < 0.4 THEN NULL  -- not yet routed to a team
               WHEN s.r_route < 0.55 THEN tp.team_id                  -- the team supporting the service
               WHEN s.r_route < 0.80 THEN %(front_line)s::bigint       -- kept by the front line
               ELSE (%(team_pick)s::bigint[])[1 + floor(s.r_pick * cardinality(%(team_pick)s::bigint[]))::int]
           END AS team_id,
           CASE s.state WHEN 'new' THEN s.r_assign < 0.25 WHEN 'in_progress' THEN true WHEN 'on_hold' THEN true
                        WHEN 'cancelled' THEN s.r_assign < 0.5 ELSE s.r_assign < 0.95 END AS assigned,
           CASE WHEN s.state IN ('resolved', 'closed') THEN
               CASE WHEN s.state = 'resolved' THEN s.opened_at + (%(now)s::timestamptz - s.opened_at) * (0.5 + 0.5 * s.r_dur)
                    ELSE least(s.opened_at + interval '30 minutes' + interval '10 days' * s.r_dur ^ 3, %(now)s::timestamptz)
               END
           END AS resolved_at
    FROM staged s JOIN bench_topic tp ON tp.topic_id = s.topic_id
), timed AS (
    SELECT r.*,
           CASE r.state
               WHEN 'closed' THEN least(r.resolved_at + interval '5 days' * (0.1 + 0.9 * r.r_close), %(now)s::timestamptz)
               WHEN 'cancelled' THEN least(r.opened_at + interval '2 days' * r.r_dur, %(now)s::timestamptz)
           END AS closed_at,
           r.ko_noun || ' ' || r.ko_problem AS ko_phrase,
           r.en_noun || ' ' || r.en_problem AS en_phrase
    FROM routed r
)
SELECT nextval(pg_get_serial_sequence('servicedesk_ticket', 'id')),
       'INC' || lpad((%(last_number)s + t.g)::text, greatest(%(digits)s, length((%(last_number)s + t.g)::text)), '0'),
       CASE WHEN t.r_lang < 0.5 THEN
                CASE WHEN t.r_w4 < 0.3 THEN pg_temp.pick(%(loc_ko)s, t.r_w5) || ' ' ELSE '' END || t.ko_phrase
            WHEN t.r_lang < 0.85 THEN
                upper(left(t.en_phrase, 1)) || substr(t.en_phrase, 2)
                || CASE WHEN t.r_w4 < 0.3 THEN ' - ' || pg_temp.pick(%(loc_en)s, t.r_w5) ELSE '' END
            ELSE t.en_noun || ' ' || t.ko_problem
       END,
       CASE WHEN t.r_lang < 0.5 OR t.r_lang >= 0.85 THEN
                pg_temp.pick(%(when_ko)s, t.r_w3) || ' ' || t.ko_phrase || ' 현상이 있습니다. '
                || pg_temp.pick(%(detail_ko)s, t.r_w6) || ' 자산번호 PC-' || lpad(floor(t.r_w5 * 100000)::text, 5, '0') || '.'
            ELSE ''
       END
       || CASE WHEN t.r_lang >= 0.85 THEN E'\n\n' ELSE '' END
       || CASE WHEN t.r_lang >= 0.5 THEN
                'Since ' || pg_temp.pick(%(when_en)s, t.r_w3) || ': ' || t.en_phrase || '. '
                || pg_temp.pick(%(detail_en)s, t.r_w6)
                || CASE WHEN t.r_w4 > 0.6 THEN ' Error code 0x' || to_hex(floor(t.r_w6 * 65536)::int) || '.' ELSE '' END
            ELSE ''
       END,
       t.state,
       t.state IN ('new', 'in_progress', 'on_hold'),
       t.priority,
       -- impact + urgency - 1 = priority (the default ITIL matrix, incidents 0002)
       CASE t.priority WHEN 1 THEN 1 WHEN 2 THEN CASE WHEN t.r_pair < 0.5 THEN 1 ELSE 2 END
                       WHEN 3 THEN CASE WHEN t.r_pair < 0.2 THEN 1 WHEN t.r_pair < 0.8 THEN 2 ELSE 3 END
                       WHEN 4 THEN CASE WHEN t.r_pair < 0.5 THEN 2 ELSE 3 END ELSE 3 END AS impact,
       0, -- urgency, set below from impact
       pg_temp.pick(%(channels)s, t.r_channel),
       CASE WHEN t.state = 'on_hold' THEN pg_temp.pick(%(hold_reasons)s, t.r_hold) ELSE '' END,
       CASE WHEN t.state IN ('resolved', 'closed') THEN pg_temp.pick(%(codes)s, t.r_code) ELSE '' END,
       -- Notes cite a knowledge article often: a realistic vocabulary for the planner's statistics.
       CASE WHEN t.state IN ('resolved', 'closed') THEN pg_temp.pick(%(notes)s, t.r_w6)
            || CASE WHEN t.r_w5 < 0.6 THEN ' KB' || lpad(floor(t.r_w1 * 100000)::text, 5, '0') ELSE '' END
       ELSE '' END,
       t.priority = 1 AND t.r_major < 0.02,  -- a major incident every few days
       t.opened_at,
       coalesce(t.closed_at, t.resolved_at, t.opened_at + (%(now)s::timestamptz - t.opened_at) * t.r_upd),
       t.resolved_at,
       t.closed_at,
       q.user_id,
       q.organisation_id,
       t.team_id,
       CASE WHEN t.assigned THEN m.user_id END,
       CASE WHEN t.r_nocat < 0.1 THEN NULL ELSE t.topic_category_id END,
       CASE WHEN t.r_nocat > 0.8 THEN NULL ELSE t.topic_service_id END
FROM timed t
JOIN bench_requester q ON q.pos = 1 + floor(%(requesters)s * t.r_requester ^ 2)::int  -- a few call often
LEFT JOIN bench_team bt ON bt.team_id = t.team_id
LEFT JOIN bench_team_member m ON m.team_id = t.team_id AND m.pos = 1 + floor(t.r_member * bt.size)::int;

UPDATE bench_batch SET urgency = priority + 1 - impact;
"""

# The ticket's comment and resolution-note search documents are what the triggers of servicedesk
# 0007 and incidents 0004 would write (they are skipped while loading): computed here alike.
INSERT_SQL = """
INSERT INTO servicedesk_ticket (
    id, version, kind, number, title, description, state, active, priority, opened_at, updated_at,
    resolved_at, closed_at, assignee_id, category_id, organisation_id, parent_id, requester_id, service_id, team_id,
    reply_document, note_document, process_document
)
SELECT b.id, 1, 'incident', b.number, b.title, b.description, b.state, b.active, b.priority, b.opened_at,
       b.updated_at, b.resolved_at, b.closed_at, b.assignee_id, b.category_id, b.organisation_id, NULL,
       b.requester_id, b.service_id, b.team_id,
       coalesce(c.replies, esm_search_document(NULL, NULL)), coalesce(c.notes, esm_search_document(NULL, NULL)),
       esm_search_document(NULL, b.resolution_notes)
FROM bench_batch b
LEFT JOIN (
    SELECT ticket_id,
           esm_search_document(NULL, string_agg(body, E'\\n' ORDER BY k DESC) FILTER (WHERE public)) AS replies,
           esm_search_document(NULL, string_agg(body, E'\\n' ORDER BY k DESC) FILTER (WHERE NOT public)) AS notes
    FROM bench_comment GROUP BY ticket_id
) c ON c.ticket_id = b.id
ORDER BY b.id;

INSERT INTO incidents_incident (
    ticket_id, impact, urgency, channel, on_hold_reason, resolution_code, resolution_notes, major, merged_into_id
)
SELECT id, impact, urgency, channel, on_hold_reason, resolution_code, resolution_notes, major, NULL
FROM bench_batch ORDER BY id;

INSERT INTO servicedesk_comment (body, public, created_at, author_id, ticket_id)
SELECT body, public, created_at, author_id, ticket_id FROM bench_comment ORDER BY ticket_id, k;
"""

# k = 1: a public reply from the assignee (or the desk), k = 2: an internal work note.
COMMENT_SQL = """
INSERT INTO bench_comment (ticket_id, k, body, public, created_at, author_id)
SELECT b.id, c.k,
       CASE WHEN c.r_topic < 0.5 THEN c.phrase || ' — ' ELSE '' END
       || CASE WHEN c.r_lang < 0.5
               THEN pg_temp.pick(CASE c.k WHEN 1 THEN %(replies_ko)s ELSE %(notes_ko)s END, c.r_text)
               ELSE pg_temp.pick(CASE c.k WHEN 1 THEN %(replies_en)s ELSE %(notes_en)s END, c.r_text) END
       -- a reference or log id in most comments, as real ones carry (host names, case numbers)
       || CASE WHEN c.r_ref < 0.7 THEN ' ref-' || to_hex(floor(c.r_ref * 1e7)::int) ELSE '' END,
       c.k = 1,
       b.opened_at + (b.updated_at - b.opened_at) * (c.k + c.r_time) / 3,
       coalesce(b.assignee_id, %(desk_agent)s)
FROM bench_batch b
CROSS JOIN LATERAL (
    SELECT k, random() AS r_topic, random() AS r_lang, random() AS r_text, random() AS r_time, random() AS r_ref,
           split_part(b.title, ' - ', 1) AS phrase
    FROM generate_series(1, %(comments)s) AS k
) c;
"""

# Each check counts rows that break a rule the application keeps; all must be 0.
CHECKS = {
    "ticket without its incident row": """
        SELECT count(*) FROM servicedesk_ticket t
        WHERE t.kind = 'incident' AND NOT EXISTS (SELECT 1 FROM incidents_incident i WHERE i.ticket_id = t.id)""",
    "requester/organisation/team/assignee/category/service that does not exist": """
        SELECT count(*) FROM servicedesk_ticket t
        LEFT JOIN accounts_user r ON r.id = t.requester_id
        LEFT JOIN accounts_organisation o ON o.id = t.organisation_id
        LEFT JOIN accounts_team tm ON tm.id = t.team_id
        LEFT JOIN accounts_user a ON a.id = t.assignee_id
        LEFT JOIN servicedesk_category c ON c.id = t.category_id
        LEFT JOIN cmdb_configurationitem s ON s.id = t.service_id
        WHERE r.id IS NULL OR (t.organisation_id IS NOT NULL AND o.id IS NULL)
           OR (t.team_id IS NOT NULL AND tm.id IS NULL) OR (t.assignee_id IS NOT NULL AND a.id IS NULL)
           OR (t.category_id IS NOT NULL AND c.id IS NULL) OR (t.service_id IS NOT NULL AND s.id IS NULL)""",
    "assignee not a member of the ticket's team": """
        SELECT count(*) FROM servicedesk_ticket t
        WHERE t.assignee_id IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM accounts_team_members m WHERE m.team_id = t.team_id AND m.user_id = t.assignee_id)""",
    "active flag or timestamps inconsistent with the state": """
        SELECT count(*) FROM servicedesk_ticket t
        WHERE t.kind = 'incident' AND (
            t.active <> (t.state IN ('new', 'in_progress', 'on_hold'))
            OR t.updated_at < t.opened_at
            OR (t.state IN ('new', 'in_progress', 'on_hold') AND (t.resolved_at IS NOT NULL OR t.closed_at IS NOT NULL))
            OR (t.state = 'resolved' AND (t.resolved_at IS NULL OR t.closed_at IS NOT NULL))
            OR (t.state = 'closed' AND (t.resolved_at IS NULL OR t.closed_at < t.resolved_at))
            OR (t.state = 'cancelled' AND t.closed_at IS NULL))""",
    "priority not derived from impact x urgency": """
        SELECT count(*) FROM servicedesk_ticket t JOIN incidents_incident i ON i.ticket_id = t.id
        JOIN incidents_prioritymatrix pm ON pm.impact = i.impact AND pm.urgency = i.urgency
        WHERE pm.priority <> t.priority""",
    "comment by a user that does not exist, or dated outside its ticket's life": """
        SELECT count(*) FROM servicedesk_comment c JOIN servicedesk_ticket t ON t.id = c.ticket_id
        LEFT JOIN accounts_user a ON a.id = c.author_id
        WHERE a.id IS NULL OR c.created_at < t.opened_at OR c.created_at > t.updated_at""",
    "ticket search documents that differ from its comments or resolution notes (1 ticket in 100)": """
        SELECT count(*) FROM servicedesk_ticket t JOIN incidents_incident i ON i.ticket_id = t.id
        CROSS JOIN LATERAL (
            SELECT esm_search_document(NULL, string_agg(body, E'\\n' ORDER BY id DESC) FILTER (WHERE public)) AS r,
                   esm_search_document(NULL, string_agg(body, E'\\n' ORDER BY id DESC) FILTER (WHERE NOT public)) AS n
            FROM servicedesk_comment c WHERE c.ticket_id = t.id) d
        WHERE mod(t.id, 100) = 0 AND (t.reply_document <> d.r OR t.note_document <> d.n
                                  OR t.process_document <> esm_search_document(NULL, i.resolution_notes))""",
    "incident numbers beyond the sequence": """
        SELECT count(*) FROM servicedesk_ticket t, servicedesk_ticketsequence s
        WHERE s.kind = 'incident' AND t.kind = 'incident' AND substr(t.number, 4)::bigint > s.last_value""",
}


def _execute(cursor, sql: str, params: dict | None = None) -> None:
    cursor.execute(sql, params or {})


def reset(connection) -> None:
    name = connection.settings_dict["NAME"]
    if "bench" not in name:
        raise SystemExit(f"--reset refuses to empty {name!r}: only databases whose name contains 'bench'.")
    with connection.cursor() as cur:
        # Tickets and everything hanging off them, with their history events.
        cur.execute("""
            TRUNCATE servicedesk_ticket, servicedesk_ticketevent, incidents_incidentevent,
                     servicedesk_commentevent, servicedesk_attachmentevent, servicedesk_timeentryevent
            RESTART IDENTITY CASCADE""")
        cur.execute("UPDATE servicedesk_ticketsequence SET last_value = 0")
    print(f"reset: emptied the ticket tables of {name}")


def load_topics(cursor) -> None:
    from bench import world

    rows = [(i, *row) for i, row in enumerate(world.topic_rows(), start=1)]
    cursor.executemany("INSERT INTO bench_topic VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", rows)


def weighted(weights: dict) -> list:
    return [key for key, weight in weights.items() for _ in range(weight)]


def generate(*, total: int, batch_size: int, span_days: int, comments: int) -> None:
    from django.db import connection, transaction

    from accounts.models import Team, User
    from bench import world

    team_ids = world.team_weights()
    front_line = Team.objects.get(name=world.FRONT_LINE_TEAM).pk
    params = {
        "now": datetime.now(UTC), "span_days": span_days, "total": total, "digits": 7,
        "topic_pick": weighted({i: w for i, w in enumerate(world.topic_weights(), start=1)}),
        "team_pick": weighted(team_ids), "front_line": front_line,
        "loc_ko": LOCATIONS_KO, "loc_en": LOCATIONS_EN, "when_ko": WHEN_KO, "when_en": WHEN_EN,
        "detail_ko": DETAIL_KO, "detail_en": DETAIL_EN, "notes": RESOLUTION_NOTES, "channels": CHANNELS,
        "hold_reasons": ON_HOLD_REASONS, "codes": RESOLUTION_CODES,
        "replies_ko": REPLIES_KO, "replies_en": REPLIES_EN, "notes_ko": WORK_NOTES_KO, "notes_en": WORK_NOTES_EN,
        "comments": comments, "desk_agent": User.objects.get(username=world.BENCH_AGENT).pk,
    }
    with connection.cursor() as cur:
        _execute(cur, SETUP_SQL)
        load_topics(cur)
        cur.execute("SELECT count(*) FROM bench_requester")
        params["requesters"] = cur.fetchone()[0]

    started = time.monotonic()
    done, staging_seconds = 0, 0.0
    while done < total:
        n = min(batch_size, total - done)
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("SET LOCAL session_replication_role = replica")  # skip pghistory (and FK) triggers
            cur.execute("SET LOCAL synchronous_commit = off")
            cur.execute("SET LOCAL work_mem = '256MB'")
            cur.execute("SET LOCAL gin_pending_list_limit = '64MB'")
            cur.execute("INSERT INTO servicedesk_ticketsequence (kind, last_value) VALUES ('incident', 0) "
                        "ON CONFLICT (kind) DO NOTHING")
            cur.execute("SELECT last_value FROM servicedesk_ticketsequence WHERE kind = 'incident' FOR UPDATE")
            last_number = cur.fetchone()[0]
            cur.execute("TRUNCATE bench_batch, bench_comment")
            staging_started = time.monotonic()
            _execute(cur, STAGE_SQL, {**params, "n": n, "done": done, "last_number": last_number})
            staging_seconds += time.monotonic() - staging_started
            if comments:
                _execute(cur, COMMENT_SQL, params)
            _execute(cur, INSERT_SQL)
            cur.execute("UPDATE servicedesk_ticketsequence SET last_value = %s WHERE kind = 'incident'",
                        [last_number + n])
        done += n
        elapsed = time.monotonic() - started
        print(f"  {done:>10,} / {total:,} incidents  {elapsed:7.1f} s  {done / elapsed:8,.0f} rows/s  "
              f"(drawing rows {staging_seconds:.1f} s, inserting with indexes {elapsed - staging_seconds:.1f} s)",
              flush=True)


def finish(*, checks: bool) -> None:
    from django.db import connection

    with connection.cursor() as cur:
        started = time.monotonic()
        # VACUUM sets the visibility map (index-only scans) and hint bits; ANALYZE gives the planner
        # the new distribution. Both are what a production table has after autovacuum caught up.
        cur.execute("VACUUM (ANALYZE) servicedesk_ticket, incidents_incident, servicedesk_comment, accounts_user, "
                    "accounts_team_members")
        print(f"VACUUM ANALYZE: {time.monotonic() - started:.1f} s")
        if not checks:
            return
        failures = 0
        for label, sql in CHECKS.items():
            cur.execute(sql)
            count = cur.fetchone()[0]
            failures += count
            print(f"  check {'ok ' if count == 0 else 'BAD'} {count:>8}  {label}")
        cur.execute("""SELECT state, count(*), round(100.0 * count(*) / sum(count(*)) OVER (), 1)
                       FROM servicedesk_ticket WHERE kind = 'incident' GROUP BY state ORDER BY 2 DESC""")
        print("  states: " + ", ".join(f"{s} {c:,} ({p}%)" for s, c, p in cur.fetchall()))
        cur.execute("""SELECT priority, round(100.0 * count(*) / sum(count(*)) OVER (), 1)
                       FROM servicedesk_ticket GROUP BY priority ORDER BY 1""")
        print("  priorities: " + ", ".join(f"P{p} {pct}%" for p, pct in cur.fetchall()))
        cur.execute("SELECT count(*), count(*) FILTER (WHERE public) FROM servicedesk_comment")
        comments, replies = cur.fetchone()
        print(f"  comments: {comments:,} ({replies:,} public replies, {comments - replies:,} work notes)")
        if failures:
            raise SystemExit("generated data breaks the rules above")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("count", type=int, help="number of incidents to add")
    add_database_argument(parser)
    parser.add_argument("--reset", action="store_true", help="empty the ticket tables first (bench databases only)")
    parser.add_argument("--batch-size", type=int, default=100_000)
    parser.add_argument("--span-days", type=int, default=3 * 365, help="spread opening times over this many days")
    parser.add_argument("--requesters", type=int, default=3000)
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--comments", type=int, default=2, choices=(0, 1, 2),
                        help="comments per ticket: a public reply, then an internal work note")
    parser.add_argument("--skip-checks", action="store_true", help="skip the consistency checks at the end")
    args = parser.parse_args()

    setup_django(args.database_url)
    from django.db import connection

    from bench import world
    from bench.common import machine_summary

    started = time.monotonic()
    if args.reset:
        reset(connection)
    world.ensure_world(requesters=args.requesters, agents=args.agents)
    print(f"world ready: {time.monotonic() - started:.1f} s")
    load_started = time.monotonic()
    generate(total=args.count, batch_size=args.batch_size, span_days=args.span_days, comments=args.comments)
    load_seconds = time.monotonic() - load_started
    finish(checks=not args.skip_checks)
    total_seconds = time.monotonic() - started
    print(f"loaded {args.count:,} incidents in {load_seconds:.1f} s ({args.count / load_seconds:,.0f} rows/s); "
          f"{total_seconds:.1f} s with world, VACUUM ANALYZE and checks")
    print(machine_summary())


if __name__ == "__main__":
    main()
