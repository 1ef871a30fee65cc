"""NeMo-style JSON-lines manifests out of a dataset (`playbook import manifest` reads them in), so a
dataset moves between this project and NeMo: one {"audio_filepath", "text", "duration"} per line."""
import json
import wave
from pathlib import Path

from .. import storage
from ..errors import UserError
from .sources import SPLITS
from .validate import read_rows


def write_manifests(dataset, out=None):
    dataset = Path(dataset)
    out = Path(out) if out else dataset
    written = {}
    for split in SPLITS:
        csv_path = dataset / "{}.csv".format(split)
        if not csv_path.is_file():
            continue
        target = out / "{}_manifest.json".format(split)
        if target.exists():
            raise UserError("{} already exists; it is kept as it is (pass another --out).".format(target))
        out.mkdir(parents=True, exist_ok=True)
        with storage.building(target, folder=False) as partial, open(str(partial), "w", encoding="utf-8") as handle:
            for row in read_rows(csv_path):
                with wave.open(str(row.wav), "rb") as audio:
                    duration = audio.getnframes() / float(audio.getframerate())
                handle.write(json.dumps({"audio_filepath": str(Path(row.wav).resolve()), "text": row.transcript,
                                         "duration": round(duration, 3), "split": split}, ensure_ascii=False) + "\n")
        written[split] = str(target)
    if not written:
        raise UserError("{} holds no train.csv, dev.csv or test.csv.".format(dataset))
    return {"dataset": str(dataset), "manifests": written}
