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


@pytest.mark.parametrize("name", ["serif", "sans"])
@pytest.mark.parametrize("brand", ["#9b1c1c", "#ffff00", "#000000", "#1a73e8", "#ffffff"])
def test_every_theme_follows_its_brand_colour_and_stays_readable(name, brand):
    theme = make_theme(brand, name)
    assert theme.name == name
    assert theme.light.problems("light") == [] and theme.dark.problems("dark") == []
    assert contrast(theme.light.heading, theme.light.card) >= 7  # headings, in the brand colour or not
    assert theme.light.link == readable_on(brand, theme.light.card)  # derived from it, nothing else


def test_the_sans_theme_is_sans_and_an_unknown_theme_is_refused():
    assert "Georgia" not in make_theme(name="sans").body_font and "PingFang SC" in make_theme(name="sans").body_font
    assert "SimSun" in DEFAULT_THEME.body_font
    with pytest.raises(ValueError, match="comic"):
        make_theme(name="comic")


@pytest.mark.parametrize("brand", ["#1a7f37", "#000080", "#ffcc00"])
def test_the_sans_headings_follow_the_brand_colour_in_dark_mode_too(brand):
    theme = make_theme(brand, "sans")
    assert theme.dark.heading == readable_on(brand, theme.dark.card, 7.0) != make_theme(brand).dark.heading
    assert contrast(theme.dark.heading, theme.dark.card) >= 7
