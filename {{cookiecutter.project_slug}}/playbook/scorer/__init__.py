"""The external scorer stage (docs/scorer.md): a language model the decoder consults.

kenlm    text -> normalised corpus -> vocabulary -> KenLM binary -> .scorer package (`playbook lm`)
package  the .scorer package writer (format 6; stt_device.scorer_package reads it)
tune     alpha and beta for one run, found by the engine's optimiser and stored in the package
"""
