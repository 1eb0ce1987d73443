"""Template linting and rendering (jsms-api.md §2.12, §5.1; error codes §3)."""

import pytest

from smsgate.errors import JsmsError
from smsgate.templates.rendering import (
    has_special_brackets,
    lint_template,
    placeholders,
    render_template,
)

CODE, NOTIFICATION, MARKETING = 1, 2, 3


def lint_error(text: str, template_type: int, remark: str = "") -> int | None:
    try:
        lint_template(text, template_type, remark)
    except JsmsError as error:
        return error.code
    return None


# --- type, emptiness, length, brackets ------------------------------------------------------------


@pytest.mark.parametrize("template_type", [0, 4, -1, 99])
def test_unknown_type_is_50025(template_type: int) -> None:
    assert lint_error("您的验证码是{{code}}", template_type) == 50025


def test_type_is_checked_before_the_text() -> None:
    assert lint_error("", 7) == 50025


@pytest.mark.parametrize("template_type", [CODE, NOTIFICATION, MARKETING])
@pytest.mark.parametrize("text", ["", " ", "\n\t  "])
def test_empty_or_blank_template_is_50042(text: str, template_type: int) -> None:
    assert lint_error(text, template_type) == 50042


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("好" * 350, None),
        ("好" * 351, 50043),
        ("a" * 350, None),
        ("a" * 351, 50043),
        ("{{name}}" + "x" * 342, None),
        ("{{name}}" + "x" * 343, 50043),
        ("😀" * 350, None),
        ("😀" * 351, 50043),
    ],
)
def test_length_limit_is_350_characters_each_counting_one(text: str, expected: int | None) -> None:
    assert lint_error(text, NOTIFICATION) == expected


@pytest.mark.parametrize("template_type", [CODE, NOTIFICATION, MARKETING])
@pytest.mark.parametrize(
    "text",
    [
        "【极光】您的验证码是{{code}}",
        "您的验证码是{{code}}】",
        "【您的验证码是{{code}}",
        "a【b】c{{code}}",
    ],
)
def test_square_cjk_brackets_are_50052(text: str, template_type: int) -> None:
    assert lint_error(text, template_type) == 50052


@pytest.mark.parametrize("text", ["[极光]{{code}}", "(极光){{code}}", "〔极光〕{{code}}"])
def test_other_brackets_are_allowed(text: str) -> None:
    assert lint_error(text, CODE) is None


# --- type 1: only {{code}} ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "您的验证码是{{code}}，5分钟内有效。",
        "{{code}}",
        "验证码{{code}}，再说一遍：{{code}}",
        "Your code is {{code}}. {{code}} expires soon. {{code}}",
    ],
)
def test_type1_accepts_code_placeholders_repeats_included(text: str) -> None:
    assert lint_error(text, CODE) is None


@pytest.mark.parametrize(
    "text",
    [
        "您的验证码是123456",
        "您的验证码是{{name}}",
        "您的验证码是{{code}}，{{name}}",
        "{{Code}}",
        "{{CODE}}",
        "{{ code }}",
        "{{code }}",
        "{{code1}}",
        "{{}}",
        "{{code",
        "code}}",
        "{{code}}}}",
        "{{{{code}}",
        "{{co{de}}",
    ],
)
def test_type1_rejects_anything_but_code_as_50044(text: str) -> None:
    assert lint_error(text, CODE) == 50044


# --- types 2 and 3: ASCII names, inner underscores ------------------------------------------------


@pytest.mark.parametrize("template_type", [NOTIFICATION, MARKETING])
@pytest.mark.parametrize(
    "text",
    [
        "尊敬的{{name}}，您的订单{{order}}已发货。",
        "双十一大促，全场五折。",
        "{{a}}{{B}}{{c3}}{{9}}{{order_no}}{{a_b_c}}{{a__b}}",
        "{{name}}和{{name}}",
        "您的验证码是{{code}}",
        "single braces {like this} are plain text",
    ],
)
def test_types_2_and_3_accept_ascii_names(text: str, template_type: int) -> None:
    assert lint_error(text, template_type) is None


@pytest.mark.parametrize("template_type", [NOTIFICATION, MARKETING])
@pytest.mark.parametrize(
    "text",
    [
        "{{_name}}",
        "{{name_}}",
        "{{_}}",
        "{{na me}}",
        "{{ name}}",
        "{{name }}",
        "{{名字}}",
        "{{naïve}}",
        "{{ｎａｍｅ}}",
        "{{１}}",
        "{{na-me}}",
        "{{na.me}}",
        "{{}}",
        "尊敬的{{name，您好",
        "尊敬的name}}，您好",
        "尊敬的{{name}}，{{order",
        "{{name}}}}",
    ],
)
def test_types_2_and_3_reject_bad_or_unbalanced_placeholders(text: str, template_type: int) -> None:
    assert lint_error(text, template_type) == 50044


