"""Today's work lists with counts: waiting for papers, due within two working days, late, result
ready to return, received today; procedures shown by name in every list."""
from __future__ import annotations

from datetime import timedelta

from node import reception, worklists
from tests.test_desk import MON, receive
from tests.test_webui import clerk, client  # noqa: F401 - fixtures

ACTOR = "lan@07024"


def test_the_lists_sort_dossiers_with_a_two_working_day_horizon(app):
    late = receive(now=MON - timedelta(days=7))                         # same-day: long late
    two_days = receive(now=MON, procedure_code="2.001019")              # due Wednesday
    three_days = receive(now=MON, procedure_code="1.004873")            # due Thursday
    waiting = receive(now=MON - timedelta(days=1))
    reception.transition(waiting.code, 4, ACTOR, now=MON - timedelta(days=1))
    reception.transition(waiting.code, 5, ACTOR, reason="Bản sao giấy chứng sinh",
                         now=MON - timedelta(days=1))
    ready = receive(now=MON - timedelta(days=1))
    reception.transition(ready.code, 4, ACTOR, now=MON)
    reception.transition(ready.code, 9, ACTOR, now=MON)
    lists = worklists.work_lists(now=MON + timedelta(hours=1))
    codes = {k: [d.code for d in b.rows] for k, b in lists.items()}
    assert list(lists) == list(worklists.ORDER)
    assert codes["waiting_papers"] == [waiting.code] and lists["waiting_papers"].total == 1
    assert two_days.code in codes["due_soon"] and three_days.code not in codes["due_soon"]
    assert late.code in codes["late"] and waiting.code not in codes["late"]  # paused: not late
    assert codes["to_return"] == [ready.code]
    assert set(codes["received_today"]) == {two_days.code, three_days.code}


def test_today_shows_each_list_with_its_count_and_procedure_names(clerk, api):
    from tests.conftest import dossier_body
    code = api.post("/api/v1/dossiers", json=dossier_body()).get_json()["code"]
    api.post(f"/api/v1/dossiers/{code}/transitions", json={"to": 4})
    api.post(f"/api/v1/dossiers/{code}/transitions", json={"to": 5, "reason": "Tờ khai"})
    page = clerk.get("/today").text
    for key in worklists.ORDER:
        assert f'id="count-{key}"' in page and f'id="{key}-list"' in page
    assert '<strong id="count-waiting_papers">1</strong>' in page
    assert "Chờ công dân bổ sung giấy tờ" in page and "Đến hạn trong 2 ngày làm việc" in page
    waiting = page.split('id="waiting_papers-list"')[1].split("</section>")[0]
    assert code in waiting and "Đăng ký khai sinh" in waiting and ">1.001193<" not in waiting
    find = clerk.get("/find?q=" + code[:5]).text
    assert "Đăng ký khai sinh" in find
