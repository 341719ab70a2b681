#!/bin/bash
# every 20 s: for each node process (edgechain start), pid, RSS, RssAnon, RssFile (kB)
out=$1
while true; do
  t=$(date +%s)
  for p in $(pgrep -f "edgechain.js start"); do
    a=$(awk '/^RssAnon|^RssFile|^VmRSS|^Threads/{printf "%s=%s ", $1, $2}' /proc/$p/status 2>/dev/null)
    echo "$t $p $a" >> $out
  done
  sleep 20
done
