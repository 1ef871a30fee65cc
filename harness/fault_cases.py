"""The fault matrix's cases (run by harness/faults.py): what each injects, the command it hits, the sentence the
user must be told, and the next ordinary command that must work. Bash run in the project's container."""
import re
from dataclasses import dataclass

# What a fault must not touch: datasets, checkpoints (TensorBoard's summaries are the engine's log, appended to
# by design), the run's record of what it is, exports, language models and scorers, web pages. Work folders (*.partial)
# are the commands' own scratch space.
SNAPSHOT = r"""
cd /data && find datasets runs exports lm web shards -path '*.partial' -prune -o -path '*/summaries' -prune -o -type f \
  \( -path 'runs/*/checkpoints/*' -o -path 'runs/*/kept/*' -o -name alphabet.txt -o -name config.toml -o -name run.json \
     -o -path 'datasets/*' -o -path 'exports/*' -o -path 'lm/*' -o -path 'web/*' -o -path 'shards/*' \) -print0 2>/dev/null \
  | sort -z | xargs -0 -r sha256sum
"""
# Bash functions the cases' scripts use.
PRELUDE = r"""
set -u
SAMPLE=/data/datasets/sample
GOOD_WAV=$SAMPLE/wav/test-000.wav
# fill_disk KB: leave only KB kilobytes free on /data.
fill_disk() { local free; free=$(df --output=avail -k /data | tail -1); fallocate -l $(( (free - $1) * 1024 )) /data/.filler; sync; }
free_disk() { rm -f /data/.filler; }
# bad_dataset NAME WAV: datasets/NAME, the sample with WAV as its first training row.
bad_dataset() {
  local name=$1 wav=$2 dataset=/data/datasets/$1
  rm -rf "$dataset" && cp -al $SAMPLE "$dataset" && rm "$dataset/train.csv"  # hard links: no copy of the audio
  cp "$wav" "$dataset/wav/bad.wav"
  { head -1 $SAMPLE/train.csv; echo "$dataset/wav/bad.wav,$(stat -c %s "$dataset/wav/bad.wav"),one two"; tail -n +3 $SAMPLE/train.csv; } \
    > "$dataset/train.csv"
}
# live_server: run base's export served live on 127.0.0.1:8090, one stream at a time (started once; the socket cases).
live_server() {
  if ! { [ -f /tmp/live.pid ] && alive "$(cat /tmp/live.pid)"; }; then
    setsid playbook live --run base --serve 127.0.0.1:8090 --max-streams 1 > /tmp/live.log 2>&1 < /dev/null &
    echo $! > /tmp/live.pid
  fi
  for _ in $(seq 240); do grep -q 'serving the model live' /tmp/live.log 2>/dev/null && return 0; sleep 0.25; done
  cat /tmp/live.log; return 1
}
# bad_socket KIND: what a broken client sends the live server (text: a text frame; odd: 641 bytes; huge: 1 MiB in one
# frame; busy: a second stream while one is live), by harness/live_client.py (faults.py copies it into the box);
# prints the close the server answers with, as a client shows it.
bad_socket() { /opt/device/bin/python /tmp/live_client.py ws://127.0.0.1:8090/socket --say --bad "$1"; }
# alive PID: the process runs (a zombie does not: nothing in the container reaps orphans, so kill -0 would say yes).
alive() { local state; state=$(ps -o stat= -p "$1" 2>/dev/null); [ -n "$state" ] && [ "${state:0:1}" != Z ]; }
# start_killable COMMAND...: run it in its own process group, in the background; KILLABLE is its pid.
start_killable() { setsid "$@" > /tmp/killed.log 2>&1 & KILLABLE=$!; }
# kill_when TEST: SIGKILL the whole group the moment TEST holds (polled every 50 ms, 120 s at most); fails
# when the command ended first, since then no kill was injected.
kill_when() {
  for _ in $(seq 2400); do
    if eval "$1"; then kill -KILL -- -$KILLABLE; wait $KILLABLE 2>/dev/null; echo "killed while: $1"; return 0; fi
    alive $KILLABLE || { echo "the command ended before the kill: $(tail -3 /tmp/killed.log)"; return 1; }
    sleep 0.05
  done
  echo "no kill within 120 s"; return 1
}
"""


