"""Validate playbook/cloud/train.sky.yaml with SkyPilot's own parser, offline (no cloud account needed), and print
what it would ask for. Runs on the host, in the venv `make cloud-setup` makes (SkyPilot needs Python >= 3.9)."""
import json
import sys

import sky

PATH = sys.argv[1] if len(sys.argv) > 1 else "playbook/cloud/train.sky.yaml"

try:
    task = sky.Task.from_yaml(PATH)
except Exception as error:  # noqa: BLE001 -- SkyPilot's message names the field
    sys.exit("error: {}: {}".format(PATH, str(error).strip().splitlines()[0]))
resources = sorted(task.resources, key=str)
print(json.dumps({
    "task": task.name,
    "accelerators": sorted({name for r in resources for name in (r.accelerators or {})}),
    "use_spot": all(r.use_spot for r in resources),
    "disk_size": resources[0].disk_size,
    "autostop_down": all(r.autostop_config is not None and r.autostop_config.down for r in resources),
    "max_hourly_cost": getattr(resources[0], "max_hourly_cost", None),
    "envs": sorted(task.envs),
}, indent=2))
