"""`report --html` / `--plots`: one self-contained page, hostile text kept inert, filters that work in chromium."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from builders import write_questions
from clirun import judgebench

from judgebench.pipeline import AnswerJob, gen_answers
from judgebench.pipeline.judge import JudgeJob, judge
from judgebench.providers.fake import FakeProvider
from judgebench.records import Message

HOSTILE = '<script>alert(1)</script></script><img src=x onerror="window.__xss=2"><!-- & "quotes"'
MODELS = ("alpha", "beta", "evil")


def evil(messages: Sequence[Message]) -> str:
    return f"{HOSTILE} turn of {messages[-1].content[:20]}"


MARKERS = {"alpha": "alpha answers", "beta": "beta answers", "evil": HOSTILE[:20]}
BIASED_QUESTION = 3


def verdicts(messages: Sequence[Message]) -> str:
    """A fake judge: alpha > beta > evil, consistently, except on one question where it always picks
    the first answer shown (its two games then disagree). Its rationales quote the hostile answer."""
    system, text = messages[0].content, messages[-1].content
    qid = int(re.findall(r"Question (\d+)", text)[0])
    quoted = f"The answer says {HOSTILE}." if HOSTILE[:20] in text else "Both are fine."
    if "[[C]]" not in system:
        shown = min((text.rfind(marker), name) for name, marker in MARKERS.items() if marker in text)[1]
        return f"{quoted}\n[[{ {'alpha': 8, 'beta': 6, 'evil': 2}[shown] }]]"
    if qid == BIASED_QUESTION:
        return f"{quoted}\n[[A]]"
    first, second = sorted(
        (name for name, marker in MARKERS.items() if marker in text), key=lambda n: text.find(MARKERS[n])
    )
    better = min(first, second, key=list(MARKERS).index)
    return f"{quoted}\n[[{'A' if better == first else 'B'}]]"


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three models (one answering with markup and script), graded and compared in all pairs by a fake judge."""
    root = tmp_path_factory.mktemp("html")
    qfile = write_questions(root / "bench.jsonl", n=8)
    for name in MODELS:
        provider = FakeProvider(name, reply=evil if name == "evil" else None)
        gen_answers(
            AnswerJob(model=f"fake/{name}", questions=str(qfile), results_dir=root / "results"), provider=provider
        )
    for mode in ("single", "pairwise"):
        job = JudgeJob(
            judge="fake/judge",
            mode=mode,
            questions=str(qfile),
            results_dir=root / "results",
            all_pairs=mode == "pairwise",
        )
        judge(job, provider=FakeProvider("judge", reply=verdicts))
    proc = judgebench("report", "-q", str(qfile), "--html", "out/report.html", "--plots", "out/plots", cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert "wrote report: out/report.html" in proc.stderr
    assert "fake/alpha" in proc.stdout  # the usual table is still printed
    return root


def page(bench: Path) -> str:
    return (bench / "out" / "report.html").read_text(encoding="utf-8")


def entries(html: str) -> list[dict[str, Any]]:
    block = re.search(r'<script type="application/json" id="jb-data">(.*?)</script>', html, re.S)
    assert block is not None
    return json.loads(block.group(1))  # type: ignore[no-any-return]


def test_page_is_self_contained_with_every_section(bench: Path) -> None:
    html = page(bench)
    for needle in (
        "single grades by fake/judge",
        "pairwise, all pairs, judged by fake/judge",
        "ratings (Elo scale) by fake/judge",
        "bias diagnostics of fake/judge",
        "runs behind these numbers",
        'id="figures"',
        'id="browser"',
        'data-name="fake__judge-matrix"',
        'data-name="fake__judge-categories"',
    ):
        assert needle in html, needle
    assert re.search(r"\d\.\d\d \[\d\.\d\d, \d\.\d\d\]", html)  # a figure with its interval
    # Nothing to fetch: no outside URL in any src/href, and a policy that forbids fetching anyway.
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "default-src 'none'" in html


def test_hostile_answers_stay_text(bench: Path) -> None:
    html = page(bench)
    assert "<script>alert(1)" not in html
    assert "<img src=x" not in html
    assert html.count("<script") == 2  # the data block and our script
    data = entries(html)
    assert len(data) == 16  # 8 questions x 2 turns
    evil_answers = [a for e in data for a in e["answers"] if a["model"] == "fake/evil"]
    assert evil_answers
    assert all(HOSTILE in a["turns"][-1] for a in evil_answers)  # shown as written, intact


def test_png_figures(bench: Path) -> None:
    pngs = sorted(p.name for p in (bench / "out" / "plots").iterdir())
    assert pngs == [f"fake__judge-{name}.png" for name in ("categories", "matrix", "ratings", "scores", "winrate")]
    for name in pngs:
        assert (bench / "out" / "plots" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plain_report_does_not_import_matplotlib(bench: Path) -> None:
    code = (
        "import sys; from judgebench.cli import main; sys.argv = ['judgebench', 'report', '-q', 'bench.jsonl', "
        "'--bootstrap', '0']\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('matplotlib' in sys.modules, file=sys.stderr)"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=bench, capture_output=True, text=True, timeout=120)
    assert proc.stderr.strip().endswith("False"), proc.stderr


# ----------------------------------------------------------------------------------------- in a real browser


def visible_entries(driver: Any) -> list[Any]:
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, "#entries article.entry")  # type: ignore[no-any-return]


def matching(driver: Any) -> int:
    from selenium.webdriver.common.by import By

    return int(driver.find_element(By.ID, "browser-count").get_attribute("data-matching"))


@pytest.mark.browser
@pytest.mark.slow
def test_report_renders_and_filters_in_chromium(bench: Path, browser: Any) -> None:
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    html_path = bench / "out" / "report.html"
    data = entries(page(bench))
    browser.get(html_path.as_uri())

    errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    assert errors == []
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018
    assert browser.execute_script("return window.__xss === undefined")
    assert browser.find_element(By.ID, "browser-count").text == "16 of 16 entries"
    assert len(visible_entries(browser)) == 16
    for section in ("figures", "browser"):
        assert browser.find_element(By.ID, section).is_displayed()
    images = browser.find_elements(By.CSS_SELECTOR, "#figures img")
    assert len(images) == 5
    assert all(browser.execute_script("return arguments[0].naturalWidth > 0", img) for img in images)
    # The hostile answer is on the page as text.
    assert any(HOSTILE in e.text for e in visible_entries(browser))

    model = Select(browser.find_element(By.ID, "filter-model"))
    model.select_by_value("fake/alpha")
    shown = visible_entries(browser)
    assert len(shown) == matching(browser) == 16  # alpha answered everything
    answers = browser.find_elements(By.CSS_SELECTOR, "#entries .answer")
    assert {a.get_attribute("data-model") for a in answers} == {"fake/alpha"}
    pairs = browser.find_elements(By.CSS_SELECTOR, "#entries .pair > h4")
    assert pairs
    assert all("fake/alpha" in p.text for p in pairs)
    model.select_by_value("")

    category = Select(browser.find_element(By.ID, "filter-category"))
    category.select_by_value("math")
    expected = [e for e in data if e["category"] == "math"]
    assert 0 < len(expected) < len(data)
    assert len(visible_entries(browser)) == matching(browser) == len(expected)
    assert all("math" in e.find_element(By.TAG_NAME, "h3").text for e in visible_entries(browser))

    turn = Select(browser.find_element(By.ID, "filter-turn"))
    turn.select_by_value("2")
    expected = [e for e in expected if e["turn"] == 2]
    assert len(visible_entries(browser)) == len(expected) == 2  # questions 2 and 8
    assert {e.get_attribute("data-turn") for e in visible_entries(browser)} == {"2"}
    category.select_by_value("")
    turn.select_by_value("")

    disagree = browser.find_element(By.ID, "filter-disagree")
    disagree.click()
    expected = [e for e in data if e["disagree"]]
    assert {e["qid"] for e in expected} == {str(BIASED_QUESTION)}
    shown = visible_entries(browser)
    assert len(shown) == len(expected)
    assert {(e.get_attribute("data-qid"), e.get_attribute("data-turn")) for e in shown} == {
        (e["qid"], str(e["turn"])) for e in expected
    }
    assert all("judges disagree" in e.find_element(By.TAG_NAME, "h3").text for e in shown)
    disagree.click()
    assert len(visible_entries(browser)) == 16
    assert [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "ERROR")] == []


@pytest.mark.browser
@pytest.mark.slow
def test_real_fastchat_data_pages_through_in_chromium(tmp_path: Path, browser: Any) -> None:
    """Stefanstud's phi-3 MT-Bench files (GPT-4 grades and pair games): 160 entries, shown 40 at a time."""
    from builders import fastchat_copy
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    assert judgebench("import", "fastchat", str(fastchat_copy(tmp_path)), cwd=tmp_path).returncode == 0
    proc = judgebench("report", "-q", "mt_bench", "--bootstrap", "200", "--html", "r.html", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    browser.get((tmp_path / "r.html").as_uri())
    assert [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "ERROR")] == []
    assert len(visible_entries(browser)) == 40
    assert matching(browser) == 160
    more = browser.find_element(By.ID, "more")
    more.click()
    assert len(visible_entries(browser)) == 80
    Select(browser.find_element(By.ID, "filter-model")).select_by_value("phi-3")
    assert len(visible_entries(browser)) == 40  # a filter starts again from the first page
    browser.find_element(By.ID, "filter-disagree").click()
    shown = matching(browser)
    assert 0 < shown < 160
    assert len(visible_entries(browser)) == min(shown, 40)
    assert not more.is_displayed() or shown > 40
    assert [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "ERROR")] == []
