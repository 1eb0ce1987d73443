"""SIP, SDP and RTP as smsgate's voice calls write and read them (RFC 3261, 4566, 3550, 2617)."""

import hashlib
import struct

import pytest

from smsgate.delivery.voice.digest import (
    Challenge,
    UnsupportedChallenge,
    authorization,
    digest_response,
    parse_challenge,
)
from smsgate.delivery.voice.outcomes import status_for_final_response
from smsgate.delivery.voice.rtp import SAMPLES_PER_PACKET, RtpHeader, packetise, parse_header
from smsgate.delivery.voice.sdp import SdpError, build_offer, parse_answer
from smsgate.delivery.voice.sip_message import (
    build_request,
    build_response,
    new_branch,
    parse_message,
    tag_of,
    uri_of,
)


def test_digest_matches_the_rfc_2617_example() -> None:
    # RFC 2617 §3.5: Mufasa / "Circle Of Life", GET /dir/index.html, qop=auth.
    challenge = parse_challenge(
        'Digest realm="testrealm@host.com", qop="auth,auth-int", '
        'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"'
    )
    assert challenge == Challenge(
        "testrealm@host.com",
        "dcd98b7102dd2f0e8b11d0f600bfb0c093",
        "MD5",
        "auth",
        "5ccc069c403ebaf9f0171e9517f40e41",
    )
    response = digest_response(
        challenge,
        username="Mufasa",
        password="Circle Of Life",
        method="GET",
        uri="/dir/index.html",
        cnonce="0a4f113b",
        nonce_count=1,
    )
    assert response == "6629fae49393a05397450978507c4ef1"


def test_digest_without_qop_is_the_rfc_2069_form() -> None:
    challenge = Challenge("sip.test", "abc")
    ha1 = hashlib.md5(b"bob:sip.test:pw").hexdigest()
    ha2 = hashlib.md5(b"INVITE:sip:+861@sip.test").hexdigest()
    expected = hashlib.md5(f"{ha1}:abc:{ha2}".encode()).hexdigest()
    got = digest_response(
        challenge, username="bob", password="pw", method="INVITE", uri="sip:+861@sip.test"
    )
    assert got == expected


def test_authorization_header_carries_every_field_the_server_checks() -> None:
    challenge = parse_challenge('Digest realm="r", nonce="n", qop="auth", opaque="o"')
    header = authorization(challenge, username="u", password="p", method="INVITE", uri="sip:1@r")
    fields = dict(part.strip().split("=", 1) for part in header.removeprefix("Digest ").split(","))
    cnonce = fields["cnonce"].strip('"')
    expected = digest_response(
        challenge, username="u", password="p", method="INVITE", uri="sip:1@r", cnonce=cnonce
    )
    assert fields["response"] == f'"{expected}"'
    assert fields["nc"] == "00000001" and fields["qop"] == "auth"
    assert fields["opaque"] == '"o"' and fields["uri"] == '"sip:1@r"'


def test_sha256_digest_of_rfc_8760() -> None:
    challenge = parse_challenge('Digest realm="r", nonce="n", algorithm=SHA-256')
    response = digest_response(challenge, username="u", password="p", method="INVITE", uri="x")
    assert len(response) == 64


@pytest.mark.parametrize(
    "header",
    ['Basic realm="r"', 'Digest realm="r", nonce="n", algorithm=MD5-sess-x', 'Digest realm="r"'],
)
def test_challenges_that_cannot_be_answered(header: str) -> None:
    with pytest.raises(UnsupportedChallenge):
        parse_challenge(header)


def test_a_response_is_parsed_with_compact_and_folded_headers() -> None:
    raw = (
        b"SIP/2.0 200 OK\r\n"
        b"v: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKabc;rport=5062\r\n"
        b"f: <sip:1069@t>;tag=aa\r\n"
        b"t: <sip:+86138@t>;tag=bb\r\n"
        b"i: call-1@t\r\n"
        b"CSeq: 2 INVITE\r\n"
        b"Record-Route: <sip:p1;lr>\r\n"
        b"Record-Route: <sip:p2;lr>\r\n"
        b"m: <sip:phone@10.0.0.9:5060>\r\n"
        b"Subject: a\r\n  folded line\r\n"
        b"l: 4\r\n\r\nv=0\r\nextra"
    )
    message = parse_message(raw)
    assert (message.status, message.reason, message.method) == (200, "OK", None)
    assert message.cseq == (2, "INVITE")
    assert message.header("Call-ID") == "call-1@t"
    assert tag_of(message.header("To")) == "bb"
    assert uri_of(message.header("Contact") or "") == "sip:phone@10.0.0.9:5060"
    assert message.all("record-route") == ["<sip:p1;lr>", "<sip:p2;lr>"]
    assert message.header("subject") == "a folded line"
    assert message.body == b"v=0\r"  # exactly Content-Length bytes


