"""The AsyncAPI 3.0 document of `/ws/` (realtime/asyncapi.py): well formed, complete, and true.

Structure: the official AsyncAPI 3.0.0 JSON Schema (asyncapi/spec-json-schemas) is 360 KB and could
not be brought into this repository, so the rules of the 3.0.0 specification this document relies
on are checked here one by one: the required fields of each object, the allowed keys at the top,
component names, `$ref`s that resolve, operations whose messages are messages of their channel,
security schemes of a known type, and payloads that are valid JSON Schema (draft 7, which
AsyncAPI's default schema format extends).

Truth: every type of the catalogue is a message; and frames captured from real sockets (the real
ASGI app, a ticket, two users, services publishing) validate against the message of their type,
while a frame with a wrong field does not.
"""

from __future__ import annotations

import copy
import json
import re

import jsonschema
import pytest
import yaml
from channels.db import database_sync_to_async
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from collective.services.connections import connection_create
from collective.services.follows import follow_create
from realtime.asyncapi import CLIENT_FRAMES, CLOSE_CODES, build_document
from realtime.catalogue import CATALOGUE
from tests.factories import UserFactory

from .conftest import open_socket, send

DOC = build_document()
URI = "urn:collective:asyncapi"
COMPONENT_KEY = re.compile(r"^[\w\d.\-_]+$")
TOP_LEVEL = {"asyncapi", "id", "info", "servers", "defaultContentType", "channels", "operations", "components"}


def _resolve(ref: str) -> object:
    assert ref.startswith("#/"), ref
    node: object = DOC
    for part in ref[2:].split("/"):
        assert isinstance(node, dict) and part in node, f"{ref} does not resolve (at {part!r})"
        node = node[part]
    return node


def _refs(node: object) -> list[str]:
    if isinstance(node, dict):
        out = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return out + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def _validator(message_key: str) -> jsonschema.Draft7Validator:
    registry = Registry().with_resource(URI, Resource.from_contents(DOC, default_specification=DRAFT7))
    return jsonschema.Draft7Validator(
        {"$ref": f"{URI}#/components/messages/{message_key}/payload"},
        registry=registry,
        format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER,
    )


def validate_server_frame(frame: dict) -> None:
    _validator(f"server.{frame['type']}").validate(frame)


# --- structure -------------------------------------------------------------------------------


def test_top_level_and_info():
    assert DOC["asyncapi"] == "3.0.0"
    assert set(DOC) <= TOP_LEVEL
    info = DOC["info"]
    assert isinstance(info["title"], str) and info["title"]
    assert isinstance(info["version"], str) and info["version"]
    allowed = {"title", "version", "description", "termsOfService", "contact", "license", "tags", "externalDocs"}
    assert set(info) <= allowed
    assert info["externalDocs"]["url"].startswith("http")
    json.dumps(DOC)  # plain JSON data throughout