@dataclass
class Case:
    name: str
    fault: str  # what is injected, for the report
    command: str  # bash: the command the fault hits
    expect: str = ""  # a regex the command's `error: ...` line must match; empty: a SIGKILL case, the kill is checked
    setup: str = ""  # bash run before the snapshot; must succeed
    then: str = ""  # bash: the next ordinary command, must succeed (a SIGKILL case: the same command again)
    box: str = "main"  # which container: main (the shared data volume) or small (a 300 MB tmpfs as /data)
    writes: str = ""  # a regex of the files changed by design (a run another command trains meanwhile)
    then_writes: str = ""  # a regex of the files the next command changes by design (tune-scorer: its scorer)


ENGINE_CASES = [
    # --- a full data volume ---
    Case("disk full: checkpoint save", "/data has 64 kB free when training saves its first checkpoint",
         setup="fill_disk 64", command="playbook resume --run base --epochs 1",
         expect=r"^error: .*no space left on /data.*(free|delete)", then="free_disk && playbook resume --run base --epochs 1",
         box="small", then_writes=r"^runs/base/checkpoints/"),
    Case("disk full: export", "/data has 64 kB free when the engine writes the TFLite model",
         setup="fill_disk 64", command="playbook export --run base --checkpoint last",
         expect=r"^error: .*no space left on /data", then="free_disk && playbook export --run base --checkpoint last",
         box="small"),
    Case("disk full: scorer build", "/data has 64 kB free when `lm` builds the KenLM model",
         setup="fill_disk 64", command="playbook lm --name full",
         expect=r"^error: .*no space left on /data", then="free_disk && playbook lm --name full", box="small"),
    Case("disk full: import", "/data has 64 kB free when `import` converts the recordings",
         setup="fill_disk 64", command="playbook import csv $SAMPLE --name full",
         expect=r"^error: the disk holding /data/datasets is full; .*kept in /data/datasets/full\.partial and reused",
         then="free_disk && playbook import csv $SAMPLE --name full", box="small"),
    # --- SIGKILL, then the same command again ---
    Case("kill during export", "SIGKILL while the engine writes the export",
         command="start_killable playbook export --run base --checkpoint best --to /data/exports/killed && "
                 "kill_when '[ -d /data/exports/killed.partial ]'",
         then="playbook export --run base --checkpoint best --to /data/exports/killed && test -s /data/exports/killed/output_graph.tflite"),
    Case("kill during lm", "SIGKILL while KenLM builds the model",
         command="start_killable playbook lm --name killed && kill_when 'pgrep -x lmplz >/dev/null || pgrep -x build_binary >/dev/null'",
         then="playbook lm --name killed && test -s /data/lm/killed/kenlm.scorer"),
    Case("kill during tune-scorer", "SIGKILL while `tune-scorer` searches alpha and beta for the scorer it will rewrite",
         command="start_killable playbook tune-scorer --run base --scorer sample --trials 2 && "
                 "kill_when 'grep -q lm_optimize /tmp/killed.log'",
         then="playbook tune-scorer --run base --scorer sample --trials 2", then_writes=r"^lm/sample/kenlm\.scorer$"),
    Case("kill during import", "SIGKILL while `import` converts the recordings",
         command="start_killable playbook import csv $SAMPLE --name killed && kill_when 'ls -d /data/datasets/killed* >/dev/null 2>&1'",
         then="playbook import csv $SAMPLE --name killed && playbook check-dataset /data/datasets/killed > /dev/null"),
    Case("kill during sync", "SIGKILL while `sync push` copies the runs to a bucket (rclone's local backend)",
         command="export RCLONE_CONFIG_BUCKET_TYPE=local; start_killable playbook sync push bucket:/tmp/bucket runs && "
                 "kill_when 'pgrep -x rclone >/dev/null'",
         then="export RCLONE_CONFIG_BUCKET_TYPE=local; playbook sync push bucket:/tmp/bucket runs > /dev/null"),
    # --- two commands on one run ---
    Case("two commands on one run", "a second `resume` of a run while the first is training it",
         setup="setsid nohup playbook resume --run base --epochs 30 > /tmp/first.log 2>&1 & echo $! > /tmp/first.pid; "
               "until grep -q '^\\$ ' /tmp/first.log; do sleep 0.1; done",
         command="playbook resume --run base --epochs 1",
         expect=r"^error: run 'base' is in use by another command \(pid \d+: playbook resume --run base --epochs 30\); wait",
         # The first command trains on meanwhile; then it is killed, and the run resumes from its last checkpoint.
         writes=r"^runs/base/", then="kill -KILL -- -$(cat /tmp/first.pid); sleep 1; playbook resume --run base --epochs 1"),
]

