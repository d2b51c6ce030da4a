"""The email's palettes: every text colour at WCAG AA on its card, light and dark, whatever
the brand colour it is derived from."""

import pytest

from newsdesk.output.theme import AA, DEFAULT_THEME, contrast, make_theme, readable_on


def test_contrast_ratios_are_wcag_2s():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#ffffff", "#ffffff") == pytest.approx(1.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


def test_the_default_theme_is_readable_in_both_modes():
    assert DEFAULT_THEME.light.problems("light") == []
    assert DEFAULT_THEME.dark.problems("dark") == []


@pytest.mark.parametrize("brand", ["#9b1c1c", "#ffff00", "#000000", "#1a73e8", "#777777", "#ffffff", "#2e7d32"])
def test_any_brand_colour_gives_readable_links_in_both_modes(brand):
    theme = make_theme(brand)
    assert theme.light.problems("light") == [] and theme.dark.problems("dark") == []
    assert contrast(theme.light.link, theme.light.card) >= AA and contrast(theme.dark.link, theme.dark.card) >= AA


def test_a_readable_colour_is_left_as_it_is():
    assert readable_on("#9b1c1c", "#ffffff") == "#9b1c1c"
