#!/usr/bin/env bash
# Host test of the generated man pages and shell completions (scripts/generate-docs),
# from the debug build: every page renders with man and groff without a warning and
# lexgrog reads its NAME line; every option that a program's --help (and each jooldctl
# subcommand's) lists is in its rendered page; the completion scripts parse
# (bash -n, zsh -n, fish -n) and complete subcommands, options and their values in bash
# and fish. scripts/test runs it; the last line is "docs: N passed, N failed".
#
#   Tests/package/docs.sh [BINDIR]      (default .build/debug, built by swift build)
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bindir=${1:-$root/.build/debug}
out=$(mktemp -d /tmp/joold-docs.XXXXXX)
trap 'rm -rf "$out"' EXIT
passed=0 failed=0

check() {  # check DESCRIPTION COMMAND...
    local what=$1; shift
    if "$@"; then passed=$((passed + 1)); else echo "FAIL: $what"; failed=$((failed + 1)); fi
}
skip() { echo "skipped: $*"; }

"$root/scripts/generate-docs" "$bindir" "$out" || { echo "docs: 0 passed, 1 failed (generate-docs)"; exit 1; }

# ---- man pages ----------------------------------------------------------------------
rendered() { MANWIDTH=250 man -l "$1" 2>/dev/null | col -b; }

no_groff_warnings() {
    local warnings
    warnings=$(groff -ww -z -mandoc "$1" 2>&1) && [ -z "$warnings" ] && return 0
    printf '    %s\n' "$warnings"; return 1
}

renders_with_sections() {  # renders_with_sections PAGE SECTION...
    local page=$1 text; shift
    text=$(rendered "$page") || return 1
    local section
    for section in NAME SYNOPSIS DESCRIPTION "$@"; do
        grep -qx "$section" <<<"$text" || { echo "    no section $section"; return 1; }
    done
}

# The options a --help text lists: words starting with - or --.
help_options() {
    grep -oE '(^|[][ ,(|])--?[a-zA-Z][a-zA-Z0-9.-]*' | sed -E 's/^[][ ,(|]//; s/[.-]+$//' | sort -u
}

