"""Search finds a dossier by its whole dotted official code, its own code typed whole or in part,
and its lookup secret; a phone typed with dots still works."""
from __future__ import annotations

from datetime import datetime

import pytest

from motcua.paging import search_words
from tests.conftest import dossier_body


def test_a_whole_code_is_one_word_and_a_dotted_phone_is_still_a_phone():
    assert search_words("G22.99-20260309-0001234") == ["g229920260309000123" + "4"]
    assert search_words("0912.345.678") == ["0912345678"]
    assert search_words("nguyen van an") == ["nguyen", "van", "an"]


@pytest.mark.parametrize("typed", ["G22.99-20260309-0001234", "g22.99-20260309-0001234",
                                   "G22.99-2026", "0001234"])
def test_node_search_finds_the_dotted_official_code(app, typed):
    from node import reception, search
    from node.apply import Change, commit_one
    d = reception.receive_dossier(dossier_body(), "lan@07024", now=datetime(2026, 3, 9, 9))
    other = reception.receive_dossier(dossier_body(), "lan@07024", now=datetime(2026, 3, 9, 9))
    commit_one(Change("dossier.corrected", d.uid,
                      {"fields": {"official_code": "G22.99-20260309-0001234"}}),
               "center", now=datetime(2026, 3, 9, 10))
    found = [r.code for r in search.search_dossiers(typed).items]
    assert found == [d.code] and other.code not in found


def test_node_search_finds_own_code_whole_and_the_lookup_secret(app):
    from node import reception, search
    d = reception.receive_dossier(dossier_body(), "lan@07024", now=datetime(2026, 3, 9, 9))
    reception.receive_dossier(dossier_body(), "lan@07024", now=datetime(2026, 3, 9, 9))
    assert [r.code for r in search.search_dossiers(d.code).items] == [d.code]
    assert [r.code for r in search.search_dossiers(d.lookup_secret.lower()).items] == [d.code]
