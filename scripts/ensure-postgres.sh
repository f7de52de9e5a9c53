#!/usr/bin/env bash
# Makes sure a local PostgreSQL server runs for the multi-instance and fault tests (and
# the bench), and prints a URL for a role that may create databases, alone on stdout:
#   postgres://link_tracker_test:link_tracker_test@127.0.0.1:PORT/postgres
# With NAME and PORT (ensure-postgres.sh NAME PORT): a cluster of that name of its own,
# made when missing, that a fault test may stop and start without disturbing the others.
# Debian's postgresql package, installed with apt-get when missing, the cluster started
# with pg_ctlcluster. Exit 1 with the reason on stderr where that cannot be done (not
# root, no apt): the tests that need it then say so and are skipped.
set -u
say() { echo "ensure-postgres: $*" >&2; }
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    command -v pg_lsclusters >/dev/null 2>&1 || { say "PostgreSQL is not installed and this user cannot install it"; exit 1; }
  fi
fi

if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ -z "$(ls /usr/lib/postgresql/*/bin/postgres 2>/dev/null)" ]; then
  say "installing postgresql (apt-get)..."
  { $SUDO apt-get install -y postgresql >/dev/null 2>&1 || { $SUDO apt-get update >/dev/null 2>&1 && $SUDO apt-get install -y postgresql >/dev/null 2>&1; }; } ||
    { say "apt-get could not install postgresql"; exit 1; }
fi

want_name=${1:-}
want_port=${2:-}
version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if [ -n "$want_name" ]; then
  cluster=$(pg_lsclusters --no-header 2>/dev/null | awk -v n="$want_name" '$2 == n' | head -n 1)
  if [ -z "$cluster" ]; then
    $SUDO pg_createcluster "$version" "$want_name" -p "$want_port" >/dev/null 2>&1 || { say "pg_createcluster $version $want_name failed"; exit 1; }
    cluster=$(pg_lsclusters --no-header | awk -v n="$want_name" '$2 == n' | head -n 1)
  fi
else
  # Debian's "main" (the package makes it), else the first other one but the fault tests'; one is created when none exists.
  cluster=$(pg_lsclusters --no-header 2>/dev/null | awk '$2 == "main"' | head -n 1)
  [ -z "$cluster" ] && cluster=$(pg_lsclusters --no-header 2>/dev/null | awk '$2 != "link_tracker_faults"' | head -n 1)
  if [ -z "$cluster" ]; then
    $SUDO pg_createcluster "$version" main >/dev/null 2>&1 || { say "pg_createcluster $version main failed"; exit 1; }
    cluster=$(pg_lsclusters --no-header | awk '$2 == "main"' | head -n 1)
  fi
fi
read -r version name port status _ <<<"$cluster"
# With a third argument "tls" (ensure-postgres.sh NAME PORT tls): the cluster serves TLS
# with a certificate for "localhost" signed by a CA made here, as a managed database does;
# the CA is left readable at /etc/postgresql/VERSION/NAME/link-tracker-ca.pem.
if [ "${3:-}" = "tls" ]; then
  conf=/etc/postgresql/$version/$name
  if [ ! -f "$conf/link-tracker-ca.pem" ]; then
    command -v openssl >/dev/null 2>&1 || { $SUDO apt-get install -y openssl >/dev/null 2>&1; } || { say "openssl is missing"; exit 1; }
    work=$(mktemp -d)
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=link-tracker test CA" -keyout "$work/ca.key" -out "$work/ca.pem" >/dev/null 2>&1 &&
      openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$work/server.key" -out "$work/server.csr" >/dev/null 2>&1 &&
      printf 'subjectAltName=DNS:localhost\n' >"$work/ext" &&
      openssl x509 -req -in "$work/server.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial -days 3650 -extfile "$work/ext" -out "$work/server.pem" >/dev/null 2>&1 ||
      { say "openssl could not make the test certificates"; exit 1; }
    $SUDO install -o postgres -g postgres -m 0600 "$work/server.key" "$conf/link-tracker-server.key" &&
      $SUDO install -o postgres -g postgres -m 0644 "$work/server.pem" "$conf/link-tracker-server.pem" &&
      printf "ssl = on\nssl_cert_file = '%s'\nssl_key_file = '%s'\n" "$conf/link-tracker-server.pem" "$conf/link-tracker-server.key" | $SUDO tee "$conf/conf.d/link-tracker-tls.conf" >/dev/null &&
      $SUDO install -m 0644 "$work/ca.pem" "$conf/link-tracker-ca.pem" || { say "could not install the test certificates"; exit 1; }
    rm -rf "$work"
    [ "$status" = "online" ] && $SUDO pg_ctlcluster "$version" "$name" restart >/dev/null 2>&1
  fi
fi
if [ "$status" != "online" ]; then
  $SUDO pg_ctlcluster "$version" "$name" start >/dev/null 2>&1 || { say "pg_ctlcluster $version $name start failed"; exit 1; }
fi

psql_admin() { $SUDO su postgres -s /bin/sh -c "psql -p $port -v ON_ERROR_STOP=1 -qAtX $*"; }
for _ in $(seq 1 50); do psql_admin "-c 'select 1'" >/dev/null 2>&1 && break; sleep 0.2; done
psql_admin "-c \"do \\\$\\\$ begin
  if not exists (select from pg_roles where rolname = 'link_tracker_test') then
    create role link_tracker_test login createdb createrole password 'link_tracker_test';
  end if; end \\\$\\\$\"" >/dev/null || { say "could not create the test role"; exit 1; }
# (createrole: the tests make a role without privileges, to see it refused clearly.)
psql_admin "-c 'alter role link_tracker_test createdb createrole'" >/dev/null || { say "could not grant the test role"; exit 1; }

echo "postgres://link_tracker_test:link_tracker_test@127.0.0.1:$port/postgres"
