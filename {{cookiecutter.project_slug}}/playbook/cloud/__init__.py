"""Training on a rented GPU (docs/cloud.md): the data volume's datasets, runs and exports kept in a bucket (sync),
and the SkyPilot task that runs one training job on a spot VM (train.sky.yaml, job.sh, check_task.py; SkyPilot
itself runs on the host, from requirements.txt). A run's budget (max_hours) is a training setting:
playbook/training/budget.py."""
