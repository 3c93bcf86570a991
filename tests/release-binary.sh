#!/usr/bin/env bash
# Checks a release build of banpol (built without the `test-hooks` feature, as `cargo build
# --release` and the .deb build it): test-only settings must not exist in it. Run by .ci/run.
# usage: tests/release-binary.sh target/release/banpol
set -uo pipefail
bin="${1:?usage: $0 path/to/banpol}"
fail=0
dir="$(mktemp -d)"; trap 'rm -rf "$dir"' EXIT

# a setting every build knows passes (so the refusal below is about the test setting alone)
if ! out="$("$bin" --data-dir "$dir/d" --node-code PLG check-config 2>&1)"; then
    echo "FAIL: check-config refused a plain configuration: $out"; fail=1
fi
# the release build refuses the test-only key as an unknown setting, for every command
for cmd in check-config serve; do
    out="$(BANPOL_TEST_TRUSTED_KEY=00 timeout 20 "$bin" --data-dir "$dir/d" --node-code PLG $cmd 2>&1)"; rc=$?
    if [ "$rc" -eq 0 ] || [ "$rc" -eq 124 ] || ! grep -q "unknown setting BANPOL_TEST_TRUSTED_KEY" <<<"$out"; then
        echo "FAIL: '$cmd' with BANPOL_TEST_TRUSTED_KEY: exit $rc, said: $out"; fail=1
    fi
done
# nor the frozen test clock of the recap tests
out="$(BANPOL_TEST_CLOCK=/dev/null timeout 20 "$bin" --data-dir "$dir/d" --node-code PLG check-config 2>&1)"; rc=$?
if [ "$rc" -eq 0 ] || ! grep -q "unknown setting BANPOL_TEST_CLOCK" <<<"$out"; then
    echo "FAIL: check-config with BANPOL_TEST_CLOCK: exit $rc, said: $out"; fail=1
fi
# and the variable's name is not even in the executable
if grep -q "BANPOL_TEST_TRUSTED_KEY" "$bin"; then
    echo "FAIL: the release binary contains BANPOL_TEST_TRUSTED_KEY"; fail=1
fi
if [ "$fail" -eq 0 ]; then echo "release binary: no test-only settings"; else echo "release binary: FAILED"; fi
exit "$fail"
