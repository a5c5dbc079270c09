# PostgreSQL and MariaDB with TLS, next to the plain instances (which stay as they
# are), with the certificates of scripts/tls-certs.sh. Sourced by scripts/services.sh,
# which provides TLS_DIR and the helpers; each entry is "NAME PORT START_COMMAND…".
#
#   postgres-tls             5433  ssl = on, the valid certificate; TLS only (hostssl),
#                                  and the role healthz-client logs in by its client
#                                  certificate (`cert`, the CA as ssl_ca_file)
#   postgres-tls-other-host  5434  a certificate for other-host.invalid only
#   postgres-tls-expired     5435  an expired certificate
#   postgres-no-tls          5436  ssl = off: answers `N` to a TLS request (the plain
#                                  cluster on 5432 has Debian's snakeoil certificate)
#   mariadb-tls              3307  the valid certificate, --require-secure-transport,
#                                  and the user mtls REQUIRE X509 (mutual TLS)
#   mariadb-tls-other-host   3308  a certificate for other-host.invalid only
#   mariadb-tls-expired      3309  an expired certificate
#
# Each has a database `test` that the superuser (postgres, or root without a password)
# reaches from loopback without a password. Data directories are made once and kept;
# the settings are given again at each start.

# PostgreSQL refuses to run as root, and root's home is closed to other users, so as
# root the clusters belong to the postgres user and live in its home.
pg_tls_user() {
    if ((EUID == 0)); then echo postgres; else id -un; fi
}

pg_tls_base() {
    if ((EUID == 0)); then
        echo "$(getent passwd postgres | cut -d: -f6)/healthz-tls"
    else
        echo "$HOME/.cache/healthz/postgres-tls"
    fi
}

as_pg_tls_user() {
    if ((EUID == 0)); then runuser -u postgres -- "$@"; else "$@"; fi
}

# postgres_tls PORT CERT: a cluster on 127.0.0.1:PORT serving CERT.pem, or without TLS
# when CERT is `none`.
postgres_tls() {
    local port=$1 cert=$2
    local bin user dir
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [[ -x "$bin/initdb" ]] || { echo "PostgreSQL's server programs are not installed" >&2; return 1; }
    user=$(pg_tls_user)
    dir="$(pg_tls_base)/$port"
    install -d -o "$user" -m 700 "$(dirname "$dir")" "$dir" || return 1
    if [[ ! -f "$dir/PG_VERSION" ]]; then
        as_pg_tls_user "$bin/initdb" --no-sync -D "$dir" -U postgres --auth=trust -E UTF8 \
            --locale=C || return 1
    fi

    local settings="-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir"
    settings+=" -c shared_buffers=16MB -c max_connections=20"
    {
        echo "local all all trust"
        if [[ "$cert" == none ]]; then
            echo "host all all 127.0.0.1/32 trust"
        else
            echo "hostssl all healthz-client 127.0.0.1/32 cert"
            echo "hostssl all all 127.0.0.1/32 trust"
        fi
    } >"$dir/pg_hba.conf"
    if [[ "$cert" == none ]]; then
        settings+=" -c ssl=off"
    else
        # The server's key must belong to the server's user, readable by it alone.
        install -o "$user" -m 600 "$TLS_DIR/$cert.key" "$dir/server.key" &&
            install -o "$user" -m 644 "$TLS_DIR/$cert.pem" "$dir/server.crt" &&
            install -o "$user" -m 644 "$TLS_DIR/ca.pem" "$dir/ca.crt" || return 1
        settings+=" -c ssl=on -c ssl_cert_file=server.crt -c ssl_key_file=server.key"
        settings+=" -c ssl_ca_file=ca.crt"
    fi
    chown "$user" "$dir/pg_hba.conf"
    as_pg_tls_user "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -o "$settings" start ||
        return 1

    local psql=(as_pg_tls_user "$bin/psql" -h "$dir" -p "$port" -U postgres -X -q -t -A)
    if [[ -z "$("${psql[@]}" -d postgres -c "SELECT 1 FROM pg_database WHERE datname = 'test'")" ]]; then
        "${psql[@]}" -d postgres -c "CREATE DATABASE test" || return 1
    fi
    if [[ -z "$("${psql[@]}" -d postgres -c "SELECT 1 FROM pg_roles WHERE rolname = 'healthz-client'")" ]]; then
        "${psql[@]}" -d postgres -c 'CREATE ROLE "healthz-client" LOGIN' || return 1
    fi
}

# mariadb_tls PORT CERT [OPTION…]: a mariadbd on 127.0.0.1:PORT serving CERT.pem.
mariadb_tls() {
    local port=$1 cert=$2
    shift 2
    local dir="$HOME/.cache/healthz/mariadb-tls/$port"
    local user
    user=$(id -un)
    mkdir -p "$dir"
    if [[ ! -d "$dir/data/mysql" ]]; then
        mariadb-install-db --no-defaults --datadir="$dir/data" --user="$user" \
            --auth-root-authentication-method=normal --skip-test-db >"$dir/install.log" 2>&1 ||
            return 1
    fi
    # Run at every start, so that it must be idempotent.
    cat >"$dir/init.sql" <<'EOF'
CREATE DATABASE IF NOT EXISTS test;
CREATE USER IF NOT EXISTS 'mtls'@'%' REQUIRE X509;
GRANT ALL ON test.* TO 'mtls'@'%';
EOF
    # --no-defaults first: the plain instance's /etc/mysql settings are not ours.
    setsid nohup mariadbd --no-defaults --user="$user" --datadir="$dir/data" \
        --bind-address=127.0.0.1 --port="$port" --socket="$dir/mariadbd.sock" \
        --pid-file="$dir/mariadbd.pid" --log-error="$dir/error.log" \
        --init-file="$dir/init.sql" --innodb-buffer-pool-size=16M --performance-schema=OFF \
        --ssl-cert="$TLS_DIR/$cert.pem" --ssl-key="$TLS_DIR/$cert.key" --ssl-ca="$TLS_DIR/ca.pem" \
        "$@" </dev/null >/dev/null 2>&1 &
}

EXTRA_SERVICES+=(
    "postgres-tls 5433 postgres_tls 5433 server"
    "postgres-tls-other-host 5434 postgres_tls 5434 other-host"
    "postgres-tls-expired 5435 postgres_tls 5435 expired"
    "postgres-no-tls 5436 postgres_tls 5436 none"
    "mariadb-tls 3307 mariadb_tls 3307 server --require-secure-transport"
    "mariadb-tls-other-host 3308 mariadb_tls 3308 other-host"
    "mariadb-tls-expired 3309 mariadb_tls 3309 expired"
)
