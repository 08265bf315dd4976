#!/usr/bin/env bash
# `make demo`: generate a 1M-token corpus with planted structure, train on it with the default
# hyper-parameters, query and plot the vectors, and check that the planted groups and analogies
# were recovered. Everything goes to out/ (git-ignored). Takes well under a minute on 2 cores.
#
#   bash examples/demo.sh                          # uses `w2v` and `python3` from PATH
#   W2V=.venv/bin/w2v PYTHON=.venv/bin/python bash examples/demo.sh
#   TOKENS=200000 OUT=/tmp/demo bash examples/demo.sh
set -euo pipefail

W2V=${W2V:-w2v}                                    # may be several words: left unquoted below
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
OUT=${OUT:-$ROOT/out}
TOKENS=${TOKENS:-1000000}
if [[ -z "${PYTHON:-}" ]]; then                    # the python next to w2v has numpy and w2vcli
    w2v_bin=$(command -v "${W2V%% *}" || true)
    if [[ -n "$w2v_bin" && -x "$(dirname "$w2v_bin")/python" ]]; then
        PYTHON=$(dirname "$w2v_bin")/python
    else
        PYTHON=python3
    fi
fi
CORPUS=$OUT/synthetic.txt
QUESTIONS=$OUT/synthetic_questions.txt
VECTORS=$OUT/synthetic.vec
mkdir -p "$OUT"

if [[ -t 1 ]]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
. "$HERE/run.sh"

step "1. Generate a synthetic corpus: 10 topic groups, 20 analogy pairs, Zipf-like frequencies"
run "$PYTHON" "$HERE/synthetic.py" -o "$CORPUS" --tokens "$TOKENS" --seed 0 --questions "$QUESTIONS"
echo "First lines:"
head -n 3 "$CORPUS"

step "2. Train skip-gram with negative sampling (all defaults: --dim 100 --window 5 --neg 5 --epochs 5)"
run $W2V train "$CORPUS" -o "$VECTORS"

step "3. Nearest neighbours: each word's neighbours should be the other members of its group"
run $W2V similar dog red guitar -v "$VECTORS" -n 8

step "4. Analogies planted as a consistent offset (b - a + c)"
run $W2V analogy king queen man -v "$VECTORS" -n 3
run $W2V analogy france paris japan -v "$VECTORS" -n 3
run $W2V eval analogy "$QUESTIONS" -v "$VECTORS"

step "5. How much of the planted structure was recovered"
run "$PYTHON" "$HERE/check_demo.py" "$VECTORS" --min-recall 0.6 --min-analogy 0.5

step "6. Plot four groups"
run $W2V plot -v "$VECTORS" -o "$OUT/synthetic.png" \
    --words dog,cat,horse,cow,sheep,red,blue,green,yellow,purple,guitar,piano,violin,drum,flute,coffee,tea,milk,juice,cocoa \
    --title "Synthetic corpus: 4 planted groups (PCA of the trained vectors)"
echo "Open $OUT/synthetic.png"
