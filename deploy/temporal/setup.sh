#!/bin/sh
# One-shot setup of a Temporal server for Parley: waits until the frontend serves, creates the namespace when it
# is missing, and registers Parley's search attributes. Idempotent: run it any number of times.
# Runs in temporalio/admin-tools (POSIX sh, `temporal` CLI).
set -eu

ADDRESS=${TEMPORAL_ADDRESS:-temporal:7233}
NAMESPACE=${TEMPORAL_NAMESPACE:-default}
RETENTION=${TEMPORAL_NAMESPACE_RETENTION:-168h}
WAIT_SECONDS=${TEMPORAL_SETUP_WAIT_SECONDS:-120}

# Name:Type, exactly workflows/definitions.ts SEARCH_ATTRIBUTES (test/ops-compose.test.ts keeps them equal).
PARLEY_SEARCH_ATTRIBUTES="
ParleyApp:Keyword
ParleyUser:Keyword
ParleyStatus:Keyword
SlackChannel:Keyword
SlackThread:Keyword
ZendeskTicket:Keyword
HelpScoutConversation:Keyword
EmailThread:Keyword
ParleyAssignee:Keyword
ParleyControl:Keyword
ParleyIntegrations:KeywordList
"

t() { temporal "$@" --address "$ADDRESS"; }

echo "setup: waiting for Temporal at $ADDRESS (up to ${WAIT_SECONDS}s)"
deadline=$(($(date +%s) + WAIT_SECONDS))
until t operator cluster health >/dev/null 2>&1; do
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "setup: Temporal at $ADDRESS did not become healthy in ${WAIT_SECONDS}s" >&2
    t operator cluster health || true
    exit 1
  fi
  sleep 2
done

if t operator namespace describe --namespace "$NAMESPACE" >/dev/null 2>&1; then
  echo "setup: namespace $NAMESPACE exists"
else
  echo "setup: creating namespace $NAMESPACE (retention $RETENTION)"
  # A concurrent run may create it first: accept that, then check it is there.
  t operator namespace create --namespace "$NAMESPACE" --retention "$RETENTION" ||
    t operator namespace describe --namespace "$NAMESPACE" >/dev/null
fi

# Lower-case letters only: the CLI prints types as Keyword / KeywordList or as the enum name.
norm() { echo "$1" | tr 'A-Z' 'a-z' | sed -e 's/indexed_value_type_//' -e 's/[^a-z]//g'; }

listed() { t operator search-attribute list --namespace "$NAMESPACE"; }

# The type of a registered attribute, empty when it is not registered.
type_of() { listed | awk -v n="$1" '$1 == n { print $2; exit }'; }

# A namespace created a moment ago takes a few seconds to reach every frontend: retry until the deadline.
deadline=$(($(date +%s) + WAIT_SECONDS))
for spec in $PARLEY_SEARCH_ATTRIBUTES; do
  name=${spec%%:*}
  type=${spec#*:}
  until have=$(type_of "$name") && [ -n "$have" ]; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "setup: could not register $name ($type) in namespace $NAMESPACE" >&2
      exit 1
    fi
    echo "setup: registering $name ($type)"
    t operator search-attribute create --namespace "$NAMESPACE" --name "$name" --type "$type" || sleep 2
  done
  if [ "$(norm "$have")" != "$(norm "$type")" ]; then
    echo "setup: search attribute $name exists as $have, Parley needs $type" >&2
    exit 1
  fi
  echo "setup: $name ($type) registered"
done
echo "setup: namespace $NAMESPACE ready for Parley"
