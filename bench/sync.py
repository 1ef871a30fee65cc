"""`playbook sync` throughput against a real S3 server on loopback: rclone's `serve s3` over a folder of the
same container (the Cloud chapter's practice bucket), for the sample dataset (many small files) and a run
holding one checkpoint the size of a release model's (n_hidden 2048 with its Adam slots: about 565 MB).

    python bench/sync.py [--checkpoint-mb 565]      (or: make bench-sync)

Push (copy, then a checksum check of everything pushed) and pull (into an empty data folder), one run each;
figures to reports/bench-sync.json. Loopback measures playbook's and rclone's own cost, not a network.
"""
import argparse
import sys

import figures as bench_figures
from sample_container import sample_container

from harness.parsing import last_json_object

SERVE = ("mkdir -p /tmp/bucket && (rclone serve s3 /tmp/bucket --addr 127.0.0.1:8333 --auth-key benchkey1,benchsecret1 "
         "> /tmp/serve.log 2>&1 &) && until rclone lsd bench: >/dev/null 2>&1; do sleep 0.2; done && rclone mkdir bench:speech")
REMOTE = ("export RCLONE_CONFIG_BENCH_TYPE=s3 RCLONE_CONFIG_BENCH_PROVIDER=Rclone RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE=true "
          "RCLONE_CONFIG_BENCH_ENDPOINT=http://127.0.0.1:8333 RCLONE_CONFIG_BENCH_ACCESS_KEY_ID=benchkey1 "
          "RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY=benchsecret1 && ")
# A run folder shaped like a trained one: a checkpoint's three files and its state file.
MAKE_RUN = ("mkdir -p /data/runs/big/checkpoints && cd /data/runs/big/checkpoints && "
            "head -c {mb}M /dev/urandom > train-1000.data-00000-of-00001 && head -c 9K /dev/urandom > train-1000.index && "
            "head -c 3M /dev/urandom > train-1000.meta && printf 'model_checkpoint_path: \"train-1000\"\\n' > checkpoint")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint-mb", type=int, default=565, help="default: %(default)s")
    args = parser.parse_args()
    rows = []
    with sample_container("bench-sync") as box:
        box.run(["bash", "-c", MAKE_RUN.format(mb=args.checkpoint_mb)], "run", stream=False)
        box.run(["bash", "-c", REMOTE + SERVE], "serve", stream=False)
        for what in ("datasets", "runs"):
            for direction, environment in (("push", ""), ("pull", "PLAYBOOK_DATA=/tmp/another-machine ")):
                summary = last_json_object(box.run(["bash", "-c", f"{REMOTE}{environment}playbook sync {direction} bench:speech {what}"],
                                                   f"{direction} {what}", stream=False))
                row = summary["folders"][0]
                rows.append({"direction": direction, "folder": what, "objects": row["objects"], "mb": round(row["bytes"] / 1e6, 1),
                             "seconds": row["seconds"], "mb_per_second": round(row["bytes"] / 1e6 / row["seconds"], 1),
                             "verified": row.get("verified")})
    print("\n| direction | folder | objects | MB | seconds | MB/s | verified by checksum |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for row in rows:
        print(f"| {row['direction']} | {row['folder']} | {row['objects']} | {row['mb']} | {row['seconds']} | "
              f"{row['mb_per_second']} | {row['verified'] if row['verified'] is not None else ''} |")
    bench_figures.write("sync", {"checkpoint_mb": args.checkpoint_mb, "rows": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
