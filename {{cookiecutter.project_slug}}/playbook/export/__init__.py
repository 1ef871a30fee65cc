"""The export stage (docs/tflite.md): from a checkpoint to a model a small device runs.

tflite   a checkpoint exported to TFLite, with its alphabet and model card
device   the device runtime (stt_device) as playbook runs it: transcribe
parity   the device runtime's features, probabilities and decoder against the engine's own
"""
