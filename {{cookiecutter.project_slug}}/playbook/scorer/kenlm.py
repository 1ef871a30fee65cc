"""Language models and scorer packages from text (DeepSpeech's generate_lm.py and
generate_scorer_package in one step).

LMS/<name>/
  lm.json         what was built: corpus, alphabet, normalisation counts, options, sizes, seconds
  vocab-<k>.txt   the vocabulary: the top-k words of the normalised corpus, most frequent first
  lm.binary       the KenLM binary (build_binary -v: no word strings, as the scorer needs)
  kenlm.scorer    the scorer package: lm.binary + header (alpha, beta) + vocabulary FST
  kenlm.scorer.tuning.jsonl  one line per `playbook tune-scorer`: alpha and beta before and after, WER/CER
A folder is never rebuilt in place: a second build needs a new --name.
"""
import collections
import gzip
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from stt_device import alphabet as alphabets
from stt_device import decoding
from . import package as packages
from .. import settings, storage
from ..data.text import OUTSIDE, TextNormaliser
from ..errors import UserError
from ..storage import NO_SPACE, no_space

# The defaults are DeepSpeech's release recipe (doc/Scorer.rst) except where a
# comment says why not; `playbook lm --help` and docs/scorer.md show them.
DEFAULTS = {
    "order": 5,
    "top_k": 500000,
    "prune": "0",            # the release recipe prunes 0|0|1; pruning a small corpus leaves little
    "memory": "25%",         # lmplz -S; the recipe's 85% is unsafe beside training in one container
    "binary_type": "trie",
    "a_bits": 255,
    "q_bits": 8,
    "unknown_chars": "drop-word",
    "alpha": decoding.DEFAULT_ALPHA,  # tune-scorer finds better ones
    "beta": decoding.DEFAULT_BETA,
}
POLICIES = ("drop-word", "drop-sentence", "drop-char")
PACKAGE = "kenlm.scorer"
# How often a KenLM program that is still running says so.
PROGRESS_SECONDS = 30
DISCOUNT_ERROR = "discount"  # lmplz: "Could not calculate Kneser-Ney discounts ... rerun with --discount_fallback"


def lm_dir(name):
    if not name or not all(c.isalnum() or c in "._-" for c in name) or name[0] in ".-":
        raise UserError("language model name '{}' may hold only letters, digits, '.', '_' and '-'.".format(name))
    return settings.LMS / name


def resolve_scorer(value):
    """A scorer given as a path to a .scorer file or as the name of a `playbook lm` build."""
    path = Path(value)
    if path.suffix == ".scorer" or path.is_file():
        return path
    candidate = lm_dir(value) / PACKAGE
    if not candidate.is_file():
        raise UserError("no scorer '{}': give a .scorer file or the name of a build in {} (`playbook lm --name ...`)."
                        .format(value, settings.LMS))
    return candidate


def _open_text(path):
    path = Path(path)
    if not path.is_file():
        raise UserError("corpus {} does not exist: give a text file (or .gz) with one sentence per line.".format(path))
    opener = gzip.open if path.suffix == ".gz" else open
    return opener(str(path), "rt", encoding="utf-8", errors="strict")


class Normaliser(object):
    """Writes corpus text with the model's labels only (data/text.py's rules), counting what it changed."""

    def __init__(self, labels, policy, mapping):
        if policy not in POLICIES:
            raise UserError("--unknown-chars must be one of {} (got '{}').".format(", ".join(POLICIES), policy))
        self.text = TextNormaliser(labels, mapping)
        self.policy, self.outside = policy, self.text.outside
        self.counts = collections.Counter()

    def line(self, text):
        words = self.text.words(text)
        if any(OUTSIDE in word for word in words):
            if self.policy == "drop-sentence":
                self.counts["sentences dropped"] += 1
                return ""
            if self.policy == "drop-word":
                self.counts["words dropped"] += sum(1 for word in words if OUTSIDE in word)
                words = [word for word in words if OUTSIDE not in word]
            else:
                words = [word.replace(OUTSIDE, "") for word in words]
                words = [word for word in words if word]
        return " ".join(words)


def _run(command, what, log, stdin=None):
    """Run a KenLM program; a line when it starts, every PROGRESS_SECONDS while it runs (lmplz takes hours on
    large corpora) and when it ends, each a whole line so that logs stay readable."""
    started = time.time()
    print("lm: {} started".format(what), flush=True)
    with tempfile.TemporaryFile("w+") as output:
        process = subprocess.Popen(command, stdin=stdin, stdout=output, stderr=subprocess.STDOUT, universal_newlines=True)
        while True:
            try:
                process.wait(timeout=PROGRESS_SECONDS)
                break
            except subprocess.TimeoutExpired:
                print("lm: {} running, {:.0f} s".format(what, time.time() - started), flush=True)
        output.seek(0)
        result = subprocess.CompletedProcess(command, process.returncode, output.read())
    seconds = round(time.time() - started, 2)
    print("lm: {} {} in {:.1f} s".format(what, "done" if result.returncode == 0 else "failed", seconds), flush=True)
    log.write("$ " + " ".join(command) + "\n" + result.stdout + "\n")
    return result, seconds


