"""The contracts are consistent: keys unique, every query answerable, commands owned."""

from __future__ import annotations

import inspect
from typing import ClassVar
from uuid import uuid4

import pytest
from desk_contracts import Command, Envelope, Event, Message, Query, Request, RequestReply
from desk_contracts import messages as m
from desk_contracts.topology import QUERIES, REPLIES, SERVICES, SUBSCRIPTIONS, all_queues
from pydantic import ValidationError

# Every message the package exports; each lives in the module of the context owning it.
ALL_MESSAGES = [
    cls
    for cls in (getattr(m, name) for name in m.__all__)
    if inspect.isclass(cls) and issubclass(cls, (Event, Command, RequestReply))
]
ASKED = [cls for cls in ALL_MESSAGES if issubclass(cls, RequestReply)]

# The requests answered over request/reply that change the answering service's state.
CHANGING_STATE = {
    m.CreateIncident,
    m.AddEntry,
    m.ChangeStatus,
    m.UpdateIncident,
    m.RateIncident,
    m.SaveCategory,
    m.SaveCalendar,
    m.SaveContract,
    m.ChangeAgentProfile,
    m.AssignByHand,
    m.ReconcileLoads,
    m.SetNotificationPreferences,
    m.RetryNotification,
    m.ClaimQuota,
    m.CreateArticle,
    m.UpdateArticle,
    m.SuggestArticles,
    m.SuggestionFeedback,
    m.OpenArticle,
    m.CreateEquipment,
    m.UpdateEquipment,
    m.ImportEquipment,
    m.SetLeadTimes,
}


def test_routing_keys_are_unique() -> None:
    keys = [cls.ROUTING_KEY for cls in ALL_MESSAGES]
    assert all(keys)
    assert len(keys) == len(set(keys))


def test_every_query_has_a_reply_and_one_answering_service() -> None:
    answered = [q for queries in QUERIES.values() for q in queries]
    assert len(answered) == len(set(answered))
    for query in answered:
        assert issubclass(REPLIES[query], Message)


def test_every_query_and_request_declares_its_reply_on_its_class() -> None:
    assert ASKED
    for asked in ASKED:
        assert issubclass(asked, (Query, Request)), f"{asked.__name__} is neither"
        assert not (issubclass(asked, Query) and issubclass(asked, Request))
        assert inspect.isclass(asked.REPLY)
        assert issubclass(asked.REPLY, Message)
        assert not issubclass(asked.REPLY, RequestReply)
        assert REPLIES[asked] is asked.REPLY


def test_what_changes_state_is_a_request_and_the_rest_are_queries() -> None:
    assert {asked for asked in ASKED if issubclass(asked, Request)} == CHANGING_STATE
    answered = {q for queries in QUERIES.values() for q in queries}
    assert answered == set(ASKED)


def test_a_query_or_request_without_a_reply_is_refused_when_defined() -> None:
    with pytest.raises(TypeError, match="names no reply"):

        class Unanswerable(Query):  # type: ignore[type-arg]
            ROUTING_KEY: ClassVar[str] = "test.unanswerable"

    with pytest.raises(TypeError, match="is not a Message"):

        class WrongReply(Request[int]):  # type: ignore[type-var]
            ROUTING_KEY: ClassVar[str] = "test.wrong_reply"


def test_every_message_lives_in_the_module_of_its_context() -> None:
    contexts = {"identity", "intake", "sla", "routing", "notify", "knowledge", "assets"}
    for cls in ALL_MESSAGES:
        package, _, context = cls.__module__.rpartition(".")
        assert package == m.__name__, cls.__module__
        assert context in contexts, cls.__module__


def test_commands_have_exactly_one_consumer_and_topology_names_only_services() -> None:
    assert set(SUBSCRIPTIONS) == set(SERVICES)
    assert set(QUERIES) == set(SERVICES)
    consumers: dict[type[Message], list[str]] = {}
    for service, consumed in SUBSCRIPTIONS.items():
        for message in consumed:
            assert issubclass(message, (Event, Command))
            consumers.setdefault(message, []).append(service)
    for message, services in consumers.items():
        if issubclass(message, Command):
            assert len(services) == 1, f"{message.__name__} consumed by {services}"


def test_queue_names_are_unique_and_namespaced() -> None:
    names = [q.name for q in all_queues("ns")] + [
        q.dead_letters for q in all_queues("ns") if q.dead_letters
    ]
    assert len(names) == len(set(names))
    assert all(name.startswith("ns.") for name in names)


def test_envelope_round_trip_keeps_type_and_payload() -> None:
    payload = m.UpsertAgentProfile(agent_id=uuid4(), capacity=4)
    envelope = Envelope.wrap(payload, producer="test")
    assert envelope.type == "routing.agent.upsert"
    again = Envelope[m.UpsertAgentProfile].model_validate_json(envelope.model_dump_json())
    assert again == envelope


def test_unknown_fields_are_refused_with_their_name() -> None:
    with pytest.raises(ValidationError) as error:
        m.UpsertAgentProfile.model_validate({"agent_id": str(uuid4()), "capasity": 3})
    assert error.value.errors()[0]["loc"] == ("capasity",)


def test_category_codes_and_colours_are_validated() -> None:
    with pytest.raises(ValidationError):
        m.UpsertCategory(category_id=uuid4(), code="Bad Code", name="x")
    with pytest.raises(ValidationError):
        m.UpsertCategory(category_id=uuid4(), code="ok", name="x", colour="red")


def test_channel_terms_name_the_field_they_fail_on() -> None:
    from desk_contracts.enums import Channel, QuotaPolicy
    from desk_contracts.messages import ChannelTermsSpec
    from pydantic import ValidationError

    terms = ChannelTermsSpec(channel="email", per_month=15, policy="refuse")
    assert terms.channel is Channel.EMAIL
    assert terms.policy is QuotaPolicy.REFUSE
    assert ChannelTermsSpec(channel="onsite").per_month is None  # unlimited
    for bad, field in (
        ({"channel": "fax"}, "channel"),
        ({"channel": "chat", "per_month": -1}, "per_month"),
        ({"channel": "chat", "policy": "ignore"}, "policy"),
        ({"channel": "chat", "category_path": ["a", "b", "c", "d"]}, "category_path"),
    ):
        with pytest.raises(ValidationError) as raised:
            ChannelTermsSpec.model_validate(bad)
        assert raised.value.errors()[0]["loc"][0] == field


def test_the_channels_keep_their_values_and_gain_onsite_and_chat() -> None:
    from desk_contracts.enums import Channel

    assert [c.value for c in Channel] == ["portal", "api", "email", "phone", "onsite", "chat"]
