"""Bounds on what a trained sample model does, for every test that asserts one.

CI trains new models on every run, and on another CPU the same seed may give other weights, so
each bound was set from the spread over independently trained models (`bench/model_spread.py`
trains the end-to-end job and the checkpoints, scorer and TFLite chapters once per seed; its
table, reports/bench-model-spread.json, gives each quantity's worst value and its margin to
the bound here). The tests and that benchmark read these numbers from here and nowhere else.
"""

# --- the end-to-end job (45 epochs, n_hidden 192; 10 held-out files) --------------------------

# Held-out CER from the quantised export on the device runtime, without (project image) and with
# the sample's scorer (device image). The skeleton's quality bar.
HELD_OUT_CER = 0.25
# The scorer must not raise the held-out WER above the beam search's without it.
SCORER_WER_INCREASE = 0.0
# The 44.1 kHz stereo 24-bit copy of a held-out file, against the original's transcript.
CONVERTED_AUDIO_CER = 0.1

# Parity of the device runtime (numpy MFCCs, tflite-runtime 2.14) with TensorFlow 1.15's own TFLite.
FEATURE_DIFFERENCE = 1e-3
# Float weights: the same kernels up to rounding.
FLOAT_PROBABILITY_DIFFERENCE = 1e-4
# Dynamic-range quantised weights: both interpreters quantise the activations on the fly, in slightly
# different ways, so an activation on a rounding boundary lands one step apart and the probabilities
# of a whole window move. What a user sees is what must hold: the most likely label of (nearly) every
# frame and the decoded text. The max difference is bounded loosely, from the spread.
QUANTISED_PROBABILITY_DIFFERENCE = 5e-2
QUANTISED_ARGMAX_DIFFERENCES = 0.005  # share of all frames whose most likely label differs

# --- the chapters (the docs' own commands) ---------------------------------------------------

# Checkpoints chapter: fine-tuning's first dev loss over the 15-epoch base run's first dev loss.
FINETUNE_FIRST_DEV_LOSS_RATIO = 0.5
# Checkpoints chapter: WER of the base run's best_dev checkpoint (15 + 2 epochs), beam search, no scorer.
CHECKPOINTS_WER = 1.5
