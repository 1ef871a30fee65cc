"""The augmentation stage (docs/augmentation.md): what the engine may do to the audio while it trains.

specs    the engine's augmentations, their grammar and presets, checked before anything starts
noise    overlay sources: synthetic noise and babble, or the user's recordings
preview  each augmentation heard and seen on a few files, with the engine's own code
"""
