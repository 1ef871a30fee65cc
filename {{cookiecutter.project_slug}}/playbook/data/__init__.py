"""The data stage (docs/data.md): from recordings and transcripts to a dataset the engine trains on.

sample    the synthetic espeak-ng corpus every project starts with
sources   the layouts `playbook import` reads (Common Voice, LibriSpeech, a folder, a manifest, CSVs)
importer  a source to a checked dataset folder: audio converted, rows checked, alphabet, splits
text      transcripts and corpus text normalised to an alphabet (shared with `playbook lm`)
validate  every row checked before the engine sees it, each rejected row with one reason
rows      the import's rows in a scratch SQLite database while it works
manifest  a dataset as NeMo-style manifests; examples: small corpora in every layout, broken rows included
"""
