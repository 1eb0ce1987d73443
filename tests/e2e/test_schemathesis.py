"""Schemathesis against a real `smsgate serve`, driven by the document the server itself serves.

For every operation of /openapi.json it generates bodies and path values (valid ones and
deliberately broken ones), sends them with an app's credentials (a developer's for
/v1/accounts/dev) and checks each answer: never a 5xx, a status the operation documents, its
documented media type, and a body in the documented shape, down to the exact JSMS code and
message. The run is bounded by a number of examples per operation, sends the same cases every
run, and runs once per backend.
"""

import base64
from dataclasses import dataclass

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from .server import SmsgateServer

EXAMPLES_PER_OPERATION = 15
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@dataclass(frozen=True)
class Credentials:
    app: str
    developer: str

    def for_case(self, case: Case) -> str:
        return self.developer if case.path == "/v1/accounts/dev" else self.app


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture(scope="module")
def credentials(smsgate_server: SmsgateServer) -> Credentials:
    """A developer account, and its app with a signature, a code and a notification template
    and some quota, so that sends can get through."""
    dev = smsgate_server.cli("dev", "create", "--name", "fuzz", "--json")
    app_key, secret = smsgate_server.create_app(
        "fuzz", "--sign", "Fuzz", "--balance", "100000", "--dev", dev["dev_key"]
    )
    smsgate_server.create_template(app_key, 1, "验证码{{code}}", "--ttl", "300")
    smsgate_server.create_template(app_key, 2, "尊敬的{{name}}，订单已发货。")
    return Credentials(basic(app_key, secret), basic(dev["dev_key"], dev["dev_secret"]))


@pytest.fixture(scope="module")
def served_schema(smsgate_server: SmsgateServer) -> schemathesis.BaseSchema:
    """The document as the server serves it, aimed at that server."""
    schema = schemathesis.openapi.from_url(f"{smsgate_server.base_url}/openapi.json")
    schema.config.update(base_url=smsgate_server.base_url)
    return schema


def check_operation(
    operation: schemathesis.APIOperation,
    mode: GenerationMode,
    server: SmsgateServer,
    credentials: Credentials,
) -> None:
    """Generate and send cases of one operation; raises (after shrinking) on the first failure."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,  # the same cases every run; a failure prints how to replay it
        suppress_health_check=list(HealthCheck),
    )
    def send(case: Case) -> None:
        case.call_and_validate(
            base_url=server.base_url,
            headers={"Authorization": credentials.for_case(case)},
            checks=CHECKS,
            timeout=30,
        )

    send()


def modes(operation: schemathesis.APIOperation) -> tuple[GenerationMode, ...]:
    """Valid inputs, and broken bodies where there is one (a broken path value is another
    path, or none)."""
    if operation.body:
        return (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    return (GenerationMode.POSITIVE,)


def test_every_answer_is_documented(
    served_schema: schemathesis.BaseSchema, credentials: Credentials, smsgate_server: SmsgateServer
) -> None:
    failures: list[str] = []
    operations = [result.ok() for result in served_schema.get_all_operations()]
    assert len(operations) > 20
    for operation in operations:
        for mode in modes(operation):
            try:
                check_operation(operation, mode, smsgate_server, credentials)
            except (AssertionError, FailureGroup) as failure:  # every operation's first failure
                failures.append(f"{operation.label} ({mode.value}):\n{failure}")
    assert not failures, "\n\n".join(failures)
