"""The engine's evaluate with hot words: `python -m playbook.engines.evaluate_hot_words FLAGS`.

Neither engine's evaluate has a flag for hot words, though the decoder it calls takes them;
this runs the installed engine's own evaluate with the decoder given the words from
PLAYBOOK_HOT_WORDS (JSON: {"word": boost}). Every other flag is the engine's.
"""
import functools
import importlib
import json
import os

from . import bytes_keys, current


def main():
    engine = current()
    evaluate = importlib.import_module(engine.package + ".evaluate")
    hot_words = bytes_keys(json.loads(os.environ["PLAYBOOK_HOT_WORDS"]))
    evaluate.ctc_beam_search_decoder_batch = functools.partial(evaluate.ctc_beam_search_decoder_batch, hot_words=hot_words)
    # DeepSpeech's evaluate parses its flags in run_script(); Coqui's in main().
    getattr(evaluate, "run_script", evaluate.main)()


if __name__ == "__main__":
    main()