def test_servers_channel_and_security():
    for server in DOC["servers"].values():
        assert isinstance(server["host"], str) and server["protocol"] in ("ws", "wss")
        for requirement in server["security"]:
            _resolve(requirement["$ref"])
    schemes = DOC["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"httpApiKey"}
    assert {(s["name"], s["in"]) for s in schemes.values()} == {("ticket", "query"), ("sessionid", "cookie")}
    (channel,) = DOC["channels"].values()
    assert channel["address"] == "/ws/"
    query = channel["bindings"]["ws"]["query"]
    assert query["type"] == "object" and set(query["properties"]) == {"ticket", "last_event_id"}
    assert [c["code"] for c in channel["x-close-codes"]] == [c for c, _m, _a in CLOSE_CODES]
    assert {4401, 4408, 4409, 4429, 1009, 1013} <= {c for c, _m, _a in CLOSE_CODES}


def test_every_ref_resolves_and_component_names_are_legal():
    refs = _refs(DOC)
    assert len(refs) > 50
    for ref in refs:
        _resolve(ref)
    for kind, entries in DOC["components"].items():
        for key in entries:
            assert COMPONENT_KEY.match(key), f"components.{kind}.{key}"
    for key in DOC["channels"]["socket"]["messages"]:
        assert COMPONENT_KEY.match(key)


def test_operations_use_messages_of_their_channel():
    operations = DOC["operations"]
    assert {op["action"] for op in operations.values()} == {"send", "receive"}
    for op in operations.values():
        assert op["channel"] == {"$ref": "#/channels/socket"}
        for message in op["messages"]:
            # AsyncAPI 3: an operation's messages MUST be references to messages of its channel.
            assert message["$ref"].startswith("#/channels/socket/messages/"), message
            _resolve(message["$ref"])


def test_payloads_are_valid_json_schema():
    for key, message in DOC["components"]["messages"].items():
        assert message["contentType"] == "application/json"
        jsonschema.Draft7Validator.check_schema(message["payload"])
        assert message["payload"]["properties"]["type"]["const"] == message["name"], key
    for name, schema in DOC["components"]["schemas"].items():
        jsonschema.Draft7Validator.check_schema(schema)
        assert schema["type"] == "object", name


def test_every_catalogue_type_and_client_frame_is_a_message():
    messages = DOC["components"]["messages"]
    send_op = {m["$ref"].rsplit("/", 1)[1] for m in DOC["operations"]["sendServerFrames"]["messages"]}
    receive_op = {m["$ref"].rsplit("/", 1)[1] for m in DOC["operations"]["receiveClientFrames"]["messages"]}
    assert send_op == {f"server.{spec.type}" for spec in CATALOGUE}
    assert receive_op == {"client.ping", "client.resume", "client.typing", "client.read", "client.presence.query"}
    assert receive_op == {f"client.{f[0]}" for f in CLIENT_FRAMES}
    for spec in CATALOGUE:
        payload = messages[f"server.{spec.type}"]["payload"]
        assert payload["required"] == ["id", "type", "ts", "data"]
        assert payload["properties"]["id"]["type"] == ("integer" if spec.durable else "null")


def test_served_as_json_and_yaml_and_not_in_the_openapi_schema(client):
    response = client.get("/api/asyncapi/")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    served = response.json()
    assert served["asyncapi"] == "3.0.0"
    assert served["servers"]["default"]["host"] == "testserver"
    assert served["components"]["messages"] == DOC["components"]["messages"]
    as_yaml = client.get("/api/asyncapi/?format=yaml")
    assert as_yaml.status_code == 200 and as_yaml["Content-Type"].startswith("application/yaml")
    assert yaml.safe_load(as_yaml.content) == served
    assert client.post("/api/asyncapi/").status_code == 405
    openapi = client.get("/api/schema/?format=json").json()
    assert not [p for p in openapi["paths"] if "asyncapi" in p]


# --- truth: frames from real sockets ---------------------------------------------------------


async def _drain(comm, quiet: float = 0.4) -> list[dict]:
    # receive_nothing, not a timed-out receive: the communicator cancels the app on a timeout.
    frames = []
    while not await comm.receive_nothing(timeout=quiet):
        frames.append(await comm.receive_json_from(timeout=3))
    return frames


@pytest.mark.django_db(transaction=True)
async def test_frames_of_a_real_session_validate_against_the_document():
    a, b = [await database_sync_to_async(UserFactory)() for _ in range(2)]
    a_sock, a_hello = await open_socket(a)
    b_sock, b_hello = await open_socket(b)
    captured = [a_hello, b_hello]

    connection = await database_sync_to_async(connection_create)(
        initiator=a, responder=b, connection_type="direct", initial_message="Could you look at my prompt library?"
    )
    await database_sync_to_async(follow_create)(follower=b, following=a)
    thread_id = await database_sync_to_async(lambda: connection.dm_thread_id)()
    await send(a_sock, {"type": "ping"})
    await send(a_sock, {"type": "typing", "thread": thread_id, "state": "start"})
    await send(a_sock, {"type": "presence.query", "users": [b.pk]})
    await send(a_sock, {"type": "nonsense"})
    await send(a_sock, {"type": "resume", "last_event_id": 0})
    await send(b_sock, {"type": "resume", "last_event_id": 10**6})
    captured += await _drain(a_sock) + await _drain(b_sock)
    for comm in (a_sock, b_sock):
        await comm.disconnect()

    types_seen = {f["type"] for f in captured}
    expected = {
        "hello",
        "connection.created",
        "message.created",
        "follow.created",
        "pong",
        "typing",
        "presence.state",
        "error",
        "resumed",
        "resync_required",
    }
    assert expected <= types_seen, expected - types_seen
    for frame in captured:
        validate_server_frame(frame)

    # The schemas are strict: a frame the catalogue would refuse fails here too.
    created = next(f for f in captured if f["type"] == "connection.created")
    broken = copy.deepcopy(created)
    del broken["data"]["connection"]["status"]
    with pytest.raises(jsonschema.ValidationError):
        validate_server_frame(broken)
    extra = copy.deepcopy(created)
    extra["data"]["surprise"] = 1
    with pytest.raises(jsonschema.ValidationError):
        validate_server_frame(extra)
    ephemeral_with_id = {**next(f for f in captured if f["type"] == "pong"), "id": 3}
    with pytest.raises(jsonschema.ValidationError):
        validate_server_frame(ephemeral_with_id)


def test_client_frames_the_document_allows_are_frames_the_consumer_accepts():
    good = {
        "client.ping": {"type": "ping"},
        "client.resume": {"type": "resume", "last_event_id": 0},
        "client.typing": {"type": "typing", "thread": 1, "state": "stop"},
        "client.read": {"type": "read", "thread": 1, "message": 2},
        "client.presence.query": {"type": "presence.query", "users": [1, 2]},
    }
    for key, frame in good.items():
        _validator(key).validate(frame)
    bad = {
        "client.resume": {"type": "resume", "last_event_id": -1},
        "client.typing": {"type": "typing", "thread": 1, "state": "maybe"},
        "client.presence.query": {"type": "presence.query", "users": list(range(201))},
    }
    for key, frame in bad.items():
        with pytest.raises(jsonschema.ValidationError):
            _validator(key).validate(frame)
