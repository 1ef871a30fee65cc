#!/usr/bin/env bash
# One cloud training job, inside the GPU image on the VM (cloud/train.sky.yaml runs it; so can a plain VM).
# Safe to run again after a preemption: it pulls what the bucket has and continues the run to its total epochs.
set -uo pipefail
: "${BUCKET:?set BUCKET to an rclone remote and path, such as s3:my-bucket/speech}"
RUN=${RUN:-cloud} DATASET=${DATASET:-sample} MAX_HOURS=${MAX_HOURS:-8} HOURLY_COST=${HOURLY_COST:-0}
PUSH_EVERY=${PUSH_EVERY:-600}

playbook doctor || exit 1
playbook sync pull "$BUCKET" "datasets/$DATASET" "runs/$RUN" || exit 1
[ -f "/data/datasets/$DATASET/train.csv" ] || { [ "$DATASET" = sample ] && playbook sample; }

# Checkpoints reach the bucket while training runs, so a preemption costs at most PUSH_EVERY seconds of work.
( while sleep "$PUSH_EVERY"; do playbook sync push "$BUCKET" "runs/$RUN" > /dev/null || true; done ) &
pusher=$!
playbook train --run "$RUN" --dataset "/data/datasets/$DATASET" --resume-if-exists \
  --set max_hours="$MAX_HOURS" --set hourly_cost="$HOURLY_COST"
code=$?
kill "$pusher" 2>/dev/null
playbook sync push "$BUCKET" "runs/$RUN" || exit 1
[ "$code" -eq 0 ] && playbook export --run "$RUN" && playbook sync push "$BUCKET" exports
exit "$code"
