"""The baseline for the load benchmark: the least a FastAPI app answering JSMS sends can do.

One POST endpoint, HTTP Basic auth against a fixed key and secret, a fresh uuid4 as `msg_id`; no
database, no body parsing. It runs under uvicorn with the options `smsgate serve` uses (one
worker, access log off, uvloop and httptools picked by uvicorn's defaults), so the difference
between the two is what smsgate itself costs.

Run it alone with `python bench/bare_app.py --port 8001`.
"""

import argparse
import hmac
import uuid
from typing import Annotated

import uvicorn
from fastapi import Depends, FastAPI, HTTPException
from fastapi.security import HTTPBasic, HTTPBasicCredentials

APP_KEY = "bench0000000000000000000"
MASTER_SECRET = "bench-secret-0000000000"

app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
basic = HTTPBasic()


async def check_credentials(
    credentials: Annotated[HTTPBasicCredentials, Depends(basic)],
) -> str:
    """Compare in constant time, as a real service must, so the baseline pays that cost too.

    `async` keeps it on the event loop: FastAPI runs plain `def` dependencies in a thread pool,
    which would make the baseline slower than a careful app needs to be."""
    key_ok = hmac.compare_digest(credentials.username.encode(), APP_KEY.encode())
    secret_ok = hmac.compare_digest(credentials.password.encode(), MASTER_SECRET.encode())
    if not (key_ok and secret_ok):
        raise HTTPException(status_code=401, headers={"WWW-Authenticate": "Basic"})
    return credentials.username


@app.post("/v1/codes")
async def send_code(_app_key: Annotated[str, Depends(check_credentials)]) -> dict[str, str]:
    return {"msg_id": str(uuid.uuid4())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    # The same uvicorn.run call as `smsgate serve` (smsgate/cli/server.py), with the same defaults.
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="info",
        access_log=False,
        proxy_headers=False,
        forwarded_allow_ips="",
    )


if __name__ == "__main__":
    main()
