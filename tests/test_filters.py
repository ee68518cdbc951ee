"""The list filters' checkboxes: Django's markup, written without Django's templates."""

import re

import pytest
from django import forms

from logging_app.listing.filters import ChoiceCheckboxes

CHOICES = [("BUSY", "BUSY"), ("3-WAY", "3-WAY"), ('<b a="1">', "Tom & <Jerry>")]


def _form(widget: type[forms.Widget], data: dict | None) -> forms.Form:
    class ChoiceForm(forms.Form):
        disposition = forms.MultipleChoiceField(choices=CHOICES, widget=widget, required=False)

    return ChoiceForm(data)


def _markup(html: str) -> str:
    """The markup with whitespace between tags (Django's templates leave some) taken out."""
    return re.sub(r">\s+<", "><", " ".join(html.split()))


@pytest.mark.parametrize(
    "data",
    [None, {}, {"disposition": ["BUSY", '<b a="1">']}, {"disposition": ["NOPE"]}],
    ids=["unbound", "nothing-checked", "checked", "invalid"],
)
def test_it_writes_what_djangos_checkboxes_write(data):
    ours = _form(ChoiceCheckboxes, data)
    djangos = _form(forms.CheckboxSelectMultiple, data)

    assert _markup(str(ours["disposition"])) == _markup(str(djangos["disposition"]))


def test_it_escapes_values_and_labels():
    html = str(_form(ChoiceCheckboxes, None)["disposition"])

    assert 'value="&lt;b a=&quot;1&quot;&gt;"' in html
    assert "Tom &amp; &lt;Jerry&gt;" in html
    assert "<Jerry>" not in html


def test_it_marks_an_invalid_choice_for_assistive_technology():
    html = str(_form(ChoiceCheckboxes, {"disposition": ["NOPE"]})["disposition"])

    assert html.count('aria-invalid="true"') == len(CHOICES)
