#!/bin/sh
# Installs the Flotilla agent from a Flotilla server and starts it under systemd:
#
#   curl -fsSL http://SERVER:8080/install/agent.sh | sh -s -- --enroll-token fle_...
#
# Options: --enroll-token TOKEN | --claim-code CODE, --server URL (default: where this script
# came from), --user (install to ~/.local without root or systemd), --no-start.
set -eu

SERVER_URL="${FLOTILLA_SERVER_URL:-__FLOTILLA_SERVER_URL__}"
TOKEN=""
CLAIM=""
USER_INSTALL=0
START=1

fail() { echo "flotilla install: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --enroll-token) [ $# -ge 2 ] || fail "--enroll-token needs a value"; TOKEN="$2"; shift 2 ;;
    --claim-code) [ $# -ge 2 ] || fail "--claim-code needs a value"; CLAIM="$2"; shift 2 ;;
    --server) [ $# -ge 2 ] || fail "--server needs a value"; SERVER_URL="$2"; shift 2 ;;
    --user) USER_INSTALL=1; shift ;;
    --no-start) START=0; shift ;;
    *) fail "unknown option $1 (use --enroll-token, --claim-code, --server, --user, --no-start)" ;;
  esac
done

case "$SERVER_URL" in
  http://*|https://*) ;;
  *) fail "no server URL: pass --server http://host:8080" ;;
esac

# Step: Node.js 20 or newer.
command -v node >/dev/null 2>&1 || fail "Node.js 20 or newer is needed (https://nodejs.org, or: apt install nodejs)"
NODE_MAJOR=$(node -p 'process.versions.node.split(".")[0]')
[ "$NODE_MAJOR" -ge 20 ] || fail "Node.js $NODE_MAJOR found; 20 or newer is needed"

# Step: where it goes.
if [ "$USER_INSTALL" -eq 1 ] || [ "$(id -u)" -ne 0 ]; then
  if [ "$USER_INSTALL" -eq 0 ] && command -v sudo >/dev/null 2>&1; then
    fail "run as root for a system install (curl … | sudo sh -s -- …), or pass --user"
  fi
  PREFIX="$HOME/.local/share/flotilla-agent"
  CONFIG_DIR="$HOME/.config/flotilla"
  STATE_DIR="$PREFIX/state"
  USER_INSTALL=1
else
  PREFIX=/opt/flotilla
  CONFIG_DIR=/etc/flotilla
  STATE_DIR=/var/lib/flotilla-agent
fi
mkdir -p "$PREFIX" "$CONFIG_DIR"

# Step: the agent, one file.
echo "downloading the agent from $SERVER_URL"
if command -v curl >/dev/null 2>&1; then
  curl -fsSL "$SERVER_URL/install/flotilla-agent.mjs" -o "$PREFIX/flotilla-agent.mjs.new" || fail "download failed: $SERVER_URL/install/flotilla-agent.mjs"
else
  wget -qO "$PREFIX/flotilla-agent.mjs.new" "$SERVER_URL/install/flotilla-agent.mjs" || fail "download failed: $SERVER_URL/install/flotilla-agent.mjs"
fi
mv "$PREFIX/flotilla-agent.mjs.new" "$PREFIX/flotilla-agent.mjs"
node "$PREFIX/flotilla-agent.mjs" --version >/dev/null || fail "the downloaded agent does not run"

# Step: the config (the token is used once; the credentials then live in the state directory).
CONFIG="$CONFIG_DIR/agent.json"
umask 077
{
  printf '{\n  "server": "%s",\n  "stateDir": "%s"' "$SERVER_URL" "$STATE_DIR"
  [ -n "$TOKEN" ] && printf ',\n  "enrollToken": "%s"' "$TOKEN"
  [ -n "$CLAIM" ] && printf ',\n  "claimCode": "%s"' "$CLAIM"
  printf '\n}\n'
} > "$CONFIG"
echo "wrote $CONFIG"

# Step: the service.
if [ "$USER_INSTALL" -eq 1 ] || ! command -v systemctl >/dev/null 2>&1; then
  echo "installed. Run it with: node $PREFIX/flotilla-agent.mjs --config $CONFIG"
  exit 0
fi
curl -fsSL "$SERVER_URL/install/flotilla-agent.service" -o /etc/systemd/system/flotilla-agent.service 2>/dev/null \
  || fail "download failed: $SERVER_URL/install/flotilla-agent.service"
systemctl daemon-reload
if [ "$START" -eq 1 ]; then
  systemctl enable --now flotilla-agent
  echo "flotilla-agent is running: journalctl -u flotilla-agent -f"
else
  systemctl enable flotilla-agent
fi
