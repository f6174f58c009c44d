# Finishes a generated mdoc page (swift-argument-parser's generate-manual, or
# joold --generate-manual) for scripts/generate-docs:
#   - dates it (-v date="December 3, 2026") and names the project in the footer (-v os=...);
#   - the help texts' blank lines become paragraphs (.Pp) and their indented lines
#     (examples, tables) literal displays, where mdoc would fill them into one line;
#   - drops ArgumentParser's implicit "help" subcommand, and the SYNOPSIS "subcommand"
#     of a program that has no other;
#   - drops the paragraphs of the top DESCRIPTION headed by a line named in -v moved
#     ("ENVIRONMENT|EXIT STATUS"), which the hand-written sections give as sections;
#   - ends the page with the hand-written sections (-v sections=FILE) in place of the
#     generic EXIT STATUS.
# Usage: awk -v date=... -v os=... -v sections=FILE -v moved=... -f finish-manpage.awk PAGE PAGE
# (the page twice: the first pass counts the subcommands).

FNR == NR {
    if ($0 ~ /^\.It Em / && $0 != ".It Em help") subcommands++
    next
}

function end_literal() {
    if (literal) { print ".Ed"; literal = 0 }
}

# Inside the dropped "help" entry: up to the end of its nested list.
dropping {
    if ($0 ~ /^\.Bl/) depth++
    else if ($0 ~ /^\.El/ && --depth == 0) { dropping = 0; next }
    if (depth == 0 && $0 ~ /^\.(It|El)/) dropping = 0
    else next
}

# Inside a moved paragraph of the DESCRIPTION: up to the next blank line or macro.
skipping_moved {
    if ($0 == "" || $0 ~ /^\./) skipping_moved = 0
    else next
}

/^\.Sh "EXIT STATUS"/ { end_literal(); exit }
/^\.Dd/ { print ".Dd " date; next }
/^\.Os/ { print ".Os " os; next }
/^\.Sh DESCRIPTION/ { in_description = 1 }
/^\.Bl/ { in_description = 0 }
$0 == ".It Em help" { end_literal(); dropping = 1; depth = 0; next }
$0 == ".Ar subcommand" && !subcommands { next }

$0 == "" { end_literal(); paragraph = 1; next }

/^\./ { end_literal(); paragraph = 0; print; next }

in_description && moved != "" && $0 ~ ("^(" moved ")$") { end_literal(); paragraph = 0; skipping_moved = 1; next }

/^[ \t]/ {
    if (!literal) { print ".Bd -literal -offset indent"; literal = 1; paragraph = 0 }
    line = $0
    sub(/^  /, "", line)
    if (line ~ /^[.']/) line = "\\&" line
    print line
    next
}

{
    end_literal()
    if (paragraph) { print ".Pp"; paragraph = 0 }
    print
}

END {
    end_literal()
    while ((getline line < sections) > 0) print line
}
