"""Locust user for `benchmarks/service_load.py`: each simulated clinician posts a case to
/api/v1/diagnose with its own bearer token, waiting 0.5-1.5 s between requests (a person
reading the result, not a tight loop). Tokens come from the file in $MEDSAGE_LOAD_TOKENS."""

from __future__ import annotations

import itertools
import json
import os
import random

from locust import HttpUser, between, task

with open(os.environ["MEDSAGE_LOAD_TOKENS"], encoding="utf-8") as _handle:
    _DATA = json.load(_handle)
_TOKENS = itertools.cycle(_DATA["tokens"])
_CASES = _DATA["cases"]


class Clinician(HttpUser):
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        self.client.headers["Authorization"] = f"Bearer {next(_TOKENS)}"

    @task
    def diagnose(self) -> None:
        case = random.choice(_CASES)
        with self.client.post(
            "/api/v1/diagnose", json={"text": case, "k": 5}, name="/api/v1/diagnose",
            catch_response=True,
        ) as response:  # fmt: skip
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
            elif "triage" not in response.json():
                response.failure("no triage in the report")