def test_a_request_is_built_with_its_content_length_and_answered() -> None:
    body = b"v=0\r\n"
    data = build_request(
        "BYE",
        "sip:phone@10.0.0.9",
        [("Via", "SIP/2.0/UDP h:1;branch=z9hG4bKx"), ("CSeq", "3 BYE"), ("Call-ID", "c")],
        body,
    )
    assert data.startswith(b"BYE sip:phone@10.0.0.9 SIP/2.0\r\nVia: ")
    assert data.endswith(b"Content-Length: 5\r\n\r\nv=0\r\n")
    request = parse_message(data)
    assert (request.method, request.uri, request.cseq) == ("BYE", "sip:phone@10.0.0.9", (3, "BYE"))
    answer = parse_message(build_response(request, 200, "OK"))
    assert answer.status == 200 and answer.cseq == (3, "BYE")
    assert answer.header("Via") == "SIP/2.0/UDP h:1;branch=z9hG4bKx"


def test_branches_carry_the_magic_cookie_and_differ() -> None:
    assert new_branch().startswith("z9hG4bK")
    assert new_branch() != new_branch()


@pytest.mark.parametrize(("codec", "payload_type"), [("PCMU", 0), ("PCMA", 8)])
def test_sdp_offer_names_one_g711_stream(codec: str, payload_type: int) -> None:
    offer = build_offer(42, "192.0.2.1", 40002, codec).decode()
    lines = offer.split("\r\n")
    assert lines[0] == "v=0"
    assert "o=smsgate 42 42 IN IP4 192.0.2.1" in lines
    assert "c=IN IP4 192.0.2.1" in lines
    assert f"m=audio 40002 RTP/AVP {payload_type}" in lines
    assert f"a=rtpmap:{payload_type} {codec}/8000" in lines
    assert "a=ptime:20" in lines


def test_sdp_answer_media_address_wins_over_the_session_one() -> None:
    answer = (
        b"v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
        b"m=audio 30000 RTP/AVP 8 0 101\r\nc=IN IP4 10.0.0.2\r\nm=video 30002 RTP/AVP 96\r\n"
        b"c=IN IP4 10.0.0.3\r\n"
    )
    target = parse_answer(answer)
    assert (target.host, target.port, target.payload_types) == ("10.0.0.2", 30000, (8, 0, 101))
    session_only = parse_answer(b"v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 4000 RTP/AVP 0\r\n")
    assert (session_only.host, session_only.port) == ("10.0.0.1", 4000)
    with pytest.raises(SdpError):
        parse_answer(b"v=0\r\nm=audio 4000 RTP/AVP 0\r\n")


def test_rtp_header_fields() -> None:
    header = RtpHeader(payload_type=8, sequence=65535, timestamp=2**32 - 1, ssrc=0xDEADBEEF)
    packed = header.pack()
    assert len(packed) == 12
    first, second, sequence, timestamp, ssrc = struct.unpack("!BBHII", packed)
    assert first == 0x80  # version 2, no padding, no extension, no CSRC
    assert second == 8 and (sequence, timestamp, ssrc) == (65535, 2**32 - 1, 0xDEADBEEF)
    assert RtpHeader(0, 1, 2, 3, marker=True).pack()[1] == 0x80
    assert parse_header(packed) == header


def test_audio_is_cut_into_20_ms_packets_of_one_stream() -> None:
    audio = bytes(range(256)) * 2  # 512 samples: 3 full packets and 32 samples
    packets = packetise(audio, 0)
    headers = [parse_header(p) for p in packets]
    assert len(packets) == 4 and all(len(p) == 12 + SAMPLES_PER_PACKET for p in packets)
    assert [h.marker for h in headers] == [True, False, False, False]
    assert len({h.ssrc for h in headers}) == 1
    first = headers[0]
    for index, h in enumerate(headers):
        assert h.sequence == (first.sequence + index) & 0xFFFF
        assert h.timestamp == (first.timestamp + index * SAMPLES_PER_PACKET) & 0xFFFFFFFF
    assert b"".join(p[12:] for p in packets)[: len(audio)] == audio
    # Two streams do not share an SSRC (random per stream, RFC 3550 §8.1).
    assert parse_header(packetise(audio, 0)[0]).ssrc != first.ssrc


@pytest.mark.parametrize(
    ("sip_status", "jsms_status"),
    [
        *[(486, 4008), (600, 4008), (408, 4007), (480, 4007), (487, 4007), (603, 4007)],
        *[(404, 4009), (484, 4009), (488, 4009), (500, 4009), (503, 4009), (403, 4009)],
    ],
)
def test_final_responses_map_to_jsms_voice_statuses(sip_status: int, jsms_status: int) -> None:
    assert status_for_final_response(sip_status) == jsms_status
