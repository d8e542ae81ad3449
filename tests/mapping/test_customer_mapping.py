"""The buyer's name is split predictably and the email is normalised."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mapping_data import known_order_data

from jet_orderhive.jet import JetOrder
from jet_orderhive.mapping import MappingContext, map_customer, split_name
from jet_orderhive.orderhive import Customer, normalize_email


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Cher", ("Cher", None)),
        ("Jane Doe", ("Jane", "Doe")),
        ("Mary Ann van der Berg", ("Mary", "Ann van der Berg")),
        ("  Zoë   Brontë-Hughes  ", ("Zoë", "Brontë-Hughes")),
        ("Nguyễn\u3000Thị Hà", ("Nguyễn", "Thị Hà")),
        ("", (None, None)),
        ("   ", (None, None)),
        (None, (None, None)),
    ],
)
def test_split_name(name: str | None, expected: tuple[str | None, str | None]) -> None:
    assert split_name(name) == expected


@given(st.text())
def test_split_name_keeps_every_word(name: str) -> None:
    first, last = split_name(name)
    rebuilt = " ".join(part for part in (first, last) if part)
    assert rebuilt == " ".join(name.split())


def _customer(name: str, email: str) -> Customer | None:
    data = known_order_data()
    data["buyer"]["name"] = name  # type: ignore[index]
    data["hash_email"] = email
    return map_customer(JetOrder.from_dict(data), MappingContext())


def test_one_word_buyer_name_is_a_first_name() -> None:
    customer = _customer("Madonna", "x@customer.jet.com")
    assert customer is not None
    assert (customer.first_name, customer.last_name) == ("Madonna", None)


def test_empty_buyer_name_gives_no_name() -> None:
    customer = _customer("", "x@customer.jet.com")
    assert customer is not None
    assert (customer.first_name, customer.last_name) == (None, None)


@pytest.mark.parametrize(
    "raw", ["ABC@Customer.JET.com", "  abc@customer.jet.com\n", "\tAbc@customer.jet.COM "]
)
def test_email_is_stripped_and_case_folded(raw: str) -> None:
    customer = _customer("Jane Doe", raw)
    assert customer is not None
    assert customer.email == "abc@customer.jet.com"


def test_blank_email_gives_no_customer() -> None:
    assert _customer("Jane Doe", "   ") is None


def test_normalize_email_folds_unicode_case() -> None:
    assert normalize_email(" STRASSE@Example.com ") == "strasse@example.com"
    assert normalize_email("ß@x.com") == "ss@x.com"
