"""The data stage: from recordings and transcripts to a dataset the engine trains on.

text      transcripts and corpus text normalised to an alphabet (shared with `playbook lm`)
validate  every row checked before the engine sees it, each rejected row with one reason
"""
