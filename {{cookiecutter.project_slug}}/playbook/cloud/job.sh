#!/usr/bin/env bash
# One cloud training job, inside the GPU image on the VM (train.sky.yaml beside it runs it; so can a plain VM,
# docs/cloud.md). Safe to run again after a preemption, on a new VM or on one whose /data disk survived: it
# pulls what the bucket has newer than the disk (sync pull --update) and continues the run to its total epochs. Exits with training's code: 0 done, 75 the run's budget is spent (do not restart).
#   BUCKET       an rclone remote and path, such as s3:my-bucket/speech (required)
#   RUN          the run's name (default cloud); DATASET a folder under /data/datasets (default sample)
#   FROM         a run in the bucket to fine-tune from (a released checkpoint imported and pushed); empty: train afresh
#   EPOCHS       the run's total epochs (default: playbook.toml's); MAX_HOURS, MAX_COST (USD at HOURLY_COST an hour; 0: none) its budget
#   PUSH_EVERY   seconds between pushes of the run while it trains (default 600)
set -uo pipefail
: "${BUCKET:?set BUCKET to an rclone remote and path, such as s3:my-bucket/speech}"
RUN=${RUN:-cloud} DATASET=${DATASET:-sample} FROM=${FROM:-} EPOCHS=${EPOCHS:-} MAX_HOURS=${MAX_HOURS:-0} MAX_COST=${MAX_COST:-0} HOURLY_COST=${HOURLY_COST:-0}
PUSH_EVERY=${PUSH_EVERY:-600}

playbook doctor || exit 1
playbook sync pull --update "$BUCKET" "datasets/$DATASET" "runs/$RUN" ${FROM:+"runs/$FROM"} > /dev/null || exit 1
if [ -n "$FROM" ] && [ ! -f "/data/runs/$FROM/run.json" ]; then
  echo "error: $BUCKET/runs/$FROM is no run; import the checkpoint and push it first: playbook import-checkpoint FOLDER --name $FROM && playbook sync push $BUCKET runs/$FROM" >&2; exit 1
fi
if [ ! -f "/data/datasets/$DATASET/train.csv" ]; then
  [ "$DATASET" = sample ] || { echo "error: $BUCKET/datasets/$DATASET has no train.csv; push the dataset first: playbook sync push $BUCKET datasets/$DATASET" >&2; exit 1; }
  playbook sample && playbook sync push "$BUCKET" "datasets/$DATASET" > /dev/null || exit 1
fi

# Checkpoints reach the bucket while training runs, so a preemption costs at most PUSH_EVERY seconds of work.
( while sleep "$PUSH_EVERY"; do playbook sync push "$BUCKET" "runs/$RUN" > /dev/null 2>&1 || true; done ) &
pusher=$!
# A restart continues the run as it was started: fine-tuned from FROM, or afresh.
if [ -n "$FROM" ]; then start=(finetune --from "$FROM"); else start=(train); fi
playbook "${start[@]}" --run "$RUN" --dataset "/data/datasets/$DATASET" --resume-if-exists \
  ${EPOCHS:+--set epochs="$EPOCHS"} --set max_hours="$MAX_HOURS" --set max_cost="$MAX_COST" --set hourly_cost="$HOURLY_COST"
code=$?
kill "$pusher" 2>/dev/null
wait "$pusher" 2>/dev/null
playbook sync push "$BUCKET" "runs/$RUN" > /dev/null || exit 1
if [ "$code" -eq 0 ]; then
  # The export is logged in the run too, so the run goes again with it.
  playbook export --run "$RUN" && playbook sync push "$BUCKET" exports "runs/$RUN" > /dev/null || exit 1
fi
exit "$code"
