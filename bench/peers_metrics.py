"""Summary tables of bench/peers, with ratios against Sluice measured in the same run.

The test split (accuracy, ROC AUC and speed of each peer):
    TESTS JOBS SLUICE_RATE SLUICE_WALL SLUICE_FP SLUICE_RECALL SLUICE_AUC
    then one NAME:SCORES_FILE:WALL_SECONDS:TRAIN_SECONDS per peer.
The extra folders (EXTRA_HAM, EXTRA_SPAM: ham tagged and rejected, spam tagged and
rejected, ROC AUC):
    extra SLUICE_EVAL_OUTPUT SLUICE_CLASSIFY_JSON then one NAME:SCORES_FILE per peer.
A SCORES_FILE has "file<TAB>spam|ham<TAB>score<TAB>tagged(0/1)<TAB>rejected(0/1, or -
when the peer has no reject action)" lines.
"""
import json
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
            if len(parts) < 4:
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


def peer_rows(path):
    """(label, score, tagged, rejected or None) per message the peer scored."""
    rows = []
    with open(path) as scores:
        for line in scores:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 5:
                continue
            try:
                rejected = None if parts[4] == "-" else parts[4] == "1"
                rows.append((parts[1], float(parts[2]), parts[3] == "1", rejected))
            except ValueError:
                continue  # a message the peer failed on: no score
    return rows


def sluice_classify_rows(path):
    """`sluice classify` lines as (label, score, flagged, refused, subclass): refused is a 5xx
    reply, flagged that or an unsure verdict (delivered with a header or held, per
    domain setting). A verdict without a score (decided before the combined score)
    ranks by its outcome: 1 when refused, else 0."""
    rows = []
    with open(path) as lines:
        for line in lines:
            try:
                verdict = json.loads(line)
            except ValueError:
                continue
            if "reply" not in verdict:
                continue  # unreadable file
            label = "spam" if "/spam/" in verdict["file"] else "ham"
            refused = verdict["reply"].startswith("5")
            flagged = refused or verdict["main_class"] == "unsure"
            score = verdict["score"] if verdict["score"] is not None else (1.0 if refused else 0.0)
            rows.append((label, score, flagged, refused, verdict["sub_class"]))
    return rows


def sluice_eval_overall(path):
    """From `sluice eval`'s output: (ham flagged, ham, spam caught, spam, ROC AUC)."""
    overall, spam = None, None
    with open(path) as text:
        for line in text:
            fields = line.split()
            if fields[:2] == ["overall", "(verdict)"]:
                flagged, ham = (int(x) for x in fields[-1].split("/"))
                overall = flagged, ham, float(fields[3]), float(fields[7])
            elif len(fields) > 2 and fields[1] == "messages" and fields[2].startswith("("):
                spam = int(fields[2][1:])
    if overall is None or spam is None:
        raise SystemExit(f"{path}: no overall line (see the eval's output above)")
    flagged, ham, recall, roc = overall
    return flagged, ham, round(recall * spam), spam, roc


def counts(rows, column):
    """(ham with the column true, ham, spam with it true, spam) over rows."""
    ham = [r for r in rows if r[0] == "ham"]
    spam = [r for r in rows if r[0] == "spam"]
    return sum(1 for r in ham if r[column]), len(ham), sum(1 for r in spam if r[column]), len(spam)


def extra(eval_path, classify_path, specs):
    e_flagged, e_ham, e_caught, e_spam, e_auc = sluice_eval_overall(eval_path)
    whole = sluice_classify_rows(classify_path)
    lines = []

    def line(name, ham, spam, roc):
        lines.append(f"{name:44} {ham:>14} {spam:>16} {roc:>8}")

    def share(hit, total):
        return f"{hit}/{total} ({100 * hit / max(total, 1):.1f} %)"

    line("", "ham", "spam", "ROC AUC")
    line("sluice eval (statistical verdict)", share(e_flagged, e_ham), share(e_caught, e_spam), f"{e_auc:.5f}")
    w_auc = auc([(r[0], r[1], r[2]) for r in whole])
    ham_hit, ham, spam_hit, spam = counts(whole, 3)
    line("sluice classify: refused (5xx)", share(ham_hit, ham), share(spam_hit, spam), f"{w_auc:.5f}")
    ham_hit, ham, spam_hit, spam = counts(whole, 2)
    line("sluice classify: refused or unsure", share(ham_hit, ham), share(spam_hit, spam), "")
    # Which check refused: the structural ones (badly-formed) judge the file's form,
    # which a corpus's collection may have changed (decoded header fields, for one).
    for label in ("ham", "spam"):
        deciders = sorted({r[4] for r in whole if r[0] == label and r[3]})
        parts = ", ".join(f"{name} {sum(1 for r in whole if r[0] == label and r[3] and r[4] == name)}" for name in deciders)
        lines.append(f"  sluice refused {label} by: {parts or 'none'}")
    peers = []
    for spec in specs:
        name, path = spec.rsplit(":", 1)
        rows = peer_rows(path)
        peers.append((name, rows))
        ham_hit, ham, spam_hit, spam = counts(rows, 2)
        line(f"{name}: tagged", share(ham_hit, ham), share(spam_hit, spam), f"{auc([(r[0], r[1], r[2]) for r in rows]):.5f}")
        if rows and all(r[3] is not None for r in rows):
            ham_hit, ham, spam_hit, spam = counts(rows, 3)
            line(f"{name}: rejected", share(ham_hit, ham), share(spam_hit, spam), "")
        else:
            line(f"{name}: rejected", "no reject", "no reject", "")
    print("\n".join(lines))
    print()
    print("ratios (sluice's whole verdict, refused / peer; ham: lower is better, spam: higher):")
    s_ham_hit, s_ham, s_spam_hit, s_spam = counts(whole, 3)

    def ratio(ours, ours_total, theirs, theirs_total):
        if not theirs or not ours_total:
            return "n/a (peer: none)"
        return f"x{(ours / ours_total) / (theirs / theirs_total):.2f}"

    for name, rows in peers:
        if not rows:
            print(f"  {name:12} classified nothing: see its log above")
            continue
        for column, what in ((2, "tagged"), (3, "rejected")):
            if column == 3 and any(r[3] is None for r in rows):
                continue
            ham_hit, ham, spam_hit, spam = counts(rows, column)
            roc = f"; ROC AUC x{w_auc / max(auc([(r[0], r[1], r[2]) for r in rows]), 1e-9):.3f}" if column == 2 else ""
            print(
                f"  {name:12} {what:8}: ham {ratio(s_ham_hit, s_ham, ham_hit, ham)},"
                f" spam caught {ratio(s_spam_hit, s_spam, spam_hit, spam)}{roc}"
            )


if len(sys.argv) > 1 and sys.argv[1] == "extra":
    extra(sys.argv[2], sys.argv[3], sys.argv[4:])
else:
    main()
