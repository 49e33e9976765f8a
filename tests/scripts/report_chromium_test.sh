#!/usr/bin/env bash
# The morning-after report as a reader meets it: a small clustering study (blobs → PCA {2, 4} →
# k-means {3, 5} → cluster_eval) is run, `pipeline report` writes its page, and headless
# Chromium loads it. In the live DOM the summary comes first and names the best run by the
# objective (the evaluating stage's accuracy, looked up independently in SQLite), then the
# charts, the folded diagnostics, the runs table and the study file; the PCA's curve is one line
# per PCA (2, not 4), on an axis labelled by the PCA's step unit.
# Exits 77 (ctest: skipped) when chromium is not installed.
#   tests/scripts/report_chromium_test.sh <pipeline binary> <source dir>
set -euo pipefail
pipeline=$1
browser=$(command -v chromium || command -v chromium-browser || true)
if [[ -z "$browser" ]]; then
  echo "SKIP: chromium is not installed (apt-get install chromium); the report was not rendered"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat > "$tmp/glance.yaml" <<'EOF'
study: glance
seed: 7
stages:
  data: {type: blobs, n: 600, dims: 6, centers: 4, spread: 2.5}
  pca: {type: pca, input: data, components: [2, 4], plot: false}
  kmeans: {type: kmeans, input: pca, k: [3, 5], n_init: 1}
  score: {type: cluster_eval, input: kmeans}
EOF
"$pipeline" run "$tmp/glance.yaml" --db "$tmp/results.db" > "$tmp/run.log" 2>&1 ||
  { echo "FAIL: the study did not run"; tail -20 "$tmp/run.log"; exit 1; }
"$pipeline" report glance --db "$tmp/results.db" --out "$tmp/report.html" > /dev/null

# The best run by accuracy, the first by number among equals, straight from the database.
best=$("$pipeline" query --db "$tmp/results.db" --csv \
  "SELECT number FROM run_summary WHERE study = 'glance' AND status = 'done'
   ORDER BY json_extract(metrics, '$.\"score.accuracy\"') DESC, number LIMIT 1" | tail -1)
[[ "$best" =~ ^[0-9]+$ ]] || { echo "FAIL: no best run in the database ('$best')"; exit 1; }

timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$tmp/profile" --dump-dom "file://$tmp/report.html" \
  > "$tmp/dom.html" 2> "$tmp/chromium.log" ||
  { echo "FAIL: chromium could not render the report"; tail -20 "$tmp/chromium.log"; exit 1; }

failed=0
fail() { echo "FAIL: $*"; failed=1; }
# Byte offset of the first match of a fixed string in the DOM, or "" when absent.
at() { { grep -bo -F -- "$1" "$tmp/dom.html" || true; } | head -1 | cut -d: -f1; }

previous=-1
previous_name=start
for section in 'id="summary"' 'id="charts"' 'id="diagnostics"' 'id="runs"' 'id="study-file"'; do
  offset=$(at "$section")
  if [[ -z "$offset" ]]; then
    fail "no $section in the rendered page"
  elif (( offset <= previous )); then
    fail "$section comes before $previous_name"
  else
    previous=$offset
    previous_name=$section
  fi
done

summary=$(at 'id="summary"')
charts=$(at 'id="charts"')
headline=$(at "Best run: <b>run $best</b>")
if [[ -z "$headline" || -z "$summary" || -z "$charts" ]] ||
   (( headline < summary || headline > charts )); then
  fail "the summary does not name run $best as the best run"
fi
grep -q -F 'score.accuracy, higher is better' "$tmp/dom.html" ||
  fail "the summary does not say which objective it used"
grep -q -F 'Same for every run' "$tmp/dom.html" ||
  fail "no 'same for every run' line (data.examples is the same in every run)"

# The PCA's curve: two lines (one per PCA), named by the PCA's parameter, along components.
pca=$(awk '/>pca.explained_variance_ratio<\/text>/ { on = 1 } on { print } on && /<\/svg>/ { exit }' \
  "$tmp/dom.html")
lines=$({ grep -o '<polyline' <<< "$pca" || true; } | wc -l)
(( lines == 2 )) || fail "pca.explained_variance_ratio has $lines lines; expected 2 (one per PCA)"
grep -q -F '>pca.components=4<' <<< "$pca" || fail "the PCA legend does not say pca.components=4"
grep -q -F '>component<' <<< "$pca" || fail "the PCA curve's x axis is not labelled 'component'"
grep -q -F '>iteration<' "$tmp/dom.html" || fail "no k-means curve along 'iteration'"

grep -q 'data-sortable="ready"' "$tmp/dom.html" || fail "the sorting script did not run"
if grep -q "Uncaught" "$tmp/chromium.log"; then fail "script errors: $(grep Uncaught "$tmp/chromium.log")"; fi
(( failed == 0 )) && echo "report reads in order; run $best is the headline"
exit $failed