# Each broken audio file: checked in a dataset (the row is named) and given to transcribe.
AUDIO = {
    "corrupt": "{ head -c 44 $GOOD_WAV; head -c 20000 /dev/urandom; } > $F && printf 'XXXX' | dd of=$F bs=1 seek=8 conv=notrunc 2>/dev/null",
    "truncated": "head -c 30 $GOOD_WAV > $F",
    "empty": ": > $F",
    "8-bit": "sox $GOOD_WAV -b 8 $F",
    "24-bit": "sox $GOOD_WAV -b 24 $F",
    "stereo": "sox $GOOD_WAV -c 2 $F",
    "8 kHz": "sox $GOOD_WAV -r 8000 $F",
    "non-audio": "cp /etc/os-release $F",
}
# The formats the device runtime converts (with a note) but a dataset must not hold: the engine reads 16-bit mono 16 kHz.
CONVERTIBLE = {"8-bit", "24-bit", "stereo", "8 kHz"}


def audio_cases() -> list[Case]:
    cases = []
    for kind, make in AUDIO.items():
        slug = re.sub(r"\W+", "", kind.replace(" ", ""))
        wav = f"/data/broken/{slug}.wav"
        transcribe = f"playbook transcribe --run base {wav}"
        then = f"{transcribe} 2>&1 | tee /tmp/t.log && grep -q 'warning: .*8000 Hz' /tmp/t.log" if kind == "8 kHz" else \
            (transcribe if kind in CONVERTIBLE else "playbook transcribe --run base $GOOD_WAV")
        cases.append(Case(f"audio: {kind} in a dataset", f"a {kind} file as a training row",
                          setup=f"mkdir -p /data/broken && F={wav} && {make} && bad_dataset bad-{slug} {wav}",
                          command=f"playbook train --run audio-{slug} --dataset /data/datasets/bad-{slug} --set epochs=1",
                          expect=rf"^error: .*(/data/datasets/bad-{slug}/train\.csv|train\.csv row 2|bad\.wav)",
                          then=then))
        if kind not in CONVERTIBLE:
            cases.append(Case(f"audio: {kind} to transcribe", f"a {kind} file given to `transcribe`",
                              setup=f"mkdir -p /data/broken && F={wav} && {make}", command=transcribe,
                              expect=rf"^error: {re.escape(wav)}", then="playbook transcribe --run base $GOOD_WAV"))
    return cases


AUDIO_CASES = audio_cases()


def csv_case(name, fault, edit, expect):
    """A copy of the sample dataset whose train.csv EDIT (sed or a shell command on $CSV) has broken."""
    return Case(f"csv: {name}", fault,
                setup=f"rm -rf /data/datasets/csv && cp -r $SAMPLE /data/datasets/csv && CSV=/data/datasets/csv/train.csv && {edit}",
                command="playbook train --run csv --dataset /data/datasets/csv --set epochs=1", expect=expect,
                then="playbook check-dataset $SAMPLE > /dev/null")


def folder_exists_case(name, fault, make, folder, expect):
    """MAKE (a command that takes --out) pointed at FOLDER under /data, which an earlier MAKE wrote: refused with EXPECT
    (FOLDER's "already exists" sentence), FOLDER kept as it is; the next MAKE, to FOLDER-2, works."""
    return Case(name, fault, setup=f"{make} --out /data/{folder} > /dev/null", command=f"{make} --out /data/{folder}",
                expect=expect, then=f"{make} --out /data/{folder}-2 > /dev/null", then_writes=rf"^{re.escape(folder)}-2/")


