"""deploy/k8s renders (kubectl's kustomize, installed from PyPI) into resources that are
valid against the Kubernetes schemas, and that agree with the code: every service, its
entry point, probe paths and ports, and every setting."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from desk_contracts.topology import SERVICES
from desk_runtime.health import health_routes
from desk_runtime.service import Service
from desk_runtime.settings import DeskSettings, broker_urls, service_url_variable

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
OVERLAYS = sorted(p.name for p in (K8S / "overlays").iterdir() if p.is_dir())
KUBERNETES_VERSION = "1.37.0"
# Resources of operators installed beside the desk, not in the Kubernetes schemas.
CUSTOM = {"rabbitmq.com/v1beta1": "RabbitmqCluster", "postgresql.cnpg.io/v1": "Cluster"}
# Settings the manifests leave at their defaults on purpose.
NOT_IN_MANIFESTS = {
    "template_dir": "operators' mail templates: mount a folder and set it when there are any",
    "postgres_urls": "one DESK_POSTGRES_URL_<SERVICE> per service, set by the clustered overlay",
    # Polling a mailbox is the alternative to the listener, for sites without a mail
    # server that can hand mail over; set with its credentials in a Secret when wanted.
    "imap_url": "optional IMAP polling, instead of the inbound listener",
    "imap_user": "optional IMAP polling (with imap_url)",
    "imap_password": "optional IMAP polling (with imap_url), from a Secret",
    "imap_folder": "optional IMAP polling (with imap_url)",
    "imap_done_folder": "optional IMAP polling (with imap_url)",
    "imap_poll_seconds": "optional IMAP polling (with imap_url)",
}
SECRETS = "desk-secrets"


@cache
def render(overlay: str) -> tuple[dict[str, Any], ...]:
    kubectl = Path(sys.executable).parent / "kubectl"
    out = subprocess.run(
        [str(kubectl), "kustomize", str(K8S / "overlays" / overlay)],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    return tuple(doc for doc in yaml.safe_load_all(out) if doc)


def of_kind(docs: tuple[dict[str, Any], ...], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def container(deployment: dict[str, Any]) -> dict[str, Any]:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    found: dict[str, Any] = containers[0]
    return found


def config_map(docs: tuple[dict[str, Any], ...]) -> dict[str, str]:
    data: dict[str, str] = of_kind(docs, "ConfigMap")["desk-config"]["data"]
    return data


def variables(docs: tuple[dict[str, Any], ...], service: str) -> list[str]:
    return [e["name"] for e in container(of_kind(docs, "Deployment")[service])["env"]]


def test_there_is_a_single_node_and_a_clustered_overlay() -> None:
    assert {"single-node", "clustered"} <= set(OVERLAYS)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_resource_is_valid_against_the_kubernetes_schemas(overlay: str) -> None:
    docs = render(overlay)
    checked = 0
    for doc in docs:
        if CUSTOM.get(doc["apiVersion"]) == doc["kind"]:
            continue
        # Raises on anything invalid, unknown fields included (strict).
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        checked += 1
    assert checked == len(docs) - sum(CUSTOM.get(d["apiVersion"]) == d["kind"] for d in docs)
    assert {d["metadata"].get("namespace") for d in docs} == {"desk"}
    # No secret values in the manifests: secrets are only referred to.
    assert "Secret" not in {d["kind"] for d in docs}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_service_runs_its_entry_point_with_probes_the_code_serves(overlay: str) -> None:
    docs = render(overlay)
    deployments = of_kind(docs, "Deployment")
    assert set(deployments) == set(SERVICES)
    config = config_map(docs)
    for service, deployment in deployments.items():
        spec = container(deployment)
        module = spec["command"][-1]
        assert spec["command"] == ["python", "-m", module]
        assert importlib.util.find_spec(f"{module}.__main__") is not None, service
        # The port the probes use is the one the service listens on with this config.
        settings = DeskSettings(**{k.removeprefix("DESK_").lower(): v for k, v in config.items()})
        ports = {p["name"]: p["containerPort"] for p in spec["ports"]}
        served = {
            path
            for route in health_routes(Service(service, settings=settings))
            for path in route.paths
        }
        for probe, path in (
            ("readinessProbe", "/readyz"),
            ("livenessProbe", "/healthz"),
            ("startupProbe", "/healthz"),
        ):
            get = spec[probe]["httpGet"]
            assert get["path"] == path, (service, probe)
            assert path in served
            assert ports[get["port"]] == settings.service_port(service), (service, probe)
        requests = spec["resources"]["requests"]
        assert {"cpu", "memory"} <= set(requests), service


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_service_has_a_disruption_budget_and_a_cpu_autoscaler(overlay: str) -> None:
    docs = render(overlay)
    budgets, scalers = (
        of_kind(docs, "PodDisruptionBudget"),
        of_kind(docs, "HorizontalPodAutoscaler"),
    )
    for service, deployment in of_kind(docs, "Deployment").items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        selector = budgets[service]["spec"]["selector"]["matchLabels"]
        assert selector.items() <= labels.items(), service
        scaler = scalers[service]["spec"]
        assert scaler["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": service,
        }
        assert [m["resource"]["name"] for m in scaler["metrics"]] == ["cpu"]
        assert 1 <= scaler["minReplicas"] <= scaler["maxReplicas"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_gateway_is_reached_through_its_service_and_ingress(overlay: str) -> None:
    docs = render(overlay)
    service = of_kind(docs, "Service")["portal-gateway"]
    gateway = of_kind(docs, "Deployment")["portal-gateway"]
    labels = gateway["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    (port,) = service["spec"]["ports"]
    assert port["targetPort"] in {p["name"] for p in container(gateway)["ports"]}
    (rule,) = of_kind(docs, "Ingress")["portal-gateway"]["spec"]["rules"]
    backend = rule["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "portal-gateway", "port": {"name": port["name"]}}


def _setting_of(variable: str) -> str | None:
    """The settings field a DESK_* variable sets, or None when there is none."""
    fields = DeskSettings.names()
    name = variable.removeprefix("DESK_").lower()
    if name in fields and name not in NOT_IN_MANIFESTS:
        return name
    if any(variable == service_url_variable(s) for s in SERVICES):
        return "postgres_urls"
    return None


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_variable_is_a_setting_and_every_setting_is_in_the_manifests(overlay: str) -> None:
    docs = render(overlay)
    named = set(config_map(docs))
    for service in SERVICES:
        named |= {v for v in variables(docs, service) if v.startswith("DESK_")}
    unknown = sorted(v for v in named if _setting_of(v) is None)
    assert unknown == [], f"variables no setting reads: {unknown}"
    fields = {f for f in DeskSettings.names() if f not in NOT_IN_MANIFESTS}
    covered = {_setting_of(v) for v in named}
    if all(service_url_variable(s) in named for s in SERVICES):
        covered.add("postgres_url")  # every service has a server of its own
    missing = sorted(fields - covered)
    assert missing == [], (
        f"settings without a manifest entry (add them to deploy/k8s, or to NOT_IN_MANIFESTS "
        f"with the reason): {['DESK_' + m.upper() for m in missing]}"
    )
    # Nothing secret sits in the ConfigMap, and the Secret's keys are the variables' names.
    assert not {"DESK_AMQP_URL", "DESK_POSTGRES_URL"} & set(config_map(docs))
    for service in SERVICES:
        for entry in container(of_kind(docs, "Deployment")[service])["env"]:
            ref = entry.get("valueFrom", {}).get("secretKeyRef")
            assert ref is not None or "$(" in entry.get("value", "$("), entry
            if ref is not None and ref["name"] == SECRETS:
                assert ref["key"] == entry["name"]


def test_the_clustered_overlay_puts_each_service_on_its_own_postgres() -> None:
    docs = render("clustered")
    clusters = of_kind(docs, "Cluster")
    for service in SERVICES:
        env = {e["name"]: e for e in container(of_kind(docs, "Deployment")[service])["env"]}
        assert "DESK_POSTGRES_URL" not in env
        own = env[service_url_variable(service)]["valueFrom"]["secretKeyRef"]
        # CloudNativePG's application Secret of the service's own cluster.
        assert own == {"name": f"desk-{service}-db-app", "key": "uri"}
        cluster = clusters[f"desk-{service}-db"]["spec"]
        assert cluster["instances"] >= 2
        assert cluster["bootstrap"]["initdb"]["database"] == f"desk_{service.replace('-', '_')}"
    assert len(clusters) == len(SERVICES)


def test_the_clustered_overlay_lists_the_three_rabbitmq_nodes() -> None:
    docs = render("clustered")
    (rabbit,) = of_kind(docs, "RabbitmqCluster").values()
    assert rabbit["spec"]["replicas"] == 3
    assert "default_queue_type = quorum" in rabbit["spec"]["rabbitmq"]["additionalConfig"]
    name = rabbit["metadata"]["name"]
    for service in SERVICES:
        env = container(of_kind(docs, "Deployment")[service])["env"]
        names = [e["name"] for e in env]
        url = next(e["value"] for e in env if e["name"] == "DESK_AMQP_URL")
        # Kubernetes expands $(VAR) only from variables defined before it.
        for variable in re.findall(r"\$\(([A-Z_]+)\)", url):
            assert names.index(variable) < names.index("DESK_AMQP_URL")
        expanded = re.sub(r"\$\(([A-Z_]+)\)", "x", url)
        hosts = [u.split("@")[1].split(":")[0] for u in broker_urls(expanded)]
        assert hosts == [f"{name}-server-{i}.{name}-nodes" for i in range(3)]


def test_the_schema_check_refuses_what_kubernetes_would() -> None:
    budget = of_kind(render("single-node"), "PodDisruptionBudget")["intake"]
    broken = {**budget, "spec": {**budget["spec"], "minAvailabel": 1}}
    with pytest.raises(kubernetes_validate.ValidationError, match="minAvailabel"):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)
