#!/usr/bin/env bash
# Phrases (word2phrase, Mikolov et al. 2013): join frequent word pairs of text8_head into tokens
# such as new_york and united_states, in two passes (new_york + city -> new_york_city), then
# train on the result and ask for the neighbours of a few phrases.
#
#   bash examples/phrases.sh                       # uses `w2v` from PATH, data in ../shared
#   W2V=.venv/bin/w2v SHARED=/path/to/shared EPOCHS=1 bash examples/phrases.sh
set -euo pipefail

W2V=${W2V:-w2v}                                    # may be several words: left unquoted below
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SHARED=${SHARED:-$(cd "$ROOT/.." && pwd)/shared}
OUT=${OUT:-$ROOT/out}
EPOCHS=${EPOCHS:-5}          # the default; 1 is 5x quicker but leaves 1M tokens undertrained
DATA=$SHARED/data/corpora/text8_head.txt.gz
PHRASED=$OUT/text8_head_phrases.txt
VECTORS=$OUT/text8_head_phrases.vec
if [[ ! -f "$DATA" ]]; then
    echo "error: $DATA not found; set SHARED to the folder that holds data/corpora/" >&2
    exit 1
fi
mkdir -p "$OUT"

if [[ -t 1 ]]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
. "$HERE/run.sh"

step "1. Join phrases: 2 passes, threshold 200 then 100 (word2vec.c's demo-phrases.sh recipe)"
run $W2V phrases "$DATA" -o "$PHRASED" --threshold 100 --passes 2 --min-count 5

step "2. A few phrases and how often they occur in the output"
for phrase in new_york new_york_city united_states world_war_ii prime_minister los_angeles; do
    printf '%-16s %6d\n' "$phrase" "$(tr ' ' '\n' < "$PHRASED" | grep -cx "$phrase" || true)"
done

step "3. Train on the phrased text (the words tokenizer keeps new_york whole)"
run $W2V train "$PHRASED" -o "$VECTORS" --epochs "$EPOCHS"

step "4. Nearest neighbours of phrases"
run $W2V similar new_york united_states world_war_ii los_angeles -v "$VECTORS" -n 8
