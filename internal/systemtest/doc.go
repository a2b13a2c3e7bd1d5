// Package systemtest holds the system tests: every route end to end over
// a fresh table on DynamoDB Local (and the SQS emulator where jobs go
// through the queue), with the handlers and job runners wired by
// internal/app (app.HTTPDeps, app.JobHandlers), so what the tests
// exercise is the production wiring. Every response is checked against
// the OpenAPI document. It has no production code; run it with
// cmd/testenv (see README, "Tests").
package systemtest
