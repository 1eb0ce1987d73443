"""Signing an httpx client in to the console, as a browser would: the form, its token, the post;
and the operator who signs in."""

import functools
import re

import httpx

from smsgate import clock
from smsgate.console import repository
from smsgate.console.passwords import hash_password
from smsgate.context import Context

PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(page: str) -> str:
    found = _CSRF.search(page)
    assert found, "the page has no form token"
    return found.group(1)


async def sign_in(client: httpx.AsyncClient, name: str, password: str = PASSWORD) -> httpx.Response:
    form = await client.get("/console/login")
    return await client.post(
        "/console/login",
        data={"csrf": csrf_of(form.text), "name": name, "password": password},
    )


@functools.cache
def _password_hash() -> str:
    """PASSWORD's argon2 hash, made once per test process: argon2 is slow on purpose (a tenth of
    a second, several times that on a busy machine), and every console test needs an operator."""
    return hash_password(PASSWORD)


async def add_operator(ctx: Context, name: str = "ops") -> str:
    """An operator with PASSWORD, stored as `accounts.create_operator` stores one; returns the
    name. For tests of what an operator does once signed in (tests of creating operators call
    `create_operator` itself)."""
    values = {"name": name, "password_hash": _password_hash(), "created_at": clock.now_ms()}
    await ctx.db.write(lambda conn: repository.insert_operator(conn, values))
    return name
