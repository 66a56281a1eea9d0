#!/usr/bin/env zsh
# zsh_complete.zsh DIR LINE: prints, one per line, what zsh's completion system offers for
# LINE (as if Tab were pressed at its end) with the completion functions in DIR on $fpath.
# It drives an interactive `zsh -f` on a pseudo-terminal (zsh/zpty) and records every match
# handed to compadd. Used by tests/cli/docs_tool_test.cpp.
emulate -L zsh
zmodload zsh/zpty || exit 2
local dir=$1 line=$2 out= chunk= i
zpty z zsh -f -i
zpty -w z "PROMPT= ; RPROMPT= ; unsetopt zle_bracketed_paste 2>/dev/null"
zpty -w z "fpath=(${(q)dir} \$fpath); autoload -Uz compinit; compinit -u -D"
zpty -w z "zstyle ':completion:*' list-grouped false; zstyle ':completion:*' menu no"
zpty -w z 'compadd() { local -a __hits; builtin compadd -O __hits "$@"; (( $#__hits )) && print -rl -- "<<${^__hits}>>"; builtin compadd "$@" }'
zpty -w z "bindkey '^I' complete-word; print -r -- READY"
zpty -r z out '*READY*' || exit 3
out=
zpty -n -w z "$line"$'\t'
for i in {1..300}; do
  chunk=
  zpty -r -t z chunk && out+=$chunk
  if [[ $out == *'<<'*'>>'* ]]; then
    sleep 0.3
    while zpty -r -t z chunk; do out+=$chunk; done
    break
  fi
  sleep 0.02
done
zpty -d z
# Each match was printed as <<match>> (the terminal may join or wrap the lines, and a
# match list may come as one word: split it; no completion tested has a space).
local -a hits
local piece
for piece in ${(s:<<:)out}; do
  [[ $piece == *'>>'* ]] && hits+=(${=${piece%%'>>'*}})
done
print -rl -- ${(u)hits}
