"""Offline validation of deploy/: run with .venv/deploy/bin/python (scripts/setup-deploy-tools.sh makes it).

- Kubernetes core kinds (Deployment, Service, PodDisruptionBudget, PersistentVolumeClaim): against the
  Kubernetes OpenAPI schemas that kubernetes-validate ships, strict (an unknown field is an error).
- KServe kinds (ServingRuntime, InferenceService): against the kserve SDK's models, which are generated from the
  KServe CRDs' OpenAPI: every key must be a field of its model (recursively, into the Kubernetes types they
  embed, such as V1Container), and the generated constructors must accept the values (required fields, enums).
- The Dockerfile: hadolint, failing on warnings.
- Project checks: probes are gRPC probes on a declared container port; the liveness probe asks the health name
  that stays SERVING until exit (--liveness-service, given by the test) and the readiness probe does not (a
  liveness probe on readiness would restart pods that are draining or waiting for a model); containers run as
  non-root, and every `luab serve` flag in a container's args is one the server knows (--serve-flags).

Prints one line per problem and exits 1 when there is any; exits 0 and prints what was checked otherwise.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

import kubernetes.client
import kubernetes_validate
import yaml

import kserve

KUBERNETES_VERSION = "1.33.0"
KSERVE_KINDS = {
    ("serving.kserve.io/v1alpha1", "ServingRuntime"): "V1alpha1ServingRuntime",
    ("serving.kserve.io/v1beta1", "InferenceService"): "V1beta1InferenceService",
}


def model_class(name: str):
    """A model class of the kserve SDK or the Kubernetes client by name, or None for a primitive type."""
    for module in (kserve, kubernetes.client):
        cls = getattr(module, name, None)
        if cls is not None and hasattr(cls, "openapi_types"):
            return cls
    return None


def check_fields(value, type_name: str, path: str, problems: list[str]) -> None:
    """Every key of `value` is a field of `type_name` (the SDK's type string), recursively."""
    list_match = re.fullmatch(r"(?:list|List)\[(.+)\]", type_name)
    dict_match = re.fullmatch(r"(?:dict\(str, (.+)\)|Dict\[str, (.+)\])", type_name)
    if list_match:
        if not isinstance(value, list):
            problems.append(f"{path}: expected a list, got {type(value).__name__}")
            return
        for i, item in enumerate(value):
            check_fields(item, list_match.group(1), f"{path}[{i}]", problems)
        return
    if dict_match:
        if not isinstance(value, dict):
            problems.append(f"{path}: expected a map, got {type(value).__name__}")
            return
        inner = dict_match.group(1) or dict_match.group(2)
        for key, item in value.items():
            check_fields(item, inner, f"{path}.{key}", problems)
        return
    cls = model_class(type_name)
    if cls is None:
        return  # str, int, bool, object, datetime: the constructors check what they can
    if not isinstance(value, dict):
        problems.append(f"{path}: expected an object ({type_name}), got {type(value).__name__}")
        return
    by_key = {key: attr for attr, key in cls.attribute_map.items()}
    for key, item in value.items():
        if key not in by_key:
            problems.append(f"{path}.{key}: not a field of {type_name}")
            continue
        check_fields(item, cls.openapi_types[by_key[key]], f"{path}.{key}", problems)


def build(value, type_name: str):
    """The SDK object for `value`, made by the generated constructors, which check required fields and enums."""
    list_match = re.fullmatch(r"(?:list|List)\[(.+)\]", type_name)
    dict_match = re.fullmatch(r"(?:dict\(str, (.+)\)|Dict\[str, (.+)\])", type_name)
    if list_match:
        return [build(item, list_match.group(1)) for item in value]
    if dict_match:
        inner = dict_match.group(1) or dict_match.group(2)
        return {key: build(item, inner) for key, item in value.items()}
    cls = model_class(type_name)
    if cls is None:
        return value
    by_key = {key: attr for attr, key in cls.attribute_map.items()}
    return cls(**{by_key[key]: build(item, cls.openapi_types[by_key[key]]) for key, item in value.items()})


def validate_kserve(doc: dict, class_name: str, where: str, problems: list[str]) -> None:
    before = len(problems)
    check_fields(doc, class_name, where, problems)
    if len(problems) > before:
        return
    try:
        build(doc, class_name)
    except (ValueError, TypeError) as error:
        problems.append(f"{where}: the kserve SDK refuses it: {' '.join(str(error).split())}")


def containers_of(doc: dict) -> list[dict]:
    spec = doc.get("spec", {})
    if doc.get("kind") == "Deployment":
        return spec.get("template", {}).get("spec", {}).get("containers", [])
    if doc.get("kind") == "ServingRuntime":
        return spec.get("containers", [])
    return []


def project_checks(
    doc: dict, where: str, serve_flags: set[str], liveness_service: str, problems: list[str]
) -> None:
    pod_security = doc.get("spec", {}).get("template", {}).get("spec", {}).get("securityContext", {})
    for i, container in enumerate(containers_of(doc)):
        at = f"{where} container {container.get('name', i)}"
        ports = {p.get("containerPort") for p in container.get("ports", [])}
        for probe in ("readinessProbe", "livenessProbe"):
            spec = container.get(probe)
            if not spec or "grpc" not in spec:
                problems.append(f"{at}: {probe} must be a grpc probe (the gRPC health service)")
            elif spec["grpc"].get("port") not in ports:
                problems.append(f"{at}: {probe} port {spec['grpc'].get('port')} is not a container port {ports}")
            elif probe == "livenessProbe" and spec["grpc"].get("service", "") != liveness_service:
                problems.append(
                    f"{at}: livenessProbe asks health service {spec['grpc'].get('service', '')!r}, which is readiness "
                    f"(NOT_SERVING while draining or with no model ready); liveness is {liveness_service!r}"
                )
            elif probe == "readinessProbe" and spec["grpc"].get("service", "") == liveness_service:
                problems.append(f"{at}: readinessProbe asks {liveness_service!r}, the liveness name (never not ready)")
        security = container.get("securityContext", {})
        if not (security.get("runAsNonRoot") or pod_security.get("runAsNonRoot")):
            problems.append(f"{at}: runAsNonRoot is not set")
        if serve_flags:
            for arg in container.get("args", []):
                flag = arg.split("=", 1)[0]
                if flag.startswith("--") and flag not in serve_flags:
                    problems.append(f"{at}: `luab serve` has no flag {flag}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, help="manifests (default: deploy/**/*.yaml)")
    parser.add_argument("--dockerfile", type=Path, default=None)
    parser.add_argument("--serve-flags", default="", help="comma-separated flags of `luab serve`")
    parser.add_argument(
        "--liveness-service", required=True, help="the gRPC health name for liveness (grpc-server.ts)"
    )
    args = parser.parse_args()
    root = Path(__file__).resolve().parent.parent
    files = args.files or sorted((root / "deploy").glob("**/*.yaml"))
    dockerfile = args.dockerfile or (root / "deploy" / "Dockerfile")
    serve_flags = {f for f in args.serve_flags.split(",") if f}

    problems: list[str] = []
    checked: list[str] = []
    for path in files:
        for index, doc in enumerate(yaml.safe_load_all(path.read_text())):
            if doc is None:
                continue
            where = f"{path.name}#{index} {doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
            before = len(problems)
            kserve_class = KSERVE_KINDS.get((doc.get("apiVersion"), doc.get("kind")))
            if kserve_class:
                validate_kserve(doc, kserve_class, where, problems)
                kind = f"kserve SDK {kserve_class}"
            else:
                try:
                    kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
                except kubernetes_validate.ValidationError as error:
                    problems.append(f"{where}: {'.'.join(map(str, error.path))}: {error.message}")
                except kubernetes_validate.SchemaNotFoundError as error:
                    problems.append(f"{where}: no schema for this kind: {error}")
                kind = f"Kubernetes {KUBERNETES_VERSION} schema, strict"
            project_checks(doc, where, serve_flags, args.liveness_service, problems)
            if len(problems) == before:
                checked.append(f"{where} ({kind}; probes, non-root, serve flags)")

    hadolint = Path(sys.executable).parent / "hadolint"
    result = subprocess.run(
        [str(hadolint), "--no-color", "--failure-threshold", "warning", str(dockerfile)], capture_output=True, text=True
    )
    if result.returncode != 0:
        problems.extend(f"{dockerfile.name}: {line}" for line in (result.stdout + result.stderr).splitlines())
    else:
        checked.append(f"{dockerfile.name} (hadolint)")

    for line in problems:
        print(f"problem: {line}")
    for line in checked:
        print(f"checked: {line}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
