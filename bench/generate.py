#!/usr/bin/env python3
"""Generate a synthetic, deterministic paved monorepo for benchmarks.

    bench/generate.py OUT_DIR --services N [--seed S]

N services across N/10 teams (at least one), with a mix of resource types, shared
databases, dependencies (always acyclic), SLOs and per-environment overrides. The same
arguments always give byte-identical files.
"""

import argparse
import hashlib
import os
import random
import shutil

PAVED_YAML = """\
apiVersion: paved.dev/v1
kind: Platform
output: generated
environments:
  dev:
    cluster: dev-eu-1
    domain: dev.bench.example
    ingressHostname: ingress.dev.bench.example
    kafka: {bootstrapServers: ["kafka-1.dev.bench.example:9098"]}
    cloud: {account: "111111111111", region: eu-west-1}
  staging:
    cluster: staging-eu-1
    domain: staging.bench.example
    ingressHostname: ingress.staging.bench.example
    kafka: {bootstrapServers: ["kafka-1.staging.bench.example:9098"]}
    cloud: {account: "222222222222", region: eu-west-1}
  prod:
    production: true
    cluster: prod-eu-1
    domain: bench.example
    ingressHostname: ingress.bench.example
    kafka: {bootstrapServers: ["kafka-1.bench.example:9098"]}
    cloud: {account: "333333333333", region: eu-west-1}
registries: [ghcr.io/bench/]
"""

TEAM = """\
apiVersion: paved.dev/v1
kind: Team
metadata:
  name: {name}
  displayName: Team {index}
  description: Owns a slice of the synthetic benchmark services.
spec:
  email: {name}@bench.example
  chat: {{channel: "#{name}"}}
  members:
    - {{name: {name}-lead, email: {name}-lead@bench.example, role: lead}}
    - {{name: {name}-dev, email: {name}-dev@bench.example}}
  oncall: {{schedule: {name}-primary, url: "https://pager.bench.example/{name}"}}
"""

RESOURCES = {
    "postgres": "      type: postgres\n      params: {{version: \"16\", storageGb: {storage}}}\n",
    "redis": "      type: redis\n      params: {{version: \"7.1\"}}\n",
    "bucket": "      type: bucket\n      params: {{versioning: true}}\n",
    "queue": "      type: queue\n      params: {{visibilityTimeoutSeconds: 60}}\n",
    "kafka-topic": "      type: kafka-topic\n      params: {{partitions: {partitions}}}\n",
}

ENV_FOR = {
    "postgres": ("DATABASE_HOST", "host"),
    "redis": ("CACHE_HOST", "host"),
    "bucket": ("BUCKET", "bucket"),
    "queue": ("QUEUE_URL", "url"),
    "kafka-topic": ("TOPIC", "name"),
}


def service(rng, index, names, teams):
    name = names[index]
    kind = rng.choice(["api", "api", "web", "worker"])
    lines = [
        "apiVersion: paved.dev/v1",
        "kind: Service",
        "metadata:",
        f"  name: {name}",
        f"  owner: {teams[index % len(teams)]}",
        f"  system: system-{index % 50}",
        f"  tier: {rng.randint(1, 4)}",
        f"  description: Synthetic service number {index} for benchmarks.",
        "  links:",
        f"    - {{title: Runbook, url: \"https://runbooks.bench.example/{name}\", type: runbook}}",
        "  tags: [bench, synthetic]",
        "spec:",
        f"  type: {kind}",
        f"  image: ghcr.io/bench/{name}:1.{index % 17}.{index % 5}",
    ]
    if kind != "worker":
        lines += [
            "  ports:",
            "    - {name: http, port: 8080}",
            "    - {name: metrics, port: 9090}",
            "  probes:",
            "    liveness: {path: /healthz, port: http}",
            "    readiness: {path: /ready, port: http}",
        ]
    lines.append(f"  size: {rng.choice(['xsmall', 'small', 'medium', 'large'])}")
    replicas = None
    if rng.random() < 0.5:
        lines += ["  autoscaling:", "    min: 2", f"    max: {rng.randint(3, 20)}", "    cpu: 70"]
    else:
        replicas = rng.randint(1, 4)
        lines.append(f"  replicas: {replicas}")
    kinds = rng.sample(sorted(RESOURCES), rng.randint(0, 3))
    env = {"LOG_LEVEL": "info", "SERVICE_NAME": "${metadata.name}"}
    resources = []
    for kind_name in kinds:
        resource_name = kind_name.replace("-", "")
        resources.append(f"    {resource_name}:\n")
        if kind_name == "postgres" and index % 7 in (0, 1):
            # A database shared by neighbours, declared identically.
            resources.append(f"      id: shared-db-{index // 7}\n")
            resources.append(RESOURCES[kind_name].format(storage=50, partitions=3))
        else:
            resources.append(
                RESOURCES[kind_name].format(storage=rng.choice([20, 50, 100]), partitions=rng.choice([3, 6, 12]))
            )
        var, output = ENV_FOR[kind_name]
        env[var] = f"${{resources.{resource_name}.{output}}}"
    lines.append("  env:")
    lines += [f"    {k}: \"{v}\"" for k, v in sorted(env.items())]
    if rng.random() < 0.3:
        lines += ["  secrets:", f"    API_TOKEN: {{ref: {name}/api, key: token}}"]
    if index > 0:
        deps = sorted(set(rng.sample(range(max(0, index - 50), index), min(index, rng.randint(0, 3)))))
        if deps:
            lines.append("  dependencies: [" + ", ".join(names[d] for d in deps) + "]")
    if kind != "worker":
        lines += [
            "  expose:",
            f"    visibility: {'public' if kind == 'web' else 'internal'}",
        ]
        if kind == "web":
            lines.append(f"    host: {name}.bench.example")
        lines += [
            "  slos:",
            f"    availability: {{target: {rng.choice([99.0, 99.5, 99.9])}}}",
            f"    latency: {{threshold: {rng.choice(['200ms', '300ms', '1s'])}, target: 99}}",
        ]
    if resources:
        lines.append("  resources:")
        lines.append("".join(resources).rstrip("\n"))
    digest = hashlib.sha256(name.encode()).hexdigest()
    lines += [
        "  environments:",
        "    dev:",
        "      size: xsmall",
        "    prod:",
        "      size: large",
        f"      image: ghcr.io/bench/{name}:1.{index % 17}.{index % 5}@sha256:{digest}",
    ]
    if replicas is not None and replicas < 2:
        lines.append("      replicas: 2")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--services", type=int, required=True)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    if os.path.exists(args.out):
        shutil.rmtree(args.out)
    os.makedirs(os.path.join(args.out, "teams"))
    teams = [f"team-{i:04d}" for i in range(max(1, args.services // 10))]
    names = [f"svc-{i:05d}" for i in range(args.services)]
    with open(os.path.join(args.out, "paved.yaml"), "w") as f:
        f.write(PAVED_YAML)
    for index, team in enumerate(teams):
        with open(os.path.join(args.out, "teams", f"{team}.yaml"), "w") as f:
            f.write(TEAM.format(name=team, index=index))
    for index, name in enumerate(names):
        directory = os.path.join(args.out, "services", name)
        os.makedirs(directory)
        with open(os.path.join(directory, "service.yaml"), "w") as f:
            f.write(service(rng, index, names, teams))


if __name__ == "__main__":
    main()
