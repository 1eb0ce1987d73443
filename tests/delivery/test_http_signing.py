"""Known-answer tests: each vendor's request or callback signing against the worked example in
the vendor's own documentation, so a scheme that only agrees with itself cannot pass."""

from smsgate.delivery.providers.aliyun import percent_encode, sign_v1
from smsgate.delivery.providers.tencent_signing import (
    canonical_request,
    string_to_sign,
    tc3_headers,
    tc3_signature,
)
from smsgate.delivery.providers.twilio import twilio_signature

# Alibaba Cloud SMS, "SendSms signature" example: AccessKeyId testId, secret testSecret.
ALIYUN_EXAMPLE = {
    "AccessKeyId": "testId",
    "Action": "SendSms",
    "Format": "XML",
    "OutId": "123",
    "PhoneNumbers": "15300000001",
    "RegionId": "cn-hangzhou",
    "SignName": "阿里云短信测试专用",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
    "SignatureVersion": "1.0",
    "TemplateCode": "SMS_71390007",
    "TemplateParam": '{"customer":"test"}',
    "Timestamp": "2017-07-12T02:42:19Z",
    "Version": "2017-05-25",
}

# Tencent Cloud API 3.0, "Signature v3" example: CVM DescribeInstances at 1551113065.
TENCENT_PAYLOAD = (
    b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
)

# Twilio, "Webhooks security" example: auth token 12345.
TWILIO_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"


def test_aliyun_signature_v1_matches_the_documented_example() -> None:
    assert sign_v1("GET", ALIYUN_EXAMPLE, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_aliyun_signature_depends_on_method_secret_and_every_parameter() -> None:
    documented = "zJDF+Lrzhj/ThnlvIToysFRq6t4="
    assert sign_v1("POST", ALIYUN_EXAMPLE, "testSecret") != documented
    assert sign_v1("GET", ALIYUN_EXAMPLE, "otherSecret") != documented
    assert sign_v1("GET", {**ALIYUN_EXAMPLE, "OutId": "124"}, "testSecret") != documented


def test_aliyun_percent_encoding_follows_rfc_3986() -> None:
    # Space as %20 (not +), * as %2A, ~ kept: the rules Aliyun spells out for the signature.
    assert percent_encode("a b*c~d+e/阿") == "a%20b%2Ac~d%2Be%2F%E9%98%BF"


def test_tencent_tc3_steps_match_the_documented_example() -> None:
    canonical = canonical_request("cvm.tencentcloudapi.com", TENCENT_PAYLOAD)
    assert canonical.endswith("35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064")
    to_sign = string_to_sign("cvm", 1551113065, canonical)
    assert to_sign == (
        "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n"
        "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
    )
    assert (
        tc3_signature("Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", "cvm", 1551113065, to_sign)
        == "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
    )


def test_tencent_authorization_header_matches_the_documented_curl_example() -> None:
    headers = tc3_headers(
        secret_id="AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
        secret_key="Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
        service="cvm",
        host="cvm.tencentcloudapi.com",
        action="DescribeInstances",
        version="2017-03-12",
        region="ap-guangzhou",
        timestamp=1551113065,
        payload=TENCENT_PAYLOAD,
    )
    assert headers == {
        "Authorization": "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/"
        "2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, "
        "Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168",
        "Content-Type": "application/json; charset=utf-8",
        "Host": "cvm.tencentcloudapi.com",
        "X-TC-Action": "DescribeInstances",
        "X-TC-Timestamp": "1551113065",
        "X-TC-Version": "2017-03-12",
        "X-TC-Region": "ap-guangzhou",
    }


def test_twilio_signature_matches_the_documented_example() -> None:
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+12349013030",
        "Digits": "1234",
        "From": "+12349013030",
        "To": "+18005551212",
    }
    assert twilio_signature("12345", TWILIO_URL, params) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


def test_twilio_signature_matches_the_sdk_request_validator_example() -> None:
    # The example every official Twilio helper library tests its RequestValidator with.
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+14158675309",
        "Digits": "1234",
        "From": "+14158675309",
        "To": "+18005551212",
    }
    assert twilio_signature("12345", TWILIO_URL, params) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    # The URL (query included) and each value are signed: change one and it no longer matches.
    assert twilio_signature("12345", TWILIO_URL + "&x=1", params) != "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    changed = {**params, "Digits": "1235"}
    assert twilio_signature("12345", TWILIO_URL, changed) != "RSOYDt4T1cUTdK1PDd93/VVr8B8="
