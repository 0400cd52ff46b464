#!/bin/sh
# Creates the namespace and registers the custom search attributes the workflows set (run by the
# `temporal-setup` service with the temporalio/admin-tools image, after the server is up).
# The attribute names must match SEARCH_ATTRIBUTE_NAMES in workflows/definitions.ts.
set -eu

ADDRESS="${TEMPORAL_ADDRESS:-temporal:7233}"
NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
RETENTION="${TEMPORAL_RETENTION:-30d}"
SEARCH_ATTRIBUTES="ChatId WhatsAppSession PatientId TriageLevel"

t() { temporal --address "$ADDRESS" "$@"; }

echo "temporal-setup: waiting for $ADDRESS"
tries=0
until t operator cluster health 2>/dev/null | grep -q SERVING; do
  tries=$((tries + 1))
  [ "$tries" -gt 90 ] && { echo "temporal-setup: $ADDRESS did not become healthy" >&2; exit 1; }
  sleep 2
done

if t operator namespace describe --namespace "$NAMESPACE" >/dev/null 2>&1; then
  echo "temporal-setup: namespace $NAMESPACE exists"
else
  t operator namespace create --namespace "$NAMESPACE" --retention "$RETENTION"
  echo "temporal-setup: namespace $NAMESPACE created (retention $RETENTION)"
fi

# A new namespace takes a few seconds to reach every service, so registration is retried.
for name in $SEARCH_ATTRIBUTES; do
  tries=0
  until t operator search-attribute list --namespace "$NAMESPACE" 2>/dev/null | grep -Eq "(^|[[:space:]])$name([[:space:]]|$)"; do
    tries=$((tries + 1))
    [ "$tries" -gt 30 ] && { echo "temporal-setup: could not register $name" >&2; exit 1; }
    t operator search-attribute create --namespace "$NAMESPACE" --name "$name" --type Keyword >/dev/null 2>&1 || sleep 2
  done
  echo "temporal-setup: search attribute $name (Keyword) registered"
done
echo "temporal-setup: done"