# A good client of the live server: a file spoken into it, its transcript printed (the server is still serving).
LIVE_CLIENT = "/opt/device/bin/python -m stt_device --connect ws://127.0.0.1:8090/socket --pace 0 $GOOD_WAV | grep -q ."
DATA_CASES = [
    csv_case("not UTF-8", "a Latin-1 transcript in train.csv", r"printf 'x.wav,100,caf\xe9\n' >> $CSV",
             r"^error: /data/datasets/csv/train\.csv.*(UTF-8|utf-8)"),
    csv_case("a column missing", "train.csv without its transcript column", "cut -d, -f1,2 $CSV > /tmp/c && mv /tmp/c $CSV",
             r"^error: /data/datasets/csv/train\.csv.*transcript"),
    csv_case("characters outside the alphabet", "a transcript with digits and 'ß'",
             r"sed -i '2s/,[^,]*$/,gro\xc3\x9f 42/' $CSV", r"^error: .*train\.csv.*row 2|^error: .*(alphabet|rows)"),
    csv_case("a file that is not there", "a row naming a WAV that does not exist", "sed -i '2s#wav/#wav/gone-#' $CSV",
             r"^error: .*(train\.csv.*row 2|gone-|rows would stop)"),
    Case("config: unknown key", "`--set no_such_setting=1`", command="playbook train --run cfg --set no_such_setting=1",
         expect=r"^error: --set: unknown setting 'no_such_setting'", then="playbook config > /dev/null"),
    Case("config: wrong type", "`--set epochs=many`", command="playbook train --run cfg --set epochs=many",
         expect=r"^error: --set: 'epochs' must be a whole number", then="playbook config > /dev/null"),
    Case("config: out of range", "`--set dropout_rate=1.5`", command="playbook train --run cfg --set dropout_rate=1.5",
         expect=r"^error: --set: 'dropout_rate' = 1\.5 is out of range", then="playbook config > /dev/null"),
    Case("config: a broken config file", "a --config file that is not TOML",
         setup="printf 'epochs = [\\n' > /data/broken.toml", command="playbook train --run cfg --config /data/broken.toml",
         expect=r"^error: /data/broken\.toml", then="playbook config > /dev/null"),
    Case("checkpoint of another width", "fine-tuning the run's checkpoint with n_hidden 64",
         command="playbook finetune --from base --run wide --dataset $SAMPLE --set n_hidden=64",
         expect=r"^error: .*n_hidden", then="playbook checkpoints --run base > /dev/null"),
    Case("checkpoint of another alphabet", "fine-tuning onto a dataset with another alphabet",
         setup="playbook sample --digits --out /data/datasets/digits > /dev/null",
         command="playbook finetune --from base --run digits --dataset /data/datasets/digits",
         expect=r"^error: .*alphabet.*transfer", then="playbook checkpoints --run base > /dev/null"),
    Case("scorer of another alphabet", "a scorer built for the digits alphabet given to `transcribe`",
         setup="playbook sample --digits --out /data/datasets/digits > /dev/null && "
               "{ [ -d /data/lm/digits ] || playbook lm --name digits --alphabet /data/datasets/digits/alphabet.txt "
               "--corpus /data/datasets/digits/lm-corpus.txt > /dev/null; }",
         command="playbook transcribe --run base --scorer digits $GOOD_WAV", expect=r"^error: .*alphabet",
         then="playbook transcribe --run base --scorer sample $GOOD_WAV"),
    Case("a model that is not TFLite", "`transcribe --model` given a text file",
         setup="cp /etc/os-release /data/not-a-model.tflite", command="playbook transcribe --model /data/not-a-model.tflite $GOOD_WAV",
         expect=r"^error: /data/not-a-model\.tflite", then="playbook transcribe --run base $GOOD_WAV"),
    # --- the page of `playbook web-export` ---
    folder_exists_case("web page: the folder exists", "`web-export --out` naming a page folder that exists",
                       "playbook web-export --run base", "web/kept",
                       r"^error: /data/web/kept already exists; it is kept as it is: serve it with `playbook web-serve"),
    Case("web page: a scorer too big for a browser", "`web-export --scorer` given a 401 MB scorer",
         setup="truncate -s 401M /data/huge.scorer", command="playbook web-export --run base --scorer /data/huge.scorer",
         expect=r"^error: the scorer /data/huge\.scorer is 420 MB, more than a browser page can hold .*without --scorer",
         then="rm /data/huge.scorer && playbook web-export --run base --scorer sample --out /data/web/scored > /dev/null",
         then_writes=r"^web/scored/"),
    # --- a dataset as shards (playbook/data/shards.py) ---
    folder_exists_case("shards: the folder exists", "`shards --out` naming a shard folder that exists",
                       "playbook shards /data/datasets/sample", "shards/kept",
                       r"^error: /data/shards/kept already exists; pick another --out, or remove it first\.$"),
    # rclone's own sentence in the brackets, without the date and level of its log line.
    Case("shards: a source that is not there", "`train --dataset` a `pipe:` source whose path holds no shards",
         command="playbook train --run streamed --dataset 'pipe:rclone cat /data/no-such-bucket/shards'",
         expect=r"^error: pipe:rclone cat /data/no-such-bucket/shards gives no shards\.json \((?!\d{4}/).*\): check the path, and that "
                r"`playbook shards` wrote the shards there\.$",
         then="playbook shards /data/datasets/sample --out /data/shards/here > /dev/null && "
              "playbook train --run streamed --dataset 'pipe:rclone cat /data/shards/here' --set epochs=1 > /dev/null",
         then_writes=r"^(shards/here/|runs/streamed/)"),
    # --- the live server's socket (stt_device/live.py): each bad client is closed with its reason; the next client,
    # a good one, gets its transcript from the same server ---
    Case("live: a text frame", "a text frame to the live server's socket", setup="live_server", command="bad_socket text",
         expect=r"^error: the server closed the connection: 1003 send audio as binary frames of 16-bit mono PCM",
         then=LIVE_CLIENT),
    Case("live: an odd-length frame", "a binary frame of 641 bytes to the live server", setup="live_server",
         command="bad_socket odd", expect=r"^error: the server closed the connection: 1007 a frame of 641 bytes",
         then=LIVE_CLIENT),
    Case("live: a frame over the limit", "1 MiB in one frame to the live server (its limit: 64 KiB)", setup="live_server",
         command="bad_socket huge", expect=r"^error: the server closed the connection: 1009 .*exceeds limit of 65536 bytes",
         then=LIVE_CLIENT),
    Case("live: one stream past the cap", "a second stream while one is live, with --max-streams 1", setup="live_server",
         command="bad_socket busy", expect=r"^error: the server closed the connection: 1013 busy: this server takes 1 stream",
         then=LIVE_CLIENT),
    Case("live: a client killed mid-sentence", "SIGKILL to `--connect` 1 s into speaking a 2 s file into the live server",
         setup="live_server", command="start_killable /opt/device/bin/python -m stt_device --connect "
                                      "ws://127.0.0.1:8090/socket $GOOD_WAV && kill_when '[ \"$(ps -o etimes= -p $KILLABLE)\" -ge 1 ]'",
         then=LIVE_CLIENT),
]


