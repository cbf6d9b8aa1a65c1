"""A client generated from /api/schema/ with openapi-python-client works out of the box.

This is what a mobile developer does first: generate a client from the published schema,
import it, log in, and call the API. Every GET without a path parameter, and each detail
read for the ids its list gave, must parse for all four demo customers; the main writes
and the sync of notifications are driven through it too.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from django.core.management import call_command

from accounts.models import User
from dashboard.demo import DEMO_PASSWORD
from notifications.models import Announcement
from notifications.services.announcements import announcement_context
from notifications.services.notify import notify

GENERATOR = Path(sys.executable).with_name("openapi-python-client")
PACKAGE = "portal_generated_client"
# An event stream is read with an SSE library (its events are documented one by one), not
# with a generated request function.
STREAMS = {"notifications_stream_retrieve"}
DEMO_CUSTOMERS = [
    "new@demo.example",
    "overdue@demo.example",
    "rejected@demo.example",
    "ordering@demo.example",
]

pytestmark = pytest.mark.skipif(
    not GENERATOR.exists() and not shutil.which("openapi-python-client"),
    reason="needs openapi-python-client (pip install -e '.[dev]')",
)


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> ModuleType:
    from django.test import Client

    folder = tmp_path_factory.mktemp("client")
    schema = folder / "schema.yaml"
    response = Client().get("/api/schema/")
    assert response.status_code == 200
    schema.write_bytes(response.content)
    config = folder / "config.yaml"
    # No formatter needed to run the code; a PDF is read as bytes, as a mobile developer
    # configures the generator for documents.
    config.write_text(
        "post_hooks: []\ncontent_type_overrides:\n  application/pdf: application/octet-stream\n"
    )
    command = str(GENERATOR) if GENERATOR.exists() else "openapi-python-client"
    result = subprocess.run(
        [
            command,
            "generate",
            "--path",
            str(schema),
            "--output-path",
            str(folder / PACKAGE),
            "--meta",
            "none",
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr
    sys.path.insert(0, str(folder))
    try:
        package = importlib.import_module(PACKAGE)
        # Every module imports: the generator's output for three content types per body
        # did not (`Unset` undefined), before request bodies were cut to JSON.
        for module in pkgutil.walk_packages(package.__path__, f"{PACKAGE}."):
            importlib.import_module(module.name)
        yield package
    finally:
        sys.path.remove(str(folder))
        for name in [name for name in sys.modules if name.startswith(PACKAGE)]:
            del sys.modules[name]


def operations(package: ModuleType) -> dict[str, ModuleType]:
    found = {}
    api = importlib.import_module(f"{package.__name__}.api")
    for info in pkgutil.walk_packages(api.__path__, f"{api.__name__}."):
        module = importlib.import_module(info.name)
        if hasattr(module, "sync_detailed"):
            found[info.name.rsplit(".", 1)[-1]] = module
    return found


def required_parameters(module: ModuleType) -> list[str]:
    signature = inspect.signature(module._get_kwargs)
    return [
        name
        for name, parameter in signature.parameters.items()
        if parameter.default is inspect.Parameter.empty and name != "body"
    ]


def takes_body(module: ModuleType) -> bool:
    return "body" in inspect.signature(module._get_kwargs).parameters


def assert_parsed(response, what: str) -> None:
    assert response.status_code == 200, f"{what}: {response.status_code} {response.content!r}"
    content_type = response.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        assert response.parsed is not None, what
        assert type(response.parsed).__name__ != "Error", what


@pytest.mark.django_db(transaction=True)
def test_the_generated_client_reads_every_answer_for_every_demo_customer(generated, live_server):
    call_command("seed_demo", "--force", verbosity=0)
    client_module = importlib.import_module(f"{PACKAGE}.client")
    ops = operations(generated)
    models = importlib.import_module(f"{PACKAGE}.models")
    anonymous = client_module.Client(base_url=live_server.url, raise_on_unexpected_status=True)

    for email in DEMO_CUSTOMERS:
        login = ops["auth_token_create"].sync_detailed(
            client=anonymous, body=models.TokenInputRequest(email=email, password=DEMO_PASSWORD)
        )
        assert_parsed(login, f"login as {email}")
        client = client_module.AuthenticatedClient(
            base_url=live_server.url, token=login.parsed.access, raise_on_unexpected_status=True
        )
        lists: dict[str, list] = {}
        for name, module in sorted(ops.items()):
            if required_parameters(module) or takes_body(module) or name in STREAMS:
                continue
            if module._get_kwargs(**{})["method"] != "get":
                continue
            response = module.sync_detailed(client=client)
            assert_parsed(response, f"{name} for {email}")
            items = getattr(response.parsed, "items", None)
            if isinstance(items, list):
                lists[name.split("_")[0]] = items
        # Detail reads, for every id the lists gave.
        for name, module in sorted(ops.items()):
            parameters = required_parameters(module)
            if len(parameters) != 1 or takes_body(module):
                continue
            kwargs_probe = module._get_kwargs(**{parameters[0]: 1})
            if kwargs_probe["method"] != "get":
                continue
            for item in lists.get(name.split("_")[0], []):
                response = module.sync_detailed(client=client, **{parameters[0]: item.id})
                if response.status_code == 409:
                    continue  # e.g. cancellation options of a subscription that has none
                assert_parsed(response, f"{name}({item.id}) for {email}")


@pytest.mark.django_db(transaction=True)
def test_the_generated_client_syncs_and_acts_on_notifications(generated, live_server):
    call_command("seed_demo", "--force", verbosity=0)
    client_module = importlib.import_module(f"{PACKAGE}.client")
    models = importlib.import_module(f"{PACKAGE}.models")
    ops = operations(generated)
    anonymous = client_module.Client(base_url=live_server.url, raise_on_unexpected_status=True)
    login = ops["auth_token_create"].sync_detailed(
        client=anonymous,
        body=models.TokenInputRequest(email="overdue@demo.example", password=DEMO_PASSWORD),
    )
    client = client_module.AuthenticatedClient(
        base_url=live_server.url, token=login.parsed.access, raise_on_unexpected_status=True
    )

    notify(
        user=User.objects.get(email="overdue@demo.example"),
        type="SYSTEM_ANNOUNCEMENT",
        source_id="generated-client",
        context=announcement_context(
            Announcement.objects.create(title="Maintenance", message="Tonight.")
        ),
    )
    first = ops["notifications_changes_retrieve"].sync_detailed(client=client)
    assert_parsed(first, "the first sync")
    target = next(item for item in first.parsed.items if item.source_id == "generated-client")

    read = ops["notifications_read_create"].sync_detailed(client=client, notification_id=target.id)
    assert_parsed(read, "mark read")
    assert read.parsed.read is True

    since = ops["notifications_changes_retrieve"].sync_detailed(
        client=client, after=first.parsed.next_after
    )
    assert_parsed(since, "the next sync")
    assert [item.id for item in since.parsed.items] == [target.id]
    assert since.parsed.items[0].read is True

    count = ops["notifications_unread_count_retrieve"].sync_detailed(client=client)
    assert_parsed(count, "the unread count")
