# The servers of the TlsCertificate check's STARTTLS tests, with the certificates of
# scripts/tls-certs.sh. Sourced by scripts/services.sh, which provides TLS_DIR and the
# helpers; each entry is "NAME PORT START_COMMAND…". (Its direct TLS cases use the
# Memcached instances of memcached-tls.sh.)
#
#   smtp-starttls        2525  aiosmtpd offering and requiring STARTTLS, server.pem
#   smtp-plain           2526  aiosmtpd without TLS: no STARTTLS in its EHLO reply
#   postgres-starttls    9444  a PostgreSQL cluster with ssl = on, server.pem
#   postgres-no-ssl      9445  a PostgreSQL cluster with ssl = off: answers N to an
#                              SSL request (the packaged cluster on 5432 has ssl = on)
#
# aiosmtpd comes from PyPI into a virtualenv; the clusters are made once and kept, their
# settings given again at each start.

TLSCHECK_SMTP_VENV="${HEALTHZ_SMTP_VENV:-$HOME/.cache/healthz/smtp-venv}"

# tlscheck_smtp PORT [OPTION…]: aiosmtpd on 127.0.0.1:PORT, discarding any mail.
tlscheck_smtp() {
    local port=$1
    shift
    if [[ ! -x "$TLSCHECK_SMTP_VENV/bin/aiosmtpd" ]]; then
        python3 -m venv "$TLSCHECK_SMTP_VENV" || return 1
        "$TLSCHECK_SMTP_VENV/bin/pip" install --quiet 'aiosmtpd==1.4.*' || return 1
    fi
    nohup "$TLSCHECK_SMTP_VENV/bin/aiosmtpd" -n -c aiosmtpd.handlers.Sink \
        -l "127.0.0.1:$port" "$@" >"$STATE_DIR/smtp-$port.log" 2>&1 </dev/null &
    echo $! >"$STATE_DIR/smtp-$port.pid"
}

# PostgreSQL refuses to run as root, and root's home is closed to other users, so as
# root the clusters belong to the postgres user and live in its home.
tlscheck_pg_run() {
    if ((EUID == 0)); then runuser -u postgres -- "$@"; else "$@"; fi
}

# tlscheck_postgres PORT on|off: a cluster on 127.0.0.1:PORT, serving server.pem when on.
tlscheck_postgres() {
    local port=$1 ssl=$2 bin user=postgres base
    if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
        apt_install postgresql || return 1
    fi
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    if ((EUID == 0)); then
        base="$(getent passwd postgres | cut -d: -f6)/healthz-tls-certificate"
    else
        user=$(id -un)
        base="$HOME/.cache/healthz/tls-certificate-postgres"
    fi
    local dir="$base/$port"
    install -d -o "$user" -m 700 "$base" "$dir" || return 1
    if [[ ! -f "$dir/PG_VERSION" ]]; then
        tlscheck_pg_run "$bin/initdb" --no-sync -D "$dir" -U postgres --auth=trust -E UTF8 \
            --locale=C >"$STATE_DIR/postgres-$port.initdb.log" || return 1
    fi
    local settings="-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir"
    settings+=" -c shared_buffers=16MB -c max_connections=10 -c ssl=$ssl"
    if [[ "$ssl" == on ]]; then
        # The server's key must belong to the server's user, readable by it alone.
        install -o "$user" -m 600 "$TLS_DIR/server.key" "$dir/server.key" &&
            install -o "$user" -m 644 "$TLS_DIR/server.pem" "$dir/server.crt" || return 1
        settings+=" -c ssl_cert_file=server.crt -c ssl_key_file=server.key"
    fi
    tlscheck_pg_run "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -o "$settings" start
}

EXTRA_SERVICES+=(
    "smtp-starttls 2525 tlscheck_smtp 2525 --tlscert $TLS_DIR/server.pem --tlskey $TLS_DIR/server.key"
    "smtp-plain 2526 tlscheck_smtp 2526"
    "postgres-starttls 9444 tlscheck_postgres 9444 on"
    "postgres-no-ssl 9445 tlscheck_postgres 9445 off"
)
