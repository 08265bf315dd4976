#!/usr/bin/env bash
# Word vectors from the Stanford Sentiment Treebank sentences, the corpus of the CS224n word2vec
# assignment (11,855 movie-review sentences, ~207k tokens), and the assignment's word plot.
#
#   bash examples/sst.sh                           # uses `w2v` from PATH, data in ../shared
#   W2V=.venv/bin/w2v SHARED=/path/to/shared bash examples/sst.sh
set -euo pipefail

W2V=${W2V:-w2v}                                    # may be several words: left unquoted below
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SHARED=${SHARED:-$(cd "$ROOT/.." && pwd)/shared}
OUT=${OUT:-$ROOT/out}
DATA=$SHARED/data/corpora/sst_sentences.tsv
VECTORS=$OUT/sst.vec
if [[ ! -f "$DATA" ]]; then
    echo "error: $DATA not found; set SHARED to the folder that holds data/corpora/" >&2
    exit 1
fi
mkdir -p "$OUT"

if [[ -t 1 ]]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
. "$HERE/run.sh"

step "1. Train on the SST sentences (column 2 of the TSV, header skipped), read from stdin"
# A small corpus, so: many epochs (20); --min-count 1 keeps every word, as the assignment does
# (hail occurs once, tea 3 times), at the price of noisy vectors for rare words; 50 dimensions;
# --threads 1 --seed 1 make the run reproducible (drop --threads 1 to use every core).
TRAIN_OPTS=(--dim 50 --window 5 --neg 5 --min-count 1 --sample 1e-3 --epochs 20 --threads 1 --seed 1)
echo "\$ tail -n +2 $DATA | cut -f2 | $W2V train - -o $VECTORS ${TRAIN_OPTS[*]}"
tail -n +2 "$DATA" | cut -f2 | $W2V train - -o "$VECTORS" "${TRAIN_OPTS[@]}"

step "2. Nearest neighbours of a few common words (207k tokens is little text: expect some noise)"
run $W2V similar film funny good -v "$VECTORS" -n 8

step "3. The CS224n word plot"
WORDS=great,cool,brilliant,wonderful,well,amazing,worth,sweet,enjoyable,boring,bad,dumb,annoying
WORDS=$WORDS,female,male,queen,king,man,woman,rain,snow,hail,coffee,tea
run $W2V plot --words "$WORDS" -v "$VECTORS" -o "$OUT/sst_words.png" \
    --title "SST word vectors (CS224n word list, PCA)"
echo "Open $OUT/sst_words.png"
