"""The engine's evaluate with hot words.

coqui_stt_training.evaluate has no flag for hot words, though the decoder it calls
takes them; this runs the same evaluate with the decoder given the words from
PLAYBOOK_HOT_WORDS (JSON: {"word": boost}). Every other flag is the engine's.
"""
import functools
import json
import os

from coqui_stt_training import evaluate


def main():
    hot_words = {word.encode("utf-8"): float(boost) for word, boost in json.loads(os.environ["PLAYBOOK_HOT_WORDS"]).items()}
    evaluate.ctc_beam_search_decoder_batch = functools.partial(evaluate.ctc_beam_search_decoder_batch, hot_words=hot_words)
    evaluate.main()


if __name__ == "__main__":
    main()
