// Package uitest drives the web UI (package ui) in a real headless browser,
// Debian's chromium through chromedp, against a registryd serving a seeded
// history. It is a test-only module, so that chromedp stays out of the main
// module's graph; it has no non-test code.
//
// The tests skip when no chromium is installed, except under CI (CI set),
// where they fail. PBREGISTRY_UI_SCREENSHOTS names a directory to keep the
// screenshots of each page in (a temporary directory otherwise).
package uitest
