# Sourced by the example scripts: run COMMAND ARGS... echoes the command as it could be pasted
# back into a shell (arguments with spaces or shell characters single-quoted), then runs it.
quote() {
    local a=$1
    if [[ $a =~ ^[A-Za-z0-9_./:=,+%@-]+$ ]]; then
        printf '%s' "$a"
    else
        printf "'%s'" "${a//\'/\'\\\'\'}"
    fi
}
run() {
    local line='$' a
    for a in "$@"; do line+=" $(quote "$a")"; done
    printf '%s\n' "$line"
    "$@"
}
