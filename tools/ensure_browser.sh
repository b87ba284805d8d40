#!/bin/sh
# Install headless Chromium and its WebDriver (Debian packages) for the
# browser test, when they are missing and this machine allows it.
if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "ensure_browser: installing chromium and chromium-driver (about 1 min)"
  # `apt-get update` can fail for one repository (e.g. a release file that
  # cannot be verified) and still refresh the others: try the install anyway.
  apt-get update -qq >/dev/null 2>&1
  if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        chromium chromium-driver >/dev/null 2>&1; then
    exit 0
  fi
fi
echo "ensure_browser: could not install chromium + chromium-driver (needs" \
     "root and apt); tests/test_website.py will be skipped." >&2
exit 0
