# Why a scenario failed, from its log: its pytest failures (FAILED lines, then
# the first assertion lines); else its last fatal task that was not ignored
# (the task's name and the msg, joined), and molecule's own ERROR lines.
function commit() { if (inblock && $0 !~ /\.\.\.ignoring/) { fatal = ftask; fmsg = msg }; inblock = 0 }
{
  gsub(/\x1b\[[0-9;]*m/, "")
  sub(/^ *\xe2\x94\x82 /, "")
  if (inblock) {
    if ($0 ~ /^ /) {
      if ($0 ~ /^    msg: /) { msg = $0; inmsg = 1 }
      else if (inmsg && $0 ~ /^  ([^ ]|      ?[^ ])/ && $0 !~ /^    [a-z_]+: /) msg = msg " " $0
      else inmsg = 0
      next
    }
    commit()
  }
  if (intask && $0 ~ /^  [^ ]/) { task = task " " substr($0, 3) }
  intask = 0
  if ($0 ~ /^TASK \[/) { task = $0; intask = ($0 !~ /\]/) }
  if ($0 ~ /^fatal: /) { inblock = 1; inmsg = 0; ftask = task; msg = $0 }
  else if ($0 ~ /^FAILED [^ ]+::/ && nf < 3) failed[nf++] = $0
  else if ($0 ~ /^E +[A-Za-z]/ && ne < 2) e[ne++] = $0
  else if ($0 ~ /^(ERROR|CRITICAL) +[^ ]/ && nm < 2) m[nm++] = $0
}
END {
  commit()
  if (nf > 0) { for (i = 0; i < nf; i++) print failed[i]; for (i = 0; i < ne; i++) print e[i] }
  else {
    if (fatal != "" || fmsg != "") { print fatal; gsub(/  +/, " ", fmsg); print fmsg }
    for (i = 0; i < nm; i++) print m[i]
  }
}
