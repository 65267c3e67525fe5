"""Create the peer's data: one organization with N members; print a member's token."""

import json
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer.settings")
django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from organizations.models import Organization, OrganizationUser  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

members = int(sys.argv[1]) if len(sys.argv) > 1 else 50
call_command("migrate", verbosity=0)
org = Organization.objects.create(name="Team", slug="team")
users = User.objects.bulk_create(
    [
        User(
            username=f"member{i:07d}",
            email=f"member{i:07d}@bench.example",
            first_name="Member",
            last_name=f"{i:07d}",
        )
        for i in range(members)
    ]
)
users = list(User.objects.order_by("id"))
OrganizationUser.objects.bulk_create(
    [OrganizationUser(organization=org, user=u, is_admin=(i == 0)) for i, u in enumerate(users)]
)
token = Token.objects.create(user=users[1])
print(json.dumps({"token": token.key, "path": "/orgs/team/members"}))