@dataclass
class VolumeCase:
    """A data folder that is not usable: the container (its default user, uid 1000) is started with it, and
    `playbook sample` must refuse."""
    name: str
    fault: str
    expect: str
    as_root: str = ""  # run on the new volume as root first
    read_only: bool = False  # mount it with :ro
    env: dict | None = None


VOLUME_CASES = [
    # A file in it: Docker gives an empty volume the image's /data owner and mode again at the next mount.
    VolumeCase("/data owned by another uid", "a data volume owned by uid 4242, mode 755",
               r"^error: /data .*(uid 4242|owned by).*chown", as_root="touch /data/theirs && chown -R 4242 /data && chmod 755 /data"),
    VolumeCase("/data read-only", "the data volume mounted read-only", r"^error: /data .*read-only", read_only=True),
    VolumeCase("/data missing", "PLAYBOOK_DATA names a folder that does not exist (an unmounted disk)",
               r"^error: the data folder /mnt/disk/data does not exist", env={"PLAYBOOK_DATA": "/mnt/disk/data"}),
]


# What every case starts from: the sample, run `base` (named in the cases) with its export, the sample scorer.
PREPARE = """
playbook sample > /dev/null
playbook train --run base --set epochs=2 > /tmp/train.log || { tail -20 /tmp/train.log; exit 1; }
playbook export --run base > /dev/null
playbook lm > /dev/null
"""
