#!/usr/bin/env bash
# Regenerate tests/fixtures/vectors/*.json with the providers' own (pinned) SDKs.
#
#   tools/vectors/generate.sh          # install pinned SDKs if needed, regenerate, cross-check, write
#   tools/vectors/generate.sh --check  # regenerate into a temp dir and diff against the committed files
#
# Needs python3 (3.11; the pins were frozen with it) with venv, and node >= 20 with npm.  SDKs go into
# tools/vectors/.venv and tools/vectors/node_modules (both gitignored); override the venv
# location with VECTORS_VENV=/some/dir.  Output never depends on the current time.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=/dev/null
source "$HERE/lib.sh"
REPO="$(cd "$HERE/../.." && pwd)"
OUT="$REPO/tests/fixtures/vectors"
VENV="${VECTORS_VENV:-$HERE/.venv}"
FILES=(stripe.json github.json standard-webhooks.json svix.json tolinku.json)
FILES+=(hubspot.json square.json linear.json mux.json notion.json contentful.json box.json coinbase.json razorpay.json shopify.json)  # npm-sdks/
# PyPI SDKs of Slack, Paddle, Twilio, Airtable (tools/vectors/py-sdks, own pinned venv).
FILES+=(slack.json paddle.json twilio.json airtable.json)
# Senders without an SDK, written from their docs (tools/vectors/docs, Python stdlib only).
FILES+=(zoom.json twitch.json intercom.json typeform.json woocommerce.json bitbucket.json calendly.json xero.json pagerduty.json sentry.json vercel.json jira.json asana.json dropbox.json)
# Svix senders (Clerk, Resend), Standard Webhooks v1a, Discord, SendGrid, GitLab, Okta, Mailgun (tools/vectors/svix-asym).
FILES+=(clerk.json resend.json standard-webhooks-v1a.json discord.json sendgrid.json gitlab.json okta.json mailgun.json)
# Catalogue generators, one directory each (own pins; the sender's SDK verifies where one exists).
FILES+=(openai.json replicate.json workos.json heroku.json circleci.json buildkite.json terraform.json launchdarkly.json alchemy.json mongodb.json sonatype.json autodesk.json clearbit.json signal-sciences.json trendmicro-conformity.json segment.json dwolla.json hookdeck.json cal-com.json easypost.json)  # devtools/
FILES+=(checkout.json gocardless.json paystack.json lemonsqueezy.json lithic.json onfido.json modern-treasury.json polar.json brex.json aftership.json chargify.json bolt.json castle.json worldline.json orb.json recurly.json persona.json)  # payments/
FILES+=(netlify.json monday.json chargebee.json pipedrive.json postmark.json)  # tokens/
FILES+=(line.json zendesk.json customerio.json front.json helpscout.json nylas.json webex.json telnyx.json pusher.json clickup.json frameio.json tiktok.json trello.json docusign.json mandrill.json)  # messaging/
FILES+=(facebook.json instagram.json whatsapp.json twitter.json microsoft-teams.json azure-event-grid.json telegram.json microsoft-graph.json)  # social/
FILES+=(adyen.json)  # adyen/
FILES+=(orbit.json go1.json plivo.json)  # extra-a/
FILES+=(mailchimp.json hostedhooks.json pinwheel.json hygraph.json vmware.json)  # extra-b/
FILES+=(airship.json)  # airship/

mode=write
case "${1:-}" in
  "") ;;
  --check) mode=check ;;
  -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

log() { echo "generate.sh: $*" >&2; }

# --- Python SDKs (exact tree from requirements.txt) -------------------------------------
ensure_venv "$VENV" "$HERE/requirements.txt"

# --- py-sdks: Slack/Paddle/Twilio/Airtable SDKs, own venv (exact tree from its requirements.txt)
PY_SDKS_VENV="${VECTORS_PY_SDKS_VENV:-$HERE/py-sdks/.venv}"
ensure_venv "$PY_SDKS_VENV" "$HERE/py-sdks/requirements.txt"

# --- Node SDKs (exact tree from package-lock.json) --------------------------------------
ensure_node_modules "$HERE"

# --- generate into a temp dir, cross-check there, then publish ---------------------------
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# Keep the SDKs' own environment from leaking in (timezone / locale never matter, but pin anyway).
export TZ=UTC LC_ALL=C.UTF-8 PYTHONHASHSEED=0 PYTHONDONTWRITEBYTECODE=1

