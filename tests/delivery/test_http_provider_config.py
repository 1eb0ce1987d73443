"""The HTTP provider types as an operator writes them in the delivery configuration file."""

import tomllib
from pathlib import Path

import pytest

from smsgate.delivery.config import InvalidDeliveryConfig, parse_delivery_config
from smsgate.delivery.providers.aliyun import AliyunConfig
from smsgate.delivery.providers.kannel import KannelConfig
from smsgate.delivery.providers.tencent import TencentConfig
from smsgate.delivery.providers.twilio import TwilioConfig

EXAMPLE = """
[[providers]]
name = "kannel"
type = "kannel"
url = "http://127.0.0.1:13013/cgi-bin/sendsms"
username = "smsgate"
password = "${KANNEL_PASSWORD}"
source_addr = "1069"
callback_base_url = "https://sms.example.com"
callback_token = "0123456789abcdef-token"

[[providers]]
name = "ali"
type = "aliyun"
access_key_id = "LTAI"
access_key_secret = "${ALIYUN_SECRET}"
code_template = "SMS_1"

[[providers]]
name = "tc"
type = "tencent"
secret_id = "AKID"
secret_key = "secret"
sdk_app_id = "1400006666"
text_template = "449739"

[[providers]]
name = "tw"
type = "twilio"
account_sid = "AC1"
auth_token = "token"
messaging_service_sid = "MG1"

[[routes]]
match = "+86"
providers = ["kannel", "ali", "tc"]

[[routes]]
match = "*"
providers = ["tw"]
"""
ENV = {"KANNEL_PASSWORD": "kannel-secret", "ALIYUN_SECRET": "aliyun-secret"}


def test_each_http_provider_type_loads_from_the_file() -> None:
    config = parse_delivery_config(tomllib.loads(EXAMPLE), Path("smsgate.toml"), ENV)
    kannel, ali, tc, tw = (config.providers[n] for n in ("kannel", "ali", "tc", "tw"))
    assert isinstance(kannel, KannelConfig) and kannel.password == "kannel-secret"
    assert kannel.dlr_mask == 19 and kannel.timeout == 10.0
    assert isinstance(ali, AliyunConfig) and ali.access_key_secret == "aliyun-secret"
    assert ali.endpoint == "https://dysmsapi.aliyuncs.com/"
    assert isinstance(tc, TencentConfig) and tc.region == "ap-guangzhou"
    assert isinstance(tw, TwilioConfig) and tw.messaging_service_sid == "MG1"


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (("url = ", "uri = "), "url"),  # a misspelt key is an error, not ignored
        (('type = "twilio"\n', 'type = "twilio"\nfrom = "+1"\n'), "from"),
        (('callback_token = "0123456789abcdef-token"', 'callback_token = "short"'), "token"),
    ],
)
def test_a_bad_provider_table_stops_smsgate_with_the_key_named(change, complaint) -> None:
    document = tomllib.loads(EXAMPLE.replace(*change, 1))
    with pytest.raises(InvalidDeliveryConfig, match=complaint):
        parse_delivery_config(document, Path("smsgate.toml"), ENV)
