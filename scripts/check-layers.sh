#!/usr/bin/env bash
# Checks that dependencies between meldpunt's layers point inward (docs/architecture.md):
#   src/domain  imports neither actix, diesel, nor another layer of the crate;
#   src/storage imports none of api, intake, import, insight, notify, jobs (nor actix);
#   src/intake  imports neither api nor actix;
#   src/insight imports none of api, intake, import, notify, jobs (nor actix);
#   src/import  imports none of api, intake, notify, jobs (nor actix, nor diesel: SQL stays in storage);
#   src/notify  imports none of api, intake, import, jobs (nor diesel);
#   src/jobs    imports no api;
#   src/oidc    imports none of api, storage, intake, import, insight, notify, jobs (nor actix, nor diesel);
#   src/api     imports neither notify nor jobs (nor diesel).
# A use is any path that names the layer: `use crate::api::…`, `crate::api::x(…)` inside
# code, `use actix_web::…`, `diesel::…`. Comments are ignored. Exits 1 and lists every
# offending line when a rule is broken.
set -euo pipefail
cd "$(dirname "$0")/.."

status=0

# check LAYER_DIR FORBIDDEN_REGEX REASON
check() {
    local dir=$1 pattern=$2 reason=$3
    local hits
    # Strip // comments (and //! and ///) before matching, then report file:line.
    hits=$(grep -rnE --include='*.rs' "$pattern" "$dir" | grep -vE '^[^:]+:[0-9]+:[[:space:]]*//' || true)
    if [ -n "$hits" ]; then
        printf '%s must not import %s:\n%s\n\n' "$dir" "$reason" "$hits"
        status=1
    fi
}

# `crate::api`, `crate::{api::…}`, or a relative path out of the layer's own folder.
crate_layer() { printf '(\\bcrate::(%s)\\b|\\bcrate::\\{[^}]*\\b(%s)::|\\bsuper::super::(%s)\\b)' "$1" "$1" "$1"; }

check src/domain "$(crate_layer 'api|storage|intake|import|insight|notify|jobs|oidc|startup|config|telemetry')|\\bactix_web\\b|\\bactix_|\\bdiesel\\b" \
    "actix, diesel or another layer of the crate"
check src/storage "$(crate_layer 'api|intake|import|insight|notify|jobs|oidc|startup')|\\bactix_web\\b" "api, intake, import, insight, notify, jobs or actix"
check src/intake "$(crate_layer 'api|startup')|\\bactix_web\\b" "api or actix"
check src/insight "$(crate_layer 'api|intake|import|notify|jobs|startup')|\\bactix_web\\b" "api, intake, import, notify, jobs or actix"
check src/import "$(crate_layer 'api|intake|notify|jobs|startup')|\\bactix_web\\b|\\bactix_|\\bdiesel\\b" \
    "api, intake, notify, jobs, actix or diesel"
check src/notify "$(crate_layer 'api|intake|import|jobs|startup')|\\bdiesel\\b" "api, intake, import, jobs or diesel"
check src/jobs "$(crate_layer 'api|startup')" "api"
check src/oidc "$(crate_layer 'api|storage|intake|import|insight|notify|jobs|startup|config')|\\bactix_web\\b|\\bactix_|\\bdiesel\\b" \
    "api, storage, intake, import, insight, notify, jobs, actix or diesel"
check src/api "$(crate_layer 'notify|jobs')|\\bdiesel\\b" "notify, jobs or diesel"

if [ "$status" -eq 0 ]; then
    echo "layers: every dependency points inward"
fi
exit "$status"
