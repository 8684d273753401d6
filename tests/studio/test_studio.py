"""The flow studio in a real browser: diagrams, trying a flow, located errors, keyboard, phone."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.studio.conftest import Server

# Screenshots go to the test's temp folder, or to $VOORKOMEN_SCREENSHOTS to look at them.
SHOTS_ENV = "VOORKOMEN_SCREENSHOTS"


def test_open_a_flow_and_see_its_diagram(studio: Server, page: Page) -> None:
    page.goto(studio.url + "/")
    page.get_by_role("link", name="Een zorg melden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Een zorg melden")
    svg = page.locator("figure.diagram svg")
    expect(svg).to_be_visible()
    expect(svg).to_contain_text("Waar gaat je zorg over?")
    expect(svg).to_contain_text("Deelflow: Overleg met een")
    expect(svg.locator("g.node")).to_have_count(6)


def test_play_a_conversation_to_the_vastlegging(studio: Server, page: Page) -> None:
    page.goto(studio.url + "/flow/melden")
    page.get_by_role("button", name="Start een gesprek").click()
    expect(page.locator("ol.chat")).to_contain_text("Wat is je casuscode?")
    page.get_by_label("Je antwoord").fill("M-7")
    page.get_by_role("button", name="Verstuur").click()
    page.get_by_role("button", name="Veiligheid van het kind").click()
    page.get_by_role("button", name="16 jaar of ouder").click()
    expect(page.locator("ol.chat")).to_contain_text("Volg de meldcode")
    page.get_by_role("button", name="Een collega").click()
    expect(page.get_by_role("button", name="Een collega")).to_have_attribute("aria-pressed", "true")
    page.get_by_role("button", name="Klaar met kiezen").click()
    page.get_by_label("Je antwoord").fill("klaar")
    page.get_by_role("button", name="Verstuur").click()
    doc = page.locator("section pre.doc")
    expect(doc).to_contain_text("Vastlegging: Een zorg melden")
    expect(doc).to_contain_text("Casus M-7")
    expect(doc).to_contain_text("Advies: Meldcode volgen en de jongere om toestemming vragen.")
    expect(
        page.get_by_text("Bewaard in de proef (niet in de database): 1 vastlegging(en).")
    ).to_be_visible()


def test_a_broken_flow_shows_its_error_at_its_line(studio: Server, flows: Path, page: Page) -> None:
    path = flows / "melden.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines, 1) if "text: Hoe oud is het kind?" in line)
    lines[number - 1] = lines[number - 1].replace("text:", "tekst:")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    page.goto(studio.url + "/")
    problems = page.locator("section.problems")
    expect(problems).to_contain_text(f"melden.yaml, regel {number}")
    problems.get_by_role("link", name=f"melden.yaml, regel {number}").click()
    row = page.locator(f"#L{number}")
    expect(row).to_have_class("bad")
    expect(row.locator("code")).to_have_text("    tekst: Hoe oud is het kind?")
    expect(row.locator(".problem")).to_contain_text("unknown key 'tekst'")
    # Every problem of the summary stands beside its own line.
    count = page.locator("section.problems li").count()
    assert count >= 2  # the unknown key, and the 'text' it lacks
    expect(page.locator("ol.code .problem")).to_have_count(count)


def _tab_to(page: Page, name: str, limit: int = 30) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.textContent.trim()")
        if focused == name:
            return
    raise AssertionError(f"'{name}' is not reachable with Tab")


def test_keyboard_only(studio: Server, page: Page) -> None:
    page.goto(studio.url + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Naar de inhoud"
    _tab_to(page, "Een zorg melden")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Een zorg melden")
    _tab_to(page, "Start een gesprek")
    page.keyboard.press("Enter")
    expect(page.locator("ol.chat")).to_contain_text("Wat is je casuscode?")
    assert page.evaluate("document.activeElement.id") == "text"  # the answer field has focus
    page.keyboard.type("K-1")
    page.keyboard.press("Enter")
    expect(page.locator("ol.chat")).to_contain_text("Waar gaat je zorg over?")
    page.keyboard.press("Shift+Tab")  # from the answer field back to the answer buttons
    _tab_to(page, "Schoolverzuim")
    page.keyboard.press("Space")
    expect(page.locator("ol.chat li.me").last).to_have_text("Jij: Schoolverzuim")
    expect(page.locator("ol.chat")).to_contain_text("Met wie heb je overlegd?")


def test_readable_on_a_phone(studio: Server, browser: Browser, tmp_path: Path) -> None:
    shots = Path(os.environ.get(SHOTS_ENV) or tmp_path)
    context = browser.new_context(viewport={"width": 375, "height": 740}, device_scale_factor=2)
    page = context.new_page()
    shots.mkdir(parents=True, exist_ok=True)
    for path in ("/", "/flow/melden", "/diff", "/file/melden.yaml"):
        page.goto(studio.url + path)
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= 375, f"{path} scrolls sideways ({overflow}px)"
    page.goto(studio.url + "/flow/melden")
    page.screenshot(path=str(shots / "flow-phone.png"))
    page.get_by_role("button", name="Start een gesprek").click()
    page.get_by_label("Je antwoord").fill("M-1")
    page.get_by_role("button", name="Verstuur").click()
    font = page.evaluate("getComputedStyle(document.body).fontSize")
    assert font == "16px"
    box = page.get_by_role("button", name="Veiligheid van het kind").bounding_box()
    assert box is not None and box["height"] >= 44  # a finger-sized target
    page.screenshot(path=str(shots / "chat-phone.png"), full_page=True)
    assert (shots / "chat-phone.png").stat().st_size > 10_000
    context.close()


def test_the_diff_before_publishing(studio: Server, flows: Path, page: Page) -> None:
    page.goto(studio.url + "/diff")
    expect(page.locator("main")).to_contain_text("Voor de professional verandert er niets")
    changed = Path(__file__).resolve().parents[1] / "flowdiff" / "new" / "melden.yaml"
    shutil.copy(changed, flows / "melden.yaml")  # the officer edits; the page re-reads
    page.goto(studio.url + "/")
    page.get_by_role("link", name="Wat verandert er?").click()
    expect(
        page.get_by_role("heading", name="Antwoorden die nu ergens anders heen leiden")
    ).to_be_visible()
    expect(page.locator("main")).to_contain_text(
        "Na «Waar gaat je zorg over?» met «Schoolverzuim» komt nu «Hoe oud is de jongere?»"
    )
    expect(page.locator("main")).to_contain_text(
        "Bijvoorbeeld: «Wat is je casuscode?»: (een antwoord)"
        " → «Waar gaat je zorg over?»: Schoolverzuim"
    )


def test_an_organisations_overlay_and_its_broken_step_at_its_line(
    org_studio: tuple[Server, Path], page: Page
) -> None:
    studio, org = org_studio
    overlay = org / "melden.yaml"
    overlay.write_text(
        "overlay: melden\nsteps:\n  - change: leeftijd\n    text: Hoe oud is de jongere?\n",
        encoding="utf-8",
    )
    page.goto(studio.url + "/flow/melden")
    expect(page.locator("figure.diagram svg")).to_contain_text("Hoe oud is de jongere?")
    # The shipped flow lost the step the overlay changes: an error at the overlay's line.
    overlay.write_text(
        "overlay: melden\nsteps:\n  - change: leeftijd\n    text: Hoe oud?\n"
        "  - remove: bestaat_niet\n",
        encoding="utf-8",
    )
    page.goto(studio.url + "/")
    problems = page.locator("section.problems")
    problems.get_by_role("link", name="melden.yaml, regel 5").click()
    row = page.locator("#L5")
    expect(row).to_have_class("bad")
    expect(row.locator("code")).to_have_text("  - remove: bestaat_niet")
    expect(row.locator(".problem")).to_contain_text("'bestaat_niet' is not in the shipped flow")
