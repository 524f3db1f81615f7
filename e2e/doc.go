// Package e2e holds Parley's end-to-end tests, which build and run a real
// `parley serve` process: the crash test (SIGKILL under load, restart,
// check), 1,000 SSE subscribers on one negotiation, and the bounded load
// test behind the figures in docs/performance.md.
package e2e
