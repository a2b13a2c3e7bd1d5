package httpapi

// Function names the Lambda function that serves a route. The local server
// serves every route; in AWS each function serves its own.
type Function string

const (
	FunctionCapture Function = "capture" // public capture routes: template logical id CaptureFunction
	FunctionAPI     Function = "api"     // console routes: template logical id ApiFunction
)

// Route is one method and path the HTTP API serves. Path uses API Gateway's
// {param} syntax, which net/http's ServeMux also understands.
type Route struct {
	Method   string
	Path     string
	Function Function
	// Public routes take no bearer token (capture routes use a site key).
	Public bool
}

// Routes lists every route. The SAM template must declare exactly these
// (internal/httpapi/template_test.go checks both directions).
func Routes() []Route {
	return []Route{
		{"GET", "/healthz", FunctionCapture, true},
		{"POST", "/v1/capture/leads", FunctionCapture, true},
		{"OPTIONS", "/v1/capture/leads", FunctionCapture, true},
		{"POST", "/v1/capture/forms/{site_key}", FunctionCapture, true},
		{"OPTIONS", "/v1/capture/forms/{site_key}", FunctionCapture, true},
		{"GET", "/v1/capture/meta/{site_key}", FunctionCapture, true},
		{"POST", "/v1/capture/meta/{site_key}", FunctionCapture, true},
		{"POST", "/v1/capture/google-ads/{site_key}", FunctionCapture, true},
		{"POST", "/v1/capture/interactions", FunctionCapture, true},
		{"POST", "/v1/capture/interactions/attachments", FunctionCapture, true},

		{"GET", "/v1/openapi.yaml", FunctionAPI, true},
		{"GET", "/v1/me", FunctionAPI, false},
		{"GET", "/v1/leads/{id}", FunctionAPI, false},
		{"PATCH", "/v1/leads/{id}", FunctionAPI, false},
		{"GET", "/v1/leads/{id}/history", FunctionAPI, false},
		{"GET", "/v1/leads/{id}/conversation", FunctionAPI, false},
		{"GET", "/v1/leads/{id}/notes", FunctionAPI, false},
		{"POST", "/v1/leads/{id}/notes", FunctionAPI, false},
		{"PATCH", "/v1/leads/{id}/notes/{note_id}", FunctionAPI, false},
		{"DELETE", "/v1/leads/{id}/notes/{note_id}", FunctionAPI, false},
		{"GET", "/v1/reports/attribution", FunctionAPI, false},
		{"POST", "/v1/leads/{id}/scheduled-changes", FunctionAPI, false},
		{"DELETE", "/v1/leads/{id}/scheduled-changes/{change_id}", FunctionAPI, false},
		{"GET", "/v1/assignment/rules", FunctionAPI, false},
		{"PUT", "/v1/assignment/rules", FunctionAPI, false},
		{"POST", "/v1/assignment/reassign", FunctionAPI, false},
		{"GET", "/v1/users", FunctionAPI, false},
		{"PATCH", "/v1/users/{id}", FunctionAPI, false},

		{"GET", "/v1/leads", FunctionAPI, false},
		{"GET", "/v1/leads/count", FunctionAPI, false},
		{"GET", "/v1/leads/{id}/neighbors", FunctionAPI, false},
		{"GET", "/v1/groups", FunctionAPI, false},
		{"POST", "/v1/groups", FunctionAPI, false},
		{"GET", "/v1/saved-filters", FunctionAPI, false},
		{"POST", "/v1/saved-filters", FunctionAPI, false},
		{"PATCH", "/v1/saved-filters/{filter_id}", FunctionAPI, false},
		{"DELETE", "/v1/saved-filters/{filter_id}", FunctionAPI, false},
		{"POST", "/v1/leads/bulk", FunctionAPI, false},
		{"POST", "/v1/leads/{id}/restore", FunctionAPI, false},
		{"GET", "/v1/jobs/{job_id}", FunctionAPI, false},
		{"GET", "/v1/leads/export", FunctionAPI, false},
		{"POST", "/v1/imports", FunctionAPI, false},
		{"GET", "/v1/imports/{import_id}", FunctionAPI, false},
		{"GET", "/v1/imports/{import_id}/report.csv", FunctionAPI, false},
		{"POST", "/v1/imports/uploads", FunctionAPI, false},
		{"GET", "/v1/leads/{id}/tasks", FunctionAPI, false},
		{"POST", "/v1/leads/{id}/tasks", FunctionAPI, false},
		{"GET", "/v1/tasks", FunctionAPI, false},
		{"GET", "/v1/tasks/stats", FunctionAPI, false},
		{"GET", "/v1/tasks/due-now", FunctionAPI, false},
		{"POST", "/v1/tasks/bulk", FunctionAPI, false},
		{"GET", "/v1/tasks/{task_id}", FunctionAPI, false},
		{"PATCH", "/v1/tasks/{task_id}", FunctionAPI, false},
		{"DELETE", "/v1/tasks/{task_id}", FunctionAPI, false},
		{"GET", "/v1/task-types", FunctionAPI, false},
		{"PUT", "/v1/task-types", FunctionAPI, false},
		{"GET", "/v1/task-presets", FunctionAPI, false},
		{"PUT", "/v1/task-presets", FunctionAPI, false},
		{"POST", "/v1/api-keys", FunctionAPI, false},
		{"GET", "/v1/api-keys", FunctionAPI, false},
		{"DELETE", "/v1/api-keys/{key_id}", FunctionAPI, false},
		{"GET", "/v1/account", FunctionAPI, false},
		{"PATCH", "/v1/account", FunctionAPI, false},
		{"GET", "/v1/sites", FunctionAPI, false},
		{"POST", "/v1/sites", FunctionAPI, false},
		{"PATCH", "/v1/sites/{site_id}", FunctionAPI, false},
		{"POST", "/v1/sites/{site_id}/rotate-key", FunctionAPI, false},
		{"GET", "/v1/leads/{id}/duplicates", FunctionAPI, false},
		{"POST", "/v1/leads/{id}/merge", FunctionAPI, false},
		{"POST", "/v1/merges/{merge_id}/undo", FunctionAPI, false},
		{"GET", "/v1/leads/{id}/data-export", FunctionAPI, false},
		{"POST", "/v1/leads/{id}/erase", FunctionAPI, false},
		{"GET", "/v1/leads/{id}/timeline", FunctionAPI, false},
		{"GET", "/v1/interactions/{interaction_id}", FunctionAPI, false},
		{"POST", "/v1/interactions/{interaction_id}/relate", FunctionAPI, false},
		{"GET", "/v1/identity-keys", FunctionAPI, false},
		{"PUT", "/v1/identity-keys", FunctionAPI, false},
		{"POST", "/v1/contacts/locate", FunctionAPI, false},
		{"POST", "/v1/leads", FunctionAPI, false},
		{"POST", "/v1/leads/{id}/keys", FunctionAPI, false},
	}
}
