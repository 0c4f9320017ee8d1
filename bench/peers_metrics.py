"""Summary table of bench/peers: accuracy, ROC AUC and speed of each peer, with
ratios against Sluice measured in the same run.

Arguments: TESTS JOBS SLUICE_RATE SLUICE_WALL SLUICE_FP SLUICE_RECALL SLUICE_AUC
then one NAME:SCORES_FILE:WALL_SECONDS:TRAIN_SECONDS per peer, where SCORES_FILE has
"file<TAB>spam|ham<TAB>score<TAB>flagged(0/1)" lines.
"""
import sys


def auc(rows):
    """Probability that a random spam outscores a random ham (ties count half)."""
    spam = sorted(score for label, score, _ in rows if label == "spam")
    ham = sorted(score for label, score, _ in rows if label == "ham")
    if not spam or not ham:
        return float("nan")
    wins = 0.0
    for s in spam:
        below = sum(1 for h in ham if h < s)
        ties = sum(1 for h in ham if h == s)
        wins += below + ties / 2
    return wins / (len(spam) * len(ham))


def peer(spec, tests, jobs):
    name, path, wall, train = spec.rsplit(":", 3)
    rows = []
    with open(path) as scores:
        for line in scores:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 4:
                continue
            try:
                rows.append((parts[1], float(parts[2]), parts[3] == "1"))
            except ValueError:
                continue  # a message the peer failed on: no score
    ham = [r for r in rows if r[0] == "ham"]
    spam = [r for r in rows if r[0] == "spam"]
    fp = sum(1 for r in ham if r[2])
    caught = sum(1 for r in spam if r[2])
    rate = len(rows) / max(float(wall), 1e-9)
    return {
        "name": name,
        "classified": len(rows),
        "fp": f"{fp}/{len(ham)}",
        "fp_rate": fp / max(len(ham), 1),
        "recall": caught / max(len(spam), 1),
        "auc": auc(rows),
        "rate": rate,
        "per_core": rate / jobs,
        "train": float(train),
    }


def main():
    tests, jobs = int(sys.argv[1]), int(sys.argv[2])
    s_rate, s_wall = float(sys.argv[3]), float(sys.argv[4])
    s_fp, s_recall, s_auc = sys.argv[5], float(sys.argv[6]), float(sys.argv[7])
    s_flagged, s_ham = (int(x) for x in s_fp.split("/"))
    print(f"{'':14} {'FP on ham':>10} {'caught':>8} {'ROC AUC':>8} {'msg/s/core':>11} {'msg/s wall':>11} {'train s':>8}")
    print(f"{'sluice':14} {s_fp:>10} {100 * s_recall:7.2f}% {s_auc:8.5f} {s_rate:11.0f} {tests / s_wall:11.0f} {'-':>8}")
    for spec in sys.argv[8:]:
        p = peer(spec, tests, jobs)
        print(
            f"{p['name']:14} {p['fp']:>10} {100 * p['recall']:7.2f}% {p['auc']:8.5f} {p['per_core']:11.1f}"
            f" {p['rate']:11.1f} {p['train']:8.1f}   ({p['classified']} of {tests} classified)"
        )
    print()
    print("ratios (sluice / peer):")
    for spec in sys.argv[8:]:
        p = peer(spec, tests, jobs)
        if p["classified"] == 0:
            print(f"  {p['name']:12} classified nothing: see its log above")
            continue
        fp_ratio = (s_flagged / s_ham) / p["fp_rate"] if p["fp_rate"] else float("nan")
        print(
            f"  {p['name']:12} speed per core x{s_rate / max(p['per_core'], 1e-9):.0f},"
            f" wall x{(tests / s_wall) / max(p['rate'], 1e-9):.1f};"
            f" spam caught x{s_recall / max(p['recall'], 1e-9):.3f}; FP rate x{fp_ratio:.2f}"
        )


main()
