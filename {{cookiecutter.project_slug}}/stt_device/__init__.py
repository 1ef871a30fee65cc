"""stt_device: run an exported DeepSpeech-family `.tflite` model on a small device.

Needs numpy, a TFLite interpreter (`ai-edge-litert`, or `tflite-runtime`) and, for
scorer decoding, KenLM's Python module; never TensorFlow (docker/requirements.device.txt).
`python -m stt_device FILE...` transcribes; `stt_device.model.TfliteModel` is the API.

Importing the package imports nothing else, so that the training side (playbook)
can share its standard-library modules: errors, alphabet, scorer_package.
"""
