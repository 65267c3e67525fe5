from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.dialects.members.helpers import Team, make_team
from tests.support import World


@pytest.fixture
def team(client: TestClient, world: World) -> Team:
    return make_team(client, world)
