"""The UI's strings, language choice, redirects and server-rendered charts (no server needed)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path

import pytest

from medsage.service import _ui, _ui_charts, _ui_pages

SERVICE = Path(str(resources.files("medsage.service")))
TEMPLATES = sorted((SERVICE / "templates").glob("*.html"))
# t("key") or t('key'), not .get("key") or format("...")
LITERAL_KEY = re.compile(r"(?<![\w.])t\(\s*[\"']([A-Za-z0-9_.]+)[\"'](?!\s*\+)")
# t("prefix." + name) with the names the template offers in a list just after it
DYNAMIC_KEY = re.compile(
    r"(?<![\w.])t\(\s*[\"']([a-z0-9_.]+[._])[\"']\s*\+[^)]*\)\s*if\s+[\w.]+\s+in\s+(\[[^\]]*\])"
)
LOOP = re.compile(r"{%\s*for\s+(\w+)\s+in\s+(\[[^\]]*\])\s*%}")
ALLOWED_LITERALS = {"#", "–", "·", ":", "(", ")", "/", "✓", "✗", ";", ",", "[", "]"}


def _load(lang: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((SERVICE / "locales" / f"{lang}.json").read_text("utf-8"))
    return data


def _python_keys() -> set[str]:
    keys = {key for key, _path, _roles in _ui.NAV}
    for module in (_ui, _ui_pages, _ui_charts):
        keys |= set(LITERAL_KEY.findall(Path(str(module.__file__)).read_text("utf-8")))
    return keys


def test_when_locales_are_compared_then_en_and_zh_have_the_same_keys_and_no_blank_string() -> None:
    en, zh = _load("en"), _load("zh")
    assert sorted(en) == sorted(zh)
    assert len(en) > 200
    assert [k for k, v in {**en, **zh}.items() if not v.strip()] == []
    for key in en:  # the same placeholders in both languages
        assert set(re.findall(r"{(\w+)", en[key])) == set(re.findall(r"{(\w+)", zh[key])), key


def test_when_templates_and_code_name_a_key_then_both_locales_hold_it() -> None:
    en, zh = _load("en"), _load("zh")
    used = set(_python_keys())
    for template in TEMPLATES:
        text = template.read_text("utf-8")
        used |= set(LITERAL_KEY.findall(text))
        for prefix, names in DYNAMIC_KEY.findall(text):
            used |= {prefix + str(name) for name in json.loads(names.replace("'", '"'))}
        for var, names in LOOP.findall(text):  # {% for code in [...] %} ... t("p." + code)
            for prefix in re.findall(rf"t\(\s*[\"']([a-z0-9_.]+)[\"']\s*\+\s*{var}\b", text):
                used |= {prefix + name for name in json.loads(names.replace("'", '"'))}
    used |= {f"role.{role}" for role in ("admin", "clinician", "researcher", "patient")}
    assert {"nav.cases", "risk.bmi", "assertion.negated", "lit.mode_dense", "metric.ece"} <= used
    assert sorted(used - set(en)) == []
    assert sorted(used - set(zh)) == []


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_when_a_template_is_read_then_it_holds_no_untranslated_visible_text(
    template: Path,
) -> None:
    text = template.read_text("utf-8")
    text = re.sub(r"{#.*?#}|{%.*?%}|{{.*?}}", " ", text, flags=re.S)
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S)
    attributes = re.findall(r'\b(?:aria-label|placeholder|title|alt)="([^"]*)"', text)
    text = re.sub(r"<[^>]*>", " ", text)
    text = re.sub(r"&[a-z]+;|&#\d+;", " ", text)
    leftovers = [w for w in text.split() if w not in ALLOWED_LITERALS]
    assert leftovers == []
    assert [a for a in attributes if a.strip()] == []


@pytest.mark.parametrize(
    ("cookie", "header", "expected"),
    [
        (None, None, "en"),
        (None, "zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        (None, "en-GB,en;q=0.9,zh;q=0.8", "en"),
        (None, "fr-FR,zh-TW;q=0.5", "zh"),
        (None, "de,fr;q=0.5", "en"),
        (None, "en;q=0.2,zh;q=0.9", "zh"),
        ("en", "zh-CN", "en"),
        ("xx", "zh-CN", "zh"),
    ],
)
def test_when_choosing_the_language_then_the_cookie_wins_then_accept_language(
    cookie: str | None, header: str | None, expected: str
) -> None:
    assert _ui.choose_language(cookie, header) == expected


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/patients/demo-001?x=1", "/patients/demo-001?x=1"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("/ok\r\nSet-Cookie: x", "/"),
        (None, "/"),
    ],
)
def test_when_a_next_target_is_checked_then_only_local_paths_pass(
    target: str | None, expected: str
) -> None:
    assert _ui.safe_next(target) == expected


def test_when_a_snippet_has_star_marks_then_they_become_mark_segments_and_text_stays_text() -> None:
    segments = _ui_charts.snippet_segments("a <b>**high** blood **pressure**</b>")
    assert [(s.text, s.kind) for s in segments] == [
        ("a <b>", None), ("high", "mark"), (" blood ", None), ("pressure", "mark"), ("</b>", None),
    ]  # fmt: skip
    assert [s.text for s in _ui_charts.snippet_segments("odd **one")] == ["odd one"]


def test_when_an_answer_cites_sources_then_only_known_numbers_become_links() -> None:
    segments = _ui_charts.citation_segments("A. [1] B [7]. C [2]", [1, 2])
    assert [(s.text, s.number) for s in segments] == [
        ("A. ", None), ("[1]", 1), (" B [7]. C ", None), ("[2]", 2),
    ]  # fmt: skip


def test_when_spans_overlap_then_the_first_wins_and_the_text_is_kept_whole() -> None:
    text = "no fever, chest pain"
    segments = _ui_charts.highlight_spans(
        text, [(3, 8, "negated", "fever"), (10, 20, "finding", "chest pain"), (15, 20, "x", "y")]
    )
    assert "".join(s.text for s in segments) == text
    assert [(s.text, s.kind) for s in segments if s.kind] == [
        ("fever", "negated"), ("chest pain", "finding"),
    ]  # fmt: skip


def test_when_a_molecule_drawing_is_not_an_svg_then_it_is_escaped() -> None:
    assert str(_ui_charts.safe_molecule_svg("<svg x='1'></svg>")) == "<svg x='1'></svg>"
    assert str(_ui_charts.safe_molecule_svg("<img src=x onerror=alert(1)>")) == (
        "&lt;img src=x onerror=alert(1)&gt;"
    )
    assert str(_ui_charts.safe_molecule_svg("<svg><script>x</script></svg>")).startswith("&lt;")
    assert str(_ui_charts.safe_molecule_svg(None)) == ""


def test_when_ticks_are_chosen_then_they_cover_the_range_in_round_steps() -> None:
    ticks = _ui_charts.nice_ticks(1.02, 1.21)
    assert ticks == [1.0, 1.05, 1.1, 1.15, 1.2, 1.25]
    assert [_ui_charts.tick_label(v, ticks) for v in ticks[:2]] == ["1.00", "1.05"]
    assert _ui_charts.nice_ticks(119, 181) == [100, 120, 140, 160, 180, 200]


def test_when_a_trend_is_drawn_then_the_svg_parses_with_its_points_thresholds_and_title() -> None:
    t = _ui.translator("en")
    trend = {
        "code": "8480-6",
        "unit": "mm[Hg]",
        "points": [
            {"time": "2026-01-01T09:00:00+00:00", "value": 148.0},
            {"time": "2026-02-01T09:00:00+00:00", "value": 156.0},
            {"time": "2026-03-01T09:00:00+00:00", "value": 172.0},
        ],
        "thresholds": [
            {"value": 140.0, "label": ">= 140 (warning)", "severity": "warning"},
            {"value": 54.0, "label": "< 54 (far below the data)", "severity": "urgent"},
        ],
    }
    svg = str(_ui_charts.trend_chart(trend, 'Systolic <b>"BP"</b>', t, "tr-1"))
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.get("aria-label") == 'Systolic <b>"BP"</b> over time (3 points, mm[Hg])'
    assert root.find(f"{ns}title").text == 'Systolic <b>"BP"</b> over time (3 points, mm[Hg])'
    assert len(root.findall(f"{ns}circle")) == 3
    assert [line.get("stroke") for line in root.findall(f"{ns}line[@class='threshold']")] == [
        "#b35c00"
    ]
    labels = [e.text for e in root.iter(f"{ns}text")]
    assert {"2026-01-01", "2026-03-01", "Date", "mm[Hg]", ">= 140 (warning)"} <= set(labels)


def test_when_reliability_bins_are_drawn_then_each_filled_bin_is_a_bar_under_the_diagonal() -> None:
    t = _ui.translator("zh")
    bins = [
        {"lower": 0.0, "upper": 0.5, "count": 0, "mean_confidence": None, "accuracy": None},
        {"lower": 0.5, "upper": 0.9, "count": 4, "mean_confidence": 0.7, "accuracy": 0.5},
        {"lower": 0.9, "upper": 1.0, "count": 10, "mean_confidence": 0.95, "accuracy": 1.0},
    ]
    root = ET.fromstring(str(_ui_charts.reliability_chart(bins, t, "rel")))
    ns = "{http://www.w3.org/2000/svg}"
    bars = root.findall(f"{ns}rect[@class='bin']")
    assert root.get("aria-label") == "可靠性图（14 个测试样本）"
    assert [b.find(f"{ns}title").text for b in bars] == [
        "置信度 0.5-0.9：4 例，准确率 0.5", "置信度 0.9-1：10 例，准确率 1",
    ]  # fmt: skip
    assert len(root.findall(f"{ns}line[@class='diagonal']")) == 1
    assert {"置信度", "准确率"} <= {e.text for e in root.iter(f"{ns}text")}


def test_when_publication_years_are_drawn_then_there_is_one_bar_per_year() -> None:
    t = _ui.translator("en")
    rows = [{"year": 2019, "count": 3}, {"year": 2020, "count": 7}, {"year": 2021, "count": 5}]
    root = ET.fromstring(str(_ui_charts.year_bar_chart(rows, t, "y")))
    ns = "{http://www.w3.org/2000/svg}"
    titles = [b.find(f"{ns}title").text for b in root.findall(f"{ns}rect[@class='bin']")]
    assert titles == ["2019: 3", "2020: 7", "2021: 5"]
    assert root.get("aria-label") == "Publications per year (15 in all)"