# --- {{url}} needs the link in the remark ---------------------------------------------------------


@pytest.mark.parametrize("template_type", [NOTIFICATION, MARKETING])
@pytest.mark.parametrize("remark", ["", "a shop link", "www.example.com", "ftp://example.com/x"])
def test_url_placeholder_without_http_link_in_remark_is_50053(
    remark: str, template_type: int
) -> None:
    assert lint_error("详情见{{url}}", template_type, remark) == 50053


@pytest.mark.parametrize("template_type", [NOTIFICATION, MARKETING])
@pytest.mark.parametrize(
    "remark",
    ["https://example.com/orders", "http://example.com", "链接是 https://shop.example.cn/x?y=1 哦"],
)
def test_url_placeholder_with_link_in_remark_is_accepted(remark: str, template_type: int) -> None:
    assert lint_error("详情见{{url}}", template_type, remark) is None


@pytest.mark.parametrize(
    "name", ["URL", "Url", "uRl", "Link", "LINK", "link", "href", "shortUrl", "pay_link", "url2"]
)
def test_every_spelling_of_a_link_placeholder_needs_the_link(name: str) -> None:
    assert lint_error(f"详情见{{{{{name}}}}}", NOTIFICATION, "") == 50053
    assert lint_error(f"详情见{{{{{name}}}}}", MARKETING, "订单详情页") == 50053
    assert lint_error(f"详情见{{{{{name}}}}}", NOTIFICATION, "HTTPS://example.com/x") is None


def test_remark_link_is_only_required_for_url_placeholders() -> None:
    assert lint_error("尊敬的{{name}}，您好", NOTIFICATION, "") is None
    assert lint_error("访问 https://example.com 了解详情", MARKETING, "") is None


# --- placeholders ---------------------------------------------------------------------------------


def test_placeholders_in_order_with_repeats() -> None:
    assert placeholders("{{b}}x{{a}}y{{b}}") == ["b", "a", "b"]
    assert placeholders("没有变量") == []


# --- rendering ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "params", "expected"),
    [
        (
            "您的验证码是{{code}}，5分钟内有效。",
            {"code": "012345"},
            "您的验证码是012345，5分钟内有效。",
        ),
        (
            "尊敬的{{name}}，您的订单{{order}}已发货。",
            {"name": "张三", "order": "A-001"},
            "尊敬的张三，您的订单A-001已发货。",
        ),
        ("{{code}}，重复：{{code}}", {"code": "9876"}, "9876，重复：9876"),
        ("{{a}}{{b}}{{a}}", {"a": "1", "b": "2"}, "121"),
        ("{{name}}好", {"name": "李四", "unused": "x", "other": None}, "李四好"),
        ("{{name}}", {"name": ""}, ""),
    ],
)
def test_render_fills_every_placeholder(
    template: str, params: dict[str, str | None], expected: str
) -> None:
    assert render_template(template, params) == expected


@pytest.mark.parametrize("params", [{}, {"a": "1"}, {"code": None}])
def test_template_without_placeholders_renders_unchanged(params: dict[str, str | None]) -> None:
    assert render_template("双十一大促，全场五折。", params) == "双十一大促，全场五折。"


@pytest.mark.parametrize("params", [{}, {"name": None}, {"name": None, "order": None}])
def test_no_usable_params_when_some_are_needed_is_50023(params: dict[str, str | None]) -> None:
    with pytest.raises(JsmsError) as caught:
        render_template("尊敬的{{name}}，订单{{order}}", params)
    assert caught.value.code == 50023


@pytest.mark.parametrize(
    "params",
    [
        {"name": "张三"},
        {"order": "1"},
        {"name": "张三", "order": None},
        {"other": "x"},
        {"NAME": "张三", "ORDER": "1"},
    ],
)
def test_a_placeholder_left_unfilled_is_50022(params: dict[str, str | None]) -> None:
    with pytest.raises(JsmsError) as caught:
        render_template("尊敬的{{name}}，订单{{order}}", params)
    assert caught.value.code == 50022


@pytest.mark.parametrize(
    "value",
    ["{{order}}", "{{name}}", "{{", "}}", "{{{{x}}}}", r"\1", r"\g<0>", "$1", "%s"],
)
def test_values_are_inserted_literally_never_expanded(value: str) -> None:
    rendered = render_template("[{{name}}]({{order}})", {"name": value, "order": "A1"})
    assert rendered == f"[{value}](A1)"


def test_a_value_that_looks_like_its_own_placeholder_is_not_expanded_again() -> None:
    assert render_template("{{code}}", {"code": "{{code}}"}) == "{{code}}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("【极光】", True), ("a】", True), ("【", True), ("[极光]", False), ("普通文本", False)],
)
def test_has_special_brackets(text: str, expected: bool) -> None:
    assert has_special_brackets(text) is expected
