"""The machine a run trains on (docs/environment.md, and docs/cloud.md for a rented one): whether it will train
and on what (doctor), and whether its GPUs are kept busy while it does (gpu)."""