"$VENV/bin/python" "$HERE/gen_py.py" "$TMP"      # stripe, standard-webhooks, svix (+ SDK verify)
node "$HERE/gen_node.mjs" "$TMP"                 # github, tolinku (+ SDK / docs verify)
"$HERE/npm-sdks/gen.sh" "$TMP"                  # hubspot, square, linear, mux, notion, contentful, box, coinbase, razorpay, shopify (own npm ci; SDK verify)
"$PY_SDKS_VENV/bin/python" "$HERE/py-sdks/gen.py" "$TMP"  # slack, paddle, twilio, airtable (+ SDK verify, stdlib re-derivation)
python3 "$HERE/docs/gen_docs.py" "$TMP"          # zoom, twitch, ... dropbox (docs; stdlib verify)
"$HERE/svix-asym/generate.sh" "$TMP"             # clerk, resend, v1a, discord, sendgrid, gitlab, okta, mailgun (own pins; SDK verify, crosscheck)
"$HERE/devtools/gen.sh" "$TMP"                   # openai ... easypost (own pins; SDK verify where one exists)
"$HERE/payments/gen.sh" "$TMP"                   # checkout ... worldline (own venv; SDK / docs verifiers)
"$HERE/tokens/gen.sh" "$TMP"                     # netlify, monday (PyJWT), chargebee, pipedrive, postmark (Basic auth, stdlib)
"$HERE/messaging/gen.sh" "$TMP"                  # line ... mandrill (own npm tree; SDK verify where one exists)
"$HERE/social/gen.sh" "$TMP"                     # facebook ... microsoft-graph (docs; twitter checked by twitter-autohook)
"$HERE/adyen/gen.sh" "$TMP"                      # adyen (own npm ci; @adyen/api-library hmacValidator)
"$HERE/extra-a/gen.sh" "$TMP"                    # orbit, go1 (docs, stdlib), plivo (PyPI plivo 4.63.0 signs and validates)
"$HERE/extra-b/gen.sh" "$TMP"                    # mailchimp, hostedhooks, pinwheel, hygraph (@hygraph/utils), vmware
"$HERE/airship/gen.sh" "$TMP"                    # airship (docs, stdlib; gzip mtime=0)
mkdir -p "$TMP/sns"
"$HERE/sns/gen.sh" "$TMP/sns"                    # Amazon SNS (test key, AWS's sns-validator); replayed by tests/it/sns.rs
mkdir -p "$TMP/pubsub"
"$HERE/pubsub/gen.sh" "$TMP/pubsub"              # Google Cloud Pub/Sub push (test keys; google-auth verify_oauth2_token); tests/it/pubsub.rs
"$VENV/bin/python" "$HERE/crosscheck.py" "$TMP"  # independent stdlib re-derivation, shape check
node "$HERE/check_stripe_npm.mjs" "$TMP"         # stripe.json against npm stripe

if [[ $mode == check ]]; then
  status=0
  for f in "${FILES[@]}"; do
    if ! cmp -s "$TMP/$f" "$OUT/$f"; then
      log "DIFFERS: tests/fixtures/vectors/$f"
      diff -u "$OUT/$f" "$TMP/$f" | head -40 >&2 || true
      status=1
    fi
  done
  if ! cmp -s "$TMP/sns/sns.json" "$REPO/tests/fixtures/sns/sns.json"; then
    log "DIFFERS: tests/fixtures/sns/sns.json"
    status=1
  fi
  if ! cmp -s "$TMP/pubsub/pubsub.json" "$REPO/tests/fixtures/pubsub/pubsub.json"; then
    log "DIFFERS: tests/fixtures/pubsub/pubsub.json"
    status=1
  fi
  [[ $status == 0 ]] && log "check OK: committed fixtures are exactly what the generator produces"
  exit $status
fi

mkdir -p "$OUT"
for f in "${FILES[@]}"; do
  cp "$TMP/$f" "$OUT/$f"
done
mkdir -p "$REPO/tests/fixtures/sns"
cp "$TMP/sns/sns.json" "$REPO/tests/fixtures/sns/sns.json"
mkdir -p "$REPO/tests/fixtures/pubsub"
cp "$TMP/pubsub/pubsub.json" "$REPO/tests/fixtures/pubsub/pubsub.json"
log "wrote ${FILES[*]} to tests/fixtures/vectors/"
