#!/usr/bin/env bash
# Scores the shipped data-set model (model-f), the shipped default sample-pair
# model (model-a, reading a data set block by block) and the non-learned
# baseline on held-out data sets that `causeway scm` draws (seed 20261201,
# never used in training), and writes one report per (setting, predictor)
# into models/runs/model-f/heldout/.
#
#   models/eval-dataset.sh [GRAPHS]      (default 100; the ER(2) N=50 setting uses GRAPHS/2)
#   models/eval-dataset.sh GRAPHS MODEL OUT
#
# The second form scores one other model (an .onnx file or a run directory's
# checkpoint) on the same data sets, into OUT (e.g. a run's heldout/).
#
# Settings (the Model F issue's table): the scm defaults (notebook prior,
# p = 0.3, N = 20, 100 observational rows and 10 targets × 3 values × 100
# rows); ER(2) at N = 50; ER(3) at N = 30 with 20% of the nodes intervened;
# ER(2) at N = 20 with observational rows only.
set -euo pipefail
cd "$(dirname "$0")/.."
graphs=${1:-100}
out=${3:-models/runs/model-f/heldout}
predictors=("model-f|--model models/model-f.onnx" "model-a|--model models/model-a.onnx" "baseline|--baseline stats")
if [ $# -ge 2 ]; then
  predictors=("$(basename "${2%.onnx}")|--model $2")
fi
mkdir -p "$out"
go build -o /tmp/causeway-eval .
settings=(
  "notebook-n20|--nodes 20 --graphs $graphs"
  "er2-n50|--prior er --degree 2 --nodes 50 --graphs $((graphs / 2))"
  "er3-n30-int20|--prior er --degree 3 --nodes 30 --intervention-frac 0.2 --graphs $graphs"
  "er2-n20-obs|--prior er --degree 2 --nodes 20 --intervention-frac 0 --graphs $graphs"
)
for s in "${settings[@]}"; do
  name=${s%%|*}
  flags=${s#*|}
  for p in "${predictors[@]}"; do
    label=${p%%|*}
    # shellcheck disable=SC2086
    if ! /tmp/causeway-eval eval $flags --seed 20261201 ${p#*|} --json > "$out/$name-$label.json" 2> "$out/$name-$label.err"; then
      echo "$name $label: refused: $(cat "$out/$name-$label.err")"
      rm "$out/$name-$label.json"
      continue
    fi
    rm "$out/$name-$label.err"
    echo "$name $label: $(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["report"]; g=r["graph"]["structure"]; e=r["graph"]["empty_graph"]; print("AUROC %.3f AUPRC %.3f SHD %.1f (empty %.1f) unseen %s seen %s" % (g["auroc"], g["auprc"], g["shd"], e["shd"], r["unseen"]["ratio"], r["seen"]["ratio"]))' "$out/$name-$label.json")"
  done
done
