"""schemathesis over the app's own OpenAPI schema, in-process with the real model and seed index: whatever a client
sends that the schema allows (positive) or forbids (negative), the answer is never a 5xx and every error is problem+json."""

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from pydantic import SecretStr
from schemathesis import GenerationMode

from bot.http import create_app
from retrieval.engine import Engine

FUZZED = ("/v1/ask", "/v1/search", "/v1/articles/{article_id}")
EXAMPLES = 25  # per operation and generation mode: bounded for CI, and derandomized (fixed seed) so every run is the same


@pytest.fixture(scope="module")
def api_schema(engine: Engine) -> Any:
    # With an admin token the admin route is in the schema too (and must refuse every unauthenticated call cleanly).
    app = create_app(engine.settings.model_copy(update={"admin_token": SecretStr("s3cret-admin-token")}), engine)
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def _check(case: Any) -> None:
    response = case.call()
    label = f"{case.method} {case.formatted_path} → {response.status_code}: {response.text[:300]}"
    assert response.status_code < 500, label
    if response.status_code >= 400:
        assert response.headers["content-type"][0].startswith("application/problem+json"), label
        body = response.json()
        assert {"type", "title", "status", "detail"} <= body.keys() and body["status"] == response.status_code, label
    assert "s3cret-admin-token" not in response.text


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_5xx_and_every_error_is_problem_json(api_schema: Any, mode: GenerationMode) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/v1/ask", "/v1/search", "/v1/articles/{article_id}", "/v1/admin/reload"}
    for operation in operations:

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case: Any) -> None:
            _check(case)

        try:
            run()
        except Unsatisfiable:
            # Nothing can be invalid in a request without parameters or body (/healthz, …; the admin route's only
            # parameter is a free-form header): schemathesis has no negative case to make there.
            assert mode is GenerationMode.NEGATIVE and operation.path not in FUZZED, operation.path
