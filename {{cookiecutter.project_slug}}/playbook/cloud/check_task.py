"""Validate SkyPilot task files (playbook/cloud/*.sky.yaml) with SkyPilot's own parser, offline (no cloud account
needed), and print what each would ask for, one JSON object per file. Runs on the host, in the venv
`make cloud-setup` makes (SkyPilot needs Python >= 3.9).

    check_task.py [TASK.sky.yaml ...]     (default: playbook/cloud/train.sky.yaml)"""
import json
import sys

import sky
import yaml


def check(path):
    # Before SkyPilot's parser, which may not know a TPU offline: neither engine trains on one (docs/cloud.md).
    with open(path) as handle:
        config = yaml.safe_load(handle) or {}
    asked = config.get("resources") or {}
    accelerators = asked.get("accelerators") or {}
    names = [accelerators] if isinstance(accelerators, str) else list(accelerators)
    tpus = [name.split(":")[0] for name in names if name.lower().startswith("tpu")]
    if tpus:
        sys.exit("error: {}: {} is a TPU, and neither training engine runs on one (docs/cloud.md, \"Choosing a GPU\"); "
                 "ask for a GPU such as L4, A10G or A100.".format(path, ", ".join(tpus)))
    try:
        task = sky.Task.from_yaml(path)
    except Exception as error:  # noqa: BLE001 -- SkyPilot's message names the field
        sys.exit("error: {}: {}".format(path, str(error).strip().splitlines()[0]))
    resources = sorted(task.resources, key=str)
    print(json.dumps({
        "task": task.name,
        "accelerators": sorted({name for r in resources for name in (r.accelerators or {})}),
        "use_spot": all(r.use_spot for r in resources),
        "disk_size": resources[0].disk_size,
        "autostop_down": all(r.autostop_config is not None and r.autostop_config.down for r in resources),
        "max_hourly_cost": getattr(resources[0], "max_hourly_cost", None),
        "envs": sorted(task.envs),
        # Named in the file, given at launch (--secret): SkyPilot keeps their values out of its logs and dashboard.
        "secrets": sorted((config.get("secrets") or {})),
    }, indent=2))


for path in sys.argv[1:] or ["playbook/cloud/train.sky.yaml"]:
    check(path)