page_has_options() {  # page_has_options PAGE HELP_TEXT
    local text missing=() option
    text=$(rendered "$1")
    while read -r option; do
        grep -qE -- "(^|[^a-zA-Z0-9.-])$option([^a-zA-Z0-9.-]|$)" <<<"$text" || missing+=("$option")
    done < <(help_options <<<"$2")
    [ ${#missing[@]} -eq 0 ] || { echo "    missing: ${missing[*]}"; return 1; }
}

for page in joold joold-supervisor jooldctl joold-worker; do
    file=$out/man/$page.8
    check "$page.8: groff -ww reports nothing" no_groff_warnings "$file"
    check "$page.8: man renders NAME, SYNOPSIS, DESCRIPTION, EXIT STATUS, SEE ALSO" \
        renders_with_sections "$file" "EXIT STATUS" "SEE ALSO"
    check "$page.8: lexgrog reads its NAME line" bash -c "lexgrog '$file' | grep -q ' - '"
done
for page in joold joold-supervisor jooldctl; do
    check "$page.8 has FILES, SIGNALS and EXAMPLES" renders_with_sections "$out/man/$page.8" FILES SIGNALS EXAMPLES
done

check "joold.8 has every option of joold --help" page_has_options "$out/man/joold.8" "$("$bindir/joold" --help)"
check "joold-supervisor.8 has every option of joold-supervisor --help" \
    page_has_options "$out/man/joold-supervisor.8" "$("$bindir/joold-supervisor" --help)"
jooldctl_help=$("$bindir/jooldctl" --help)
subcommands=$(sed -n '/^SUBCOMMANDS:/,/^$/p' <<<"$jooldctl_help" | awk '/^  [a-z]/ { print $1 }')
check "jooldctl --help lists subcommands" test -n "$subcommands"
for sub in $subcommands; do
    [ "$sub" = help ] && continue
    check "jooldctl.8 has every option of jooldctl $sub --help" \
        page_has_options "$out/man/jooldctl.8" "$("$bindir/jooldctl" "$sub" --help)"
    check "jooldctl.8 describes $sub" bash -c "rendered() { MANWIDTH=250 man -l \"\$1\" | col -b; }; rendered '$out/man/jooldctl.8' | grep -qE '^[[:space:]]+$sub([[:space:]]|\$)'"
done
check "jooldctl.8 has every option of jooldctl --help" page_has_options "$out/man/jooldctl.8" "$jooldctl_help"
# The help's ENVIRONMENT and EXIT STATUS paragraphs are sections of the page.
check "jooldctl.8: ENVIRONMENT names JOOLDCTL_SOCKET, EXIT STATUS 0 to 4" bash -c "
    text=\$(MANWIDTH=250 man -l '$out/man/jooldctl.8' | col -b)
    grep -qx ENVIRONMENT <<<\"\$text\" && grep -q JOOLDCTL_SOCKET <<<\"\$text\" &&
        for s in 0 1 2 3 4; do grep -qE \"^[[:space:]]+\$s[[:space:]]+[A-Z]\" <<<\"\$text\" || exit 1; done"
check "joold-supervisor.8 has no implicit help subcommand" bash -c "! grep -q 'subcommand' '$out/man/joold-supervisor.8'"
check "every page is dated and names the version" bash -c "
    for f in '$out'/man/*.8; do grep -qE '^\.Dd [A-Z][a-z]+ [0-9]+, [0-9]{4}$' \"\$f\" && grep -qE '^\.Os joold-supervisor [0-9]' \"\$f\" || exit 1; done"

# ---- completions --------------------------------------------------------------------
for program in joold joold-supervisor jooldctl; do
    check "bash -n completions/bash/$program" bash -n "$out/completions/bash/$program"
    if command -v zsh >/dev/null; then
        check "zsh -n completions/zsh/_$program" zsh -n "$out/completions/zsh/_$program"
        check "completions/zsh/_$program starts with #compdef $program" \
            bash -c "head -n1 '$out/completions/zsh/_$program' | grep -qx '#compdef $program'"
    else
        skip "zsh is not installed"
    fi
    if command -v fish >/dev/null; then
        check "fish -n completions/fish/$program.fish" fish -n "$out/completions/fish/$program.fish"
    else
        skip "fish is not installed"
    fi
done

# bash_completes PROGRAM "COMMAND LINE" EXPECTED...: completing at the end of the line
# offers every EXPECTED word (the function is called as bash calls it: program, word, previous word).
bash_completes() {
    local program=$1 line=$2; shift 2
    local offered
    offered=$(cd "$out/files" && bash -c '
        source "$1"; line=$2
        COMP_LINE=$line COMP_POINT=${#line}
        read -ra COMP_WORDS <<<"$line"
        [[ $line == *" " ]] && COMP_WORDS+=("")
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        "_${COMP_WORDS[0]//-/_}" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}" 2>/dev/null ||
            "_${COMP_WORDS[0]}" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
        printf "%s\n" "${COMPREPLY[@]}"' _ "$out/completions/bash/$program" "$line")
    local word
    for word in "$@"; do
        grep -qxF -- "$word" <<<"$offered" || { echo "    '$line' offers: $(echo $offered)"; return 1; }
    done
}
mkdir -p "$out/files" && touch "$out/files/netsocket.json"
check "bash: jooldctl ad<TAB>" bash_completes jooldctl "jooldctl ad" add advertise
check "bash: jooldctl add --ne<TAB>" bash_completes jooldctl "jooldctl add --ne" --net --netns
check "bash: joold-supervisor --lo<TAB>" bash_completes joold-supervisor "joold-supervisor --lo" --log-level
check "bash: joold --net.d<TAB>" bash_completes joold "joold --net.d" --net.dev.in --net.dev.out
check "bash: joold --log-level w<TAB>" bash_completes joold "joold --log-level w" warning
check "bash: joold --log-level=w<TAB> (= is a word of its own)" bash_completes joold "joold --log-level = w" warning
check "bash: joold --mod <TAB> offers files" bash_completes joold "joold --mod net" netsocket.json
check "bash: joold --net.dev.in <TAB> offers interfaces" bash_completes joold "joold --net.dev.in l" lo

fish_completes() {  # fish_completes PROGRAM "COMMAND LINE" EXPECTED...
    local program=$1 line=$2; shift 2
    local offered word
    offered=$(cd "$out/files" && fish -c 'source $argv[1]; complete -C"$argv[2]"' "$out/completions/fish/$program.fish" "$line" | cut -f1)
    for word in "$@"; do
        grep -qxF -- "$word" <<<"$offered" || { echo "    '$line' offers: $(echo $offered)"; return 1; }
    done
}
if command -v fish >/dev/null; then
    check "fish: jooldctl ad<TAB>" fish_completes jooldctl "jooldctl ad" add advertise
    check "fish: joold --net.d<TAB>" fish_completes joold "joold --net.d" --net.dev.in --net.dev.out
    check "fish: joold --log-level=w<TAB>" fish_completes joold "joold --log-level=w" --log-level=warning
    check "fish: joold --mod <TAB> offers files" fish_completes joold "joold --mod net" netsocket.json
    check "fish: joold-supervisor --lo<TAB>" fish_completes joold-supervisor "joold-supervisor --lo" --log-level
fi

echo "docs: $passed passed, $failed failed"
[ $failed -eq 0 ]
