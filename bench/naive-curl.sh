#!/usr/bin/env bash
# The baseline: what a team without a reconciler writes. One curl per resource, one after the
# other, POSTing a JSON body prepared beforehand. No reads, no retries, no "already exists"
# handling, no report: it does less than `apply`, and is still the thing to beat.
#
# Usage: APINIZER_URL=http://127.0.0.1:PORT APINIZER_TOKEN=... naive-curl.sh LIST
# LIST: one line per resource, "API_PATH<TAB>BODY_FILE" (bench/naive-curl.mjs writes it).
# Prints the number of failed requests; exits 0 only when none failed.
set -u
failed=0
while IFS=$'\t' read -r path body; do
  curl -sS -f -o /dev/null -X POST \
    -H "Authorization: Bearer ${APINIZER_TOKEN}" \
    -H 'Content-Type: application/json' \
    --data-binary "@${body}" \
    "${APINIZER_URL}${path}" || failed=$((failed + 1))
done < "$1"
echo "failed: ${failed}"
[ "${failed}" -eq 0 ]
