#!/bin/sh
# Renders a pull-request comment (`schemac plan --format markdown`) the way a
# reviewer sees it, to look at before changing the format: GitHub-flavoured
# markdown (cmark-gfm, with its tables and raw HTML), GitHub's alert boxes and a
# similar stylesheet, in headless Chromium, to a PNG.
#   tools/preview_comment.sh plan.md plan.png [open]   # open: unfold every <details>
# Needs: apt-get install cmark-gfm chromium
set -eu
in=$1 out=$2 open=${3:-}
html=$(mktemp --suffix=.html)
trap 'rm -f "$html"' EXIT
{
  cat <<'CSS'
<!doctype html><meta charset="utf-8"><style>
body{font:14px/1.5 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#1f2328;max-width:900px;margin:16px auto;padding:0 16px}
h3,h4{margin:16px 0 8px} code{background:#eff1f3;padding:.1em .3em;border-radius:4px;font-size:85%}
pre{background:#f6f8fa;padding:12px;overflow:auto;border-radius:6px;font-size:12px} pre code{background:none;padding:0}
table{border-collapse:collapse;margin:8px 0;font-size:13px} th,td{border:1px solid #d1d9e0;padding:4px 10px;vertical-align:top}
tr:nth-child(2n){background:#f6f8fa} details{margin:6px 0} summary{cursor:pointer}
blockquote{margin:8px 0;padding:4px 12px;border-left:4px solid #d1d9e0;color:#59636e}
.alert-caution{border-left-color:#cf222e}.alert-caution>p:first-child{color:#cf222e;font-weight:600}
.alert-note{border-left-color:#0969da}.alert-note>p:first-child{color:#0969da;font-weight:600}
.alert-warning{border-left-color:#9a6700}.alert-warning>p:first-child{color:#9a6700;font-weight:600}
sub{color:#59636e}
</style>
CSS
  cmark-gfm --unsafe -e table -e strikethrough -e autolink -e tagfilter "$in" |
    # GitHub's alerts: "> [!CAUTION]" becomes a titled, coloured box.
    sed -E 's#<blockquote>#<blockquote class="alert">#; s#<p>\[!(CAUTION|NOTE|WARNING)\]#<p>\1#' |
    awk '/<blockquote class="alert">/{getline nxt; t=tolower(nxt); sub(/.*<p>/,"",t); sub(/[^a-z].*/,"",t);
          sub(/class="alert"/,"class=\"alert alert-" t "\""); print; print nxt; next} {print}' |
    if [ "$open" = open ]; then sed 's/<details>/<details open>/g'; else cat; fi
} > "$html"
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=960,${HEIGHT:-2400} \
  --screenshot="$out" "file://$html" 2>/dev/null
echo "$out"
