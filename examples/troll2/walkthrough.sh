#!/usr/bin/env bash
# The StatQuest "Troll 2 is great! / Gymkata is great!" example, end to end:
# train a 2-dimensional skip-gram model on 14 sentences, read the vectors, ask for neighbours,
# and plot them. See README.md in this folder for what each step shows.
#
#   bash examples/troll2/walkthrough.sh            # uses `w2v` from PATH
#   W2V=.venv/bin/w2v bash examples/troll2/walkthrough.sh
#   W2V="python -m w2vcli" OUT=/tmp/troll2 bash examples/troll2/walkthrough.sh
set -euo pipefail

W2V=${W2V:-w2v}                                    # may be several words: left unquoted below
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=${OUT:-$ROOT/out}
CORPUS=$HERE/corpus.txt
VECTORS=$OUT/troll2.vec
mkdir -p "$OUT"

if [[ -t 1 ]]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
. "$HERE/../run.sh"

step "1. The corpus: one sentence per line (the words tokenizer lowercases and drops '!' and '.')"
cat "$CORPUS"

step "2. Train skip-gram with negative sampling: 2 dimensions, so each word is a point"
# --window 2: each centre word predicts up to 2 words on each side; --neg 2: and 2 noise words
# it should *not* predict; --min-count 1 keeps every word; --sample 0 keeps 'is' (subsampling
# would drop most of it in a corpus this small); many epochs because there are only 52 tokens;
# --threads 1 --seed 1 make the run bit-for-bit reproducible.
run $W2V train "$CORPUS" -o "$VECTORS" \
    --dim 2 --window 2 --neg 2 --min-count 1 --sample 0 --epochs 1000 \
    --threads 1 --seed 1

step "3. The vectors: header 'words dimensions', then a word and its 2 numbers per line"
cat "$VECTORS"

step "4. Nearest neighbours by cosine: words used in the same contexts end up together"
run $W2V similar troll2 gymkata pizza -v "$VECTORS" -n 3

step "5. Plot some of the words (PCA of 2-d vectors is just a rotation of them)"
run $W2V plot --words troll2,gymkata,pizza,soup,great,awesome,tasty,hot,movie,dinner \
    -v "$VECTORS" -o "$OUT/troll2.png" --title "Troll 2 is great! (skip-gram, 2 dimensions)"
echo "Open $OUT/troll2.png"
