"""The project's own documents: every relative link and anchor in README.md and docs/*.md leads
to a file or heading inside the repository, and docs/api.md lists every error code exactly as
errors.py answers it."""

import re
from pathlib import Path

import pytest

from smsgate.errors import ERRORS

REPO_ROOT = Path(__file__).resolve().parents[2]
API_REFERENCE = REPO_ROOT / "docs" / "api.md"
DOCUMENTS = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]
_FENCED = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
_EXTERNAL = ("http://", "https://", "mailto:")


def prose(text: str) -> str:
    """The text without code blocks and code spans, where brackets are not links."""
    return _INLINE_CODE.sub("", _FENCED.sub("", text))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation but `-` and `_` dropped, spaces
    to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    found: set[str] = set()
    for heading in _HEADING.findall(prose(path.read_text(encoding="utf-8"))):
        base = slug(heading)
        anchor, suffix = base, 1
        while anchor in found:  # repeated headings get -1, -2, ...
            anchor, suffix = f"{base}-{suffix}", suffix + 1
        found.add(anchor)
    return found


def links(path: Path) -> list[str]:
    return _LINK.findall(prose(path.read_text(encoding="utf-8")))


def test_slug_follows_the_github_rules() -> None:
    assert slug("POST /v1/codes/{msg_id}/valid") == "post-v1codesmsg_idvalid"
    assert slug("GET and DELETE /v1/sign/{sign_id}") == "get-and-delete-v1signsign_id"
    assert slug("Delivery: HTTP providers") == "delivery-http-providers"
    assert slug("Reports, replies and callbacks") == "reports-replies-and-callbacks"


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_every_link_resolves_inside_the_repository(document: Path) -> None:
    broken: list[str] = []
    for target in links(document):
        if target.startswith(_EXTERNAL):
            continue
        file_part, _, anchor = target.partition("#")
        linked = (document.parent / file_part).resolve() if file_part else document
        if REPO_ROOT not in linked.parents and linked != REPO_ROOT:
            broken.append(f"{target}: outside the repository")
        elif not linked.exists():
            broken.append(f"{target}: no such file")
        elif anchor and (linked.suffix != ".md" or anchor not in anchors(linked)):
            broken.append(f"{target}: no heading #{anchor} in {linked.name}")
    assert not broken, f"{document.name}:\n" + "\n".join(broken)


def test_documents_link_to_the_api_reference() -> None:
    readme_links = links(REPO_ROOT / "README.md")
    assert any(link.startswith("docs/api.md#") for link in readme_links)
    assert len(anchors(API_REFERENCE)) > 30


def test_api_reference_lists_every_error_code_as_answered() -> None:
    """Each code of errors.py is a row `| HTTP | code | message | ... |` in docs/api.md, and the
    table holds no code errors.py does not know."""
    rows: dict[int, tuple[int, str]] = {}
    for line in API_REFERENCE.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if (
            len(cells) >= 3
            and re.fullmatch(r"\d{3}", cells[0])
            and re.fullmatch(r"5\d{4}", cells[1])
        ):
            rows[int(cells[1])] = (int(cells[0]), cells[2])
    expected = {code: (spec.http_status, spec.message) for code, spec in ERRORS.items()}
    assert rows == expected
