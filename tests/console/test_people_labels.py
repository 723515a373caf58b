"""The people screens speak Chinese too: every error code the registers, department data,
verification and low-income stores raise has its Chinese text, in lib/i18n.js or in the screens'
own words (lib/words-people.js, added to the same table when it loads); and every word key
those screens use exists in both languages. No browser: the files are read."""

from __future__ import annotations

import re
from pathlib import Path

import core.console
import core.exchange.store
import core.lowincome.store
import core.registers.files
import core.validation.sizes
import core.validation.text
import core.verification.store
from core.errors import DoudiError

STATIC = Path(core.console.__file__).parent / "static"
WORDS = STATIC / "lib" / "words-people.js"
PAGES = ("registers", "comparison", "finding", "verification", "lowincome")


def _block(text: str, name: str) -> str:
    found = re.search(rf"\n  {name}: \{{(.*?)\n  \}},", text, re.S)
    assert found, name
    return found.group(1)


def _keys(body: str) -> set[str]:
    # a key opens a line or follows the previous value ('", '), never inside a string
    return set(re.findall(r"(?:^\s*|\",\s+|\{\s*)([A-Za-z_][A-Za-z0-9_]*):\s*\"", body, re.M))


def test_every_error_code_of_the_people_stores_has_its_chinese_text() -> None:
    i18n = (STATIC / "lib" / "i18n.js").read_text(encoding="utf-8")
    known = _keys(re.search(r"const ERRORS_ZH = \{(.*?)\n\};", i18n, re.S).group(1))  # type: ignore[union-attr]
    known |= _keys(_block(WORDS.read_text(encoding="utf-8"), "errorsZh"))
    codes = {
        cls.code
        for module in (
            core.exchange.store,
            core.lowincome.store,
            core.registers.files,
            core.verification.store,
            core.validation.text,
            core.validation.sizes,
        )
        for cls in vars(module).values()
        if isinstance(cls, type) and issubclass(cls, DoudiError) and cls is not DoudiError
    }
    assert codes - known == set()


def test_every_word_the_people_screens_use_exists_in_chinese_and_english() -> None:
    words = WORDS.read_text(encoding="utf-8")
    zh, en = _keys(_block(words, "zh")), _keys(_block(words, "en"))
    assert zh == en, (sorted(zh - en), sorted(en - zh))
    used: set[str] = set()
    for name in PAGES:
        text = (STATIC / "pages" / f"{name}.js").read_text(encoding="utf-8")
        used |= {f"p_{k}" for k in re.findall(r"\bw\(\"([a-z_0-9]+)\"\)", text)}
        # keys built at run time: w(`status_${s}`), w(`outcome_${o}`), w(`change_${c}`)
        for prefix in re.findall(r"\bw\(`([a-z_]+)\$\{", text):
            assert any(k.startswith(f"p_{prefix}") for k in zh), prefix
    files = (STATIC / "lib" / "files.js").read_text(encoding="utf-8")
    used |= {f"p_{k}" for k in re.findall(r"\bw\(\"([a-z_0-9]+)\"\)", files)}
    assert used - zh == set()
