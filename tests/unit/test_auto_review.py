"""The auto-review rules for templates (smsgate/templates/auto_review.py): each rule fails on what
it should and explains itself, and a clean template passes them all."""

import pytest

from smsgate.settings import Settings
from smsgate.templates.auto_review import TemplateUnderReview, review_findings

SETTINGS = Settings(code_length=6, sensitive_words_file=None, sensitive_words_default=True)


def findings(text: str, remark: str = "", template_type: int = 2, sign: str = "商城") -> list[str]:
    suffix = "回TD退订" if template_type == 3 else ""
    return review_findings(TemplateUnderReview(template_type, text, remark, sign, suffix), SETTINGS)


@pytest.mark.parametrize(
    ("text", "remark"),
    [
        ("您好{{name}}，您的订单{{order}}已发货。", ""),
        ("验证码{{code}}，5分钟内有效。", ""),
        ("详情见{{url}}", "https://shop.example.com/orders"),
        ("访问 https://shop.example.com/a 查看", "链接 https://shop.example.com/a"),
        ("邮件请发至 service@example.com 谢谢", ""),
        ("版本 1.5 已发布，请更新。", ""),
    ],
)
def test_clean_templates_pass(text: str, remark: str) -> None:
    assert findings(text, remark) == []


def test_length_counts_filled_placeholders_signature_and_suffix() -> None:
    # 350 - 【商城】(4) - 回TD退订(5) - 20 for {{a}} = 321 fixed characters fit exactly.
    assert findings("营" * 321 + "{{a}}", template_type=3) == []
    [finding] = findings("营" * 322 + "{{a}}", template_type=3)
    assert finding.startswith("length:") and "351 characters" in finding


def test_code_placeholders_count_as_long_as_a_code() -> None:
    assert findings("码" * (350 - 4 - 6) + "{{code}}", template_type=1) == []
    assert findings("码" * (350 - 4 - 5) + "{{code}}", template_type=1) != []


@pytest.mark.parametrize("text", ["{{a}}{{b}}", "您好{{a}} {{b}}，再见"])
def test_placeholders_side_by_side(text: str) -> None:
    assert any("side by side" in finding for finding in findings(text))


@pytest.mark.parametrize("text", ["{{content}}", "{{a}}：{{b}}", "{{a}} http://x.example.com"])
def test_templates_of_placeholders_alone(text: str) -> None:
    assert any("little more than parameters" in finding for finding in findings(text))


def test_sensitive_words_in_the_remark() -> None:
    [finding] = findings("您好{{name}}，欢迎。", remark="用于代开发票提醒")
    assert finding.startswith("sensitive words:") and "代开发票" in finding


@pytest.mark.parametrize(
    ("text", "link"),
    [
        ("访问shop.example.com查看", "shop.example.com"),
        ("点击 www.example.cn/a 领取", "www.example.cn/a"),
        ("点击 https://example.com/x 领取", "https://example.com/x"),
    ],
)
def test_links_in_the_text_must_be_declared(text: str, link: str) -> None:
    assert f"links: {link} is in the text but not declared in the remark" in findings(text)
    assert findings(text, remark=f"活动页 {link}") == []


@pytest.mark.parametrize(
    ("remark", "why"),
    [
        ("http://t.cn/A6x", "link shortener"),
        ("https://bit.ly/3abc", "link shortener"),
        ("http://10.0.0.8/detail", "bare IP address"),
        ("http://192.168.1.1:8080/x", "bare IP address"),
    ],
)
def test_links_that_hide_their_target(remark: str, why: str) -> None:
    [finding] = findings("详情见{{url}}", remark=remark)
    assert why in finding


def test_every_failed_rule_is_reported_once() -> None:
    text = "{{a}}{{b}} http://t.cn/x http://t.cn/x"
    result = findings(text, remark="赌博")
    assert len(result) == len(set(result))
    assert {finding.split(":")[0] for finding in result} == {
        "placeholders",
        "sensitive words",
        "links",
    }
