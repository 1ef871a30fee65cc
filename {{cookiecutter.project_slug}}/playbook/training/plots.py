"""A run's loss curves (loss.png), drawn after every training invocation."""
from .runs import epochs


def write_curves(run):
    history = epochs(run)
    if not history:
        return None
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker
    figure, axes = plt.subplots(figsize=(7, 4))
    axes.plot([e["epoch"] for e in history], [e["train_loss"] for e in history], label="train")
    dev = [e for e in history if "dev_loss" in e]
    axes.plot([e["epoch"] for e in dev], [e["dev_loss"] for e in dev], label="dev")
    starts = sorted({e["epoch"] for e in history if e["epoch"] > 0 and
                     e["invocation"] != next(p for p in history if p["epoch"] == e["epoch"] - 1)["invocation"]})
    for epoch in starts:
        axes.axvline(epoch - 0.5, color="grey", linestyle=":", linewidth=1)
    axes.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    axes.set(xlabel="epoch (dotted: resumed)", ylabel="CTC loss", title="run {}".format(run.name))
    axes.set_yscale("log")
    axes.legend()
    figure.tight_layout()
    path = run / "loss.png"
    figure.savefig(str(path), dpi=100)
    plt.close(figure)
    return path
