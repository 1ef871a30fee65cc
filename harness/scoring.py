"""How close a transcript is to its reference: CER and WER by jiwer, per transcript and pooled over a set."""
import jiwer


def score(reference: str, hypothesis: str) -> dict:
    return {"reference": reference, "hypothesis": hypothesis,
            "cer": round(jiwer.cer(reference, hypothesis), 4), "wer": round(jiwer.wer(reference, hypothesis), 4)}


def error_rates(transcripts: list[dict]) -> dict:
    """CER and WER over a whole set of score() results (jiwer pools the edits over all of them)."""
    references = [t["reference"] for t in transcripts]
    hypotheses = [t["hypothesis"] for t in transcripts]
    return {"cer": round(jiwer.cer(references, hypotheses), 4), "wer": round(jiwer.wer(references, hypotheses), 4)}
