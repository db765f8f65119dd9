"""An officer's console language is kept on the account (migration 0005)."""

from __future__ import annotations

from pathlib import Path

import pytest

from openline.node.errors import CommandError
from pair import make_pair

PASSWORD = "correct horse battery staple"


def test_the_language_an_officer_chooses_is_kept_and_checked(tmp_path: Path) -> None:
    us, _, _ = make_pair(tmp_path)
    us.officers.add("miller", "duty-officer", PASSWORD)
    assert us.officers.show("miller")["lang"] is None
    assert us.officers.set_language("miller", "zh")["lang"] == "zh"
    row = us.store.officer("miller")
    assert row is not None
    assert row.lang == "zh"
    with pytest.raises(CommandError) as refused:
        us.officers.set_language("miller", "fr")
    assert refused.value.code == "unsupported-language"
    assert us.officers.show("miller")["lang"] == "zh"  # the refusal changed nothing
    with pytest.raises(CommandError) as unknown:
        us.officers.set_language("nobody", "ru")
    assert unknown.value.code == "unknown-officer"