# Below this much free space a failed KenLM program is taken to have run out of disk: lmplz aborts on a write
# error with its own message, not always errno's words.
DISK_NEARLY_FULL = 1 << 20


def _tool(name):
    path = shutil.which(name)
    if path is None:
        raise UserError("KenLM's {} is not on PATH: run this inside the project's container, whose image builds "
                        "KenLM (docker/Dockerfile.cpu, stage kenlm).".format(name))
    return path


def build(name, corpora, alphabet_path, order=None, top_k=None, prune=None, memory=None, binary_type=None,
          a_bits=None, q_bits=None, unknown_chars=None, mapping=(), alpha=None, beta=None, bytes_mode=False,
          discount_fallback=False, keep_arpa=False):
    """Corpus text -> vocabulary, ARPA, filtered ARPA, KenLM binary, scorer package. Returns the report."""
    options = dict(DEFAULTS)
    for key, value in (("order", order), ("top_k", top_k), ("prune", prune), ("memory", memory),
                       ("binary_type", binary_type), ("a_bits", a_bits), ("q_bits", q_bits),
                       ("unknown_chars", unknown_chars), ("alpha", alpha), ("beta", beta)):
        if value is not None:
            options[key] = value
    if not 2 <= options["order"] <= 6:
        raise UserError("--order {} is outside 2..6 (KenLM here is built for orders up to 6).".format(options["order"]))
    if options["top_k"] < 1:
        raise UserError("--top-k must be at least 1.")
    prune_values = options["prune"].split("|")
    if not all(value.isdigit() for value in prune_values) or len(prune_values) > options["order"]:
        raise UserError("--prune '{}' must be up to {} whole numbers separated by '|', e.g. 0|0|1."
                        .format(options["prune"], options["order"]))
    if options["binary_type"] not in ("trie", "probing"):
        raise UserError("--binary-type must be trie or probing (got '{}').".format(options["binary_type"]))
    labels = alphabets.labels(alphabet_path)
    if not bytes_mode and " " not in labels:
        raise UserError("{} has no space label: a word-level scorer needs one (or pass --bytes-mode).".format(alphabet_path))
    tools = {tool: _tool(tool) for tool in ("lmplz", "filter", "build_binary")}
    folder = lm_dir(name)
    if folder.exists():
        raise UserError("{} already exists; pass another --name (builds are never replaced).".format(folder))
    with storage.building(folder) as work:
        started = time.time()
        report = {"name": name, "corpora": [str(path) for path in corpora], "alphabet": str(alphabet_path),
                  "labels": len(labels), "options": dict(options, bytes_mode=bytes_mode, mapping=dict(mapping)),
                  "seconds": {}}

        # 1. Normalise to the alphabet and count words.
        normaliser = Normaliser(labels, options["unknown_chars"], mapping)
        words, lines_in, lines_out = collections.Counter(), 0, 0
        text_path = work / "corpus.txt"
        with open(str(text_path), "w", encoding="utf-8") as text:
            for corpus in corpora:
                with _open_text(corpus) as handle:
                    try:
                        for raw in handle:
                            lines_in += 1
                            line = normaliser.line(raw)
                            if line:
                                text.write(line + "\n")
                                words.update(line.split())
                                lines_out += 1
                    except UnicodeDecodeError as error:
                        raise UserError("corpus {} line {} is not UTF-8 ({}); convert it with iconv first."
                                        .format(corpus, lines_in + 1, error))
        if not words:
            raise UserError("no usable text in {} after normalising to {}: check the corpus and the alphabet."
                            .format(", ".join(map(str, corpora)), alphabet_path))
        vocabulary = [word for word, _ in words.most_common(options["top_k"])]
        vocab_path = work / "vocab-{}.txt".format(options["top_k"])
        vocab_path.write_text("\n".join(vocabulary) + "\n", encoding="utf-8")
        report["normalisation"] = {
            "lines_read": lines_in, "lines_kept": lines_out, "words": sum(words.values()), "distinct_words": len(words),
            "vocabulary": len(vocabulary), "outside_alphabet": dict(normaliser.outside.most_common(20)),
            "outside_alphabet_total": sum(normaliser.outside.values()), "policy": options["unknown_chars"],
            **{key.replace(" ", "_"): value for key, value in normaliser.counts.items()}}
        for char, count in normaliser.outside.most_common(5):
            print("note: {!r} (U+{:04X}) is not in the alphabet: {} times, {}".format(
                char, ord(char), count, options["unknown_chars"]), flush=True)
        print("corpus: {} of {} lines kept, {} words, {} distinct; vocabulary {}".format(
            lines_out, lines_in, sum(words.values()), len(words), len(vocabulary)), flush=True)

        with open(str(work / "build.log"), "w") as log:
            # 2. ARPA with lmplz. Tiny corpora cannot estimate Kneser-Ney discounts.
            arpa = work / "lm.arpa"
            command = [tools["lmplz"], "--order", str(options["order"]), "--memory", options["memory"],
                       "--temp_prefix", str(work), "--text", str(text_path), "--arpa", str(arpa),
                       "--prune"] + prune_values
            result, seconds = _run(command + (["--discount_fallback"] if discount_fallback else []), "lmplz", log)
            if result.returncode != 0 and DISCOUNT_ERROR in result.stdout and not discount_fallback:
                print("warning: the corpus is too small to estimate Kneser-Ney discounts; rebuilding with "
                      "--discount_fallback (fine for trying things out, use more text for a real model)", flush=True)
                discount_fallback = True
                result, seconds = _run(command + ["--discount_fallback"], "lmplz", log)
            report["options"]["discount_fallback"] = discount_fallback
            _check(result, "lmplz", work)
            report["seconds"]["lmplz"] = seconds
            # 3. Keep only n-grams of vocabulary words.
            filtered = work / "lm_filtered.arpa"
            with open(str(vocab_path), "rb") as vocab:
                result, seconds = _run([tools["filter"], "single", "model:" + str(arpa), str(filtered)], "filter", log, stdin=vocab)
            _check(result, "filter", work)
            report["seconds"]["filter"] = seconds
            # 4. The binary, without word strings (-v): the scorer header must follow the search structures.
            binary = work / "lm.binary"
            command = [tools["build_binary"]]
            if options["binary_type"] == "trie":
                command += ["-a", str(options["a_bits"]), "-q", str(options["q_bits"])]
            command += ["-v", options["binary_type"], str(filtered), str(binary)]
            result, seconds = _run(command, "build_binary", log)
            _check(result, "build_binary", work)
            report["seconds"]["build_binary"] = seconds
        if not keep_arpa:
            arpa.unlink()
            filtered.unlink()
        text_path.unlink()

        # 5. The package.
        started_package = time.time()
        states, arcs, rejected = packages.write_package(work / PACKAGE, binary, vocabulary, None if bytes_mode else labels,
                                                        options["alpha"], options["beta"])
        report["seconds"]["package"] = round(time.time() - started_package, 2)
        package = packages.read_package(work / PACKAGE)
        report["package"] = {"file": str(folder / PACKAGE), "bytes": package.size, "lm_bytes": package.lm_size,
                             "order": package.lm_order, "lm_type": package.lm_type, "ngram_counts": package.lm_counts,
                             "utf8_mode": package.utf8, "alpha": package.alpha, "beta": package.beta,
                             "fst_states": states, "fst_arcs": arcs, "words_not_spellable": len(rejected)}
        report["seconds"]["total"] = round(time.time() - started, 2)
        (work / "lm.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return report


def _check(result, tool, work):
    if result.returncode != 0:
        if NO_SPACE in result.stdout or shutil.disk_usage(str(work)).free < DISK_NEARLY_FULL:
            raise UserError(no_space(work) + " ({}'s log: {}.)".format(tool, work / "build.log"))
        tail = "\n".join(result.stdout.strip().splitlines()[-6:])
        raise UserError("{} failed (exit {}); the full log is {}:\n{}".format(tool, result.returncode, work / "build.log", tail))


def info(path):
    """The package's header and sizes, as a dict."""
    package = packages.read_package(path)
    return {"file": str(package.path), "bytes": package.size, "lm_bytes": package.lm_size, "order": package.lm_order,
            "lm_type": package.lm_type, "ngram_counts": package.lm_counts, "utf8_mode": package.utf8,
            "alpha": package.alpha, "beta": package.beta, "fst_states": package.states, "fst_arcs": package.arcs}


def build_for(name=None, corpora=None, alphabet=None, run=None, **options):
    """`playbook lm` with its defaults filled in: the sample's text and alphabet (or RUN's alphabet), and the name
    of the first corpus."""
    from ..data.sample import LM_CORPUS
    if run:
        from ..training import load_run
        alphabet = load_run(run)[0] / "alphabet.txt"
    chosen = corpora or [settings.SAMPLE_DATASET / LM_CORPUS]
    name = name or ("sample" if not corpora else Path(chosen[0]).name.split(".")[0])
    return build(name, chosen, alphabet or settings.SAMPLE_DATASET / "alphabet.txt", **options)


def info_for(scorer, run=None):
    """`playbook scorer-info`: the package's header and sizes; with RUN, after the engine's decoder proved it fits."""
    path = resolve_scorer(scorer)
    result = info(path)
    if run:
        from ..training import check_scorer, load_run
        check_scorer(load_run(run)[0], path)
        result["fits_run"] = run
    return result
