"""KenLM in the CPU image, and our scorer packages in the engine's own decoder.

The programs and the Python module are compiled in the image's build stage from the kenlm
sdist on PyPI; the final image must carry them and no compiler. The packages our writer
makes (alphabet mode and UTF-8 bytes mode) must load in coqui-stt-ctcdecoder 1.4.0 and
steer its decoding.
"""
import json
import shlex
import textwrap

import pytest

pytestmark = pytest.mark.container

CORPUS = "turn on the light\nturn off the light in the kitchen\nopen the door\n"

# Runs in the engine's interpreter. Probabilities spell "tirn on the lihgt" with some doubt;
# with the alphabet-mode scorer the decoder may only write vocabulary words.
ENGINE_CHECK = textwrap.dedent("""
    import json, numpy as np
    from coqui_stt_ctcdecoder import Alphabet, UTF8Alphabet, Scorer, ctc_beam_search_decoder
    alphabet = Alphabet("/data/alphabet.txt")
    labels = [alphabet.DecodeSingle(i) for i in range(alphabet.GetSize())]
    rows = []
    for char in "tirn on the lihgt":
        row = np.full(len(labels) + 1, 0.01); row[labels.index(char)] = 0.6; rows.append(row / row.sum())
        blank = np.full(len(labels) + 1, 0.01); blank[-1] = 0.9; rows.append(blank / blank.sum())
    probs = np.array(rows)
    words = Scorer(); words_code = words.init_from_filepath(b"/data/lm/words/kenlm.scorer", alphabet)
    chars = Scorer(); chars_code = chars.init_from_filepath(b"/data/lm/chars/kenlm.scorer", UTF8Alphabet())
    print(json.dumps({
        "words_code": words_code, "chars_code": chars_code,
        "words_utf8": words.is_utf8_mode(), "chars_utf8": chars.is_utf8_mode(), "order": words.get_max_order(),
        "alpha": words.alpha, "beta": words.beta,
        "plain": ctc_beam_search_decoder(probs, alphabet, 64)[0].transcript,
        "scored": ctc_beam_search_decoder(probs, alphabet, 64, scorer=words)[0].transcript,
        "oov": words.get_log_cond_prob([b"lihgt"], False, False),
    }))
""")


def run_in_image(docker_engine, image, script):
    result = docker_engine.docker("run", "--rm", image, "bash", "-euo", "pipefail", "-c", script, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_image_has_kenlm_and_no_compiler(docker_engine, cpu_image):
    out = run_in_image(docker_engine, cpu_image, """
        for tool in lmplz filter build_binary; do command -v $tool; done
        for tool in gcc g++ cc c++ cmake; do if command -v $tool; then echo "COMPILER $tool"; fi; done
        /opt/device/bin/python -c 'import kenlm; print("kenlm module", kenlm.__file__)'
        lmplz --help > /tmp/lmplz-help.txt 2>&1 || true
        head -1 /tmp/lmplz-help.txt
    """)
    assert "/opt/kenlm/bin/lmplz" in out and "/opt/kenlm/bin/build_binary" in out and "/opt/kenlm/bin/filter" in out
    assert "COMPILER" not in out, out
    assert "kenlm module /opt/device/" in out
    assert "Builds unpruned language models with modified Kneser-Ney smoothing" in out


def test_engine_decoder_loads_and_is_steered_by_our_packages(docker_engine, cpu_image):
    out = run_in_image(docker_engine, cpu_image, f"""
        cd /data
        printf '%s' {shlex.quote(CORPUS)} > corpus.txt
        printf ' \\n' > alphabet.txt; printf '%s\\n' a b c d e f g h i j k l m n o p q r s t u v w x y z "'" >> alphabet.txt
        playbook lm --corpus corpus.txt --alphabet alphabet.txt --name words --order 2 --alpha 1.5 --beta 2 > /dev/null
        playbook lm --corpus corpus.txt --alphabet alphabet.txt --name chars --order 2 --bytes-mode --top-k 3 > /dev/null
        python -c {shlex.quote(ENGINE_CHECK)}
    """)
    result = json.loads(out.strip().splitlines()[-1])
    assert result["words_code"] == 0 and result["chars_code"] == 0, result
    assert result["words_utf8"] is False and result["chars_utf8"] is True
    assert result["order"] == 2
    assert result["alpha"] == pytest.approx(1.5) and result["beta"] == pytest.approx(2.0)
    assert result["oov"] == -1000.0  # the misspelling is not in the package's language model
    assert result["plain"] == "tirn on the lihgt"
    assert result["scored"] == "turn on the light", result
